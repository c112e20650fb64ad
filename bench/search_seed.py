"""Seed the search benchmark: 50 tenants of uneven catalog sizes, one of 100,000 SKUs.

Tenants, their owners and the measured dealer's user are made by the
services (as onboarding does); the catalog rows are generated here and
loaded with ``COPY`` through psycopg on the administrative connection
(PostgreSQL refuses ``COPY FROM`` into a table whose RLS applies to the
role, and it is forced even for the owner), one transaction per tenant. The
search documents are built with :func:`dinghuo.core.catalog.search_text.document_text`,
the normalisation :func:`dinghuo.core.catalog.search.index_products` uses, in
the same field order.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

from dinghuo.app import create_app
from dinghuo.config import Settings
from dinghuo.core.catalog.search_text import document_text
from dinghuo.core.crm.service import create_dealer
from dinghuo.migrate import upgrade
from dinghuo.platform.auth.models import Role
from dinghuo.platform.auth.service import create_user, issue_token
from dinghuo.platform.tenants.service import create_tenant

MEASURED_TENANT = "search00"
BIG_TENANT_SKUS = 100_000
TENANTS = 50
VARIANTS_PER_PRODUCT = 4

BRANDS = [
    ("DX", "鼎新"),
    ("HW", "华为"),
    ("MI", "小米"),
    ("OP", "OPPO"),
    ("VV", "vivo"),
    ("HR", "荣耀"),
]
SERIES = ["Mate", "Nova", "P", "X", "Redmi", "Find", "Reno", "Magic", "Pura", "Note"]
SUFFIXES = [("Pro", "Pro"), ("Ultra", "Ultra"), ("青春版", "Lite"), ("折叠屏", "Fold"), ("", "")]
KINDS = [
    ("PHONE", "手机", "Phones"),
    ("PAD", "平板", "Tablets"),
    ("WATCH", "智能手表", "Watches"),
    ("BUDS", "无线耳机", "Earbuds"),
    ("CHG", "充电器", "Chargers"),
    ("CASE", "保护壳", "Cases"),
]
COLOURS = ["雅丹黑", "白沙银", "翡冷翠", "曜金黑", "冰霜银", "晨曦金"]
MEMORY = ["8+256G", "12+256G", "12+512G", "16+1T"]
TAGS = ["新品", "5G", "爆款", "清仓"]
SCREENS = ["6.1", "6.5", "6.7", "6.82", "7.8", "11.0"]


@dataclass(frozen=True)
class SearchSeeded:
    tenant_slug: str
    tenant_id: int
    dealer_token: str
    skus: dict[str, int]


def tenant_sizes() -> list[tuple[str, int]]:
    """Uneven: the measured tenant has 100,000 SKUs, the rest shrink geometrically to 40."""
    sizes = [(MEASURED_TENANT, BIG_TENANT_SKUS)]
    for index in range(1, TENANTS):
        sizes.append((f"search{index:02d}", max(40, int(8000 * 0.88**index)) // 4 * 4))
    return sizes


def seed(settings: Settings, admin_dsn: str) -> SearchSeeded:
    upgrade(settings)
    app = create_app(settings)
    db = app.extensions["dinghuo.db"]
    tenants: dict[str, int] = {}
    token = ""
    try:
        for slug, _size in tenant_sizes():
            with db.transaction() as session:
                onboarded = create_tenant(
                    session,
                    None,
                    slug=slug,
                    name=f"{slug} 数码",
                    owner_email=f"owner@{slug}.example.com",
                    owner_password="bench-password-42",
                )
                tenants[slug] = onboarded.tenant.id
                if slug == MEASURED_TENANT:
                    dealer = create_dealer(session, None, code="D001", name_zh="华东经销商")
                    buyer = create_user(
                        session,
                        email=f"buyer@{slug}.example.com",
                        name="Buyer",
                        role=Role.BUYER,
                        password="bench-password-42",
                        dealer_id=dealer.id,
                    )
                    token, _ = issue_token(session, ttl=dt.timedelta(days=1), user=buyer)
    finally:
        db.dispose()
    skus: dict[str, int] = {}
    with psycopg.connect(admin_dsn) as conn:
        ids = _IdSource()
        for slug, size in tenant_sizes():
            counted = _seed_catalog(conn, tenants[slug], size, ids, random.Random(size))
            skus[slug] = counted
        with conn.cursor() as cur:
            for table, last in ids.last.items():
                cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", (table, last))
        conn.commit()
    return SearchSeeded(MEASURED_TENANT, tenants[MEASURED_TENANT], token, skus)


class _IdSource:
    """Explicit ids across tenants, so rows can reference each other inside one COPY batch."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def next(self, table: str) -> int:
        self.last[table] = self.last.get(table, 0) + 1
        return self.last[table]


def _copy(cur: psycopg.Cursor[Any], table: str, columns: list[str], rows: Iterator[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _seed_catalog(
    conn: psycopg.Connection[Any], tenant_id: int, skus: int, ids: _IdSource, rnd: random.Random
) -> int:
    now = dt.datetime.now(dt.UTC)
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))
        root = ids.next("categories")
        categories = [(root, None, f"T{tenant_id}-ROOT", "数码", "Digital")]
        for code, zh, en in KINDS:
            categories.append((ids.next("categories"), root, f"{code}", zh, en))
        _copy(
            cur,
            "categories",
            ["id", "parent_id", "code", "name_zh", "name_en", "position", "tenant_id"],
            ((c[0], c[1], c[2], c[3], c[4], 0, tenant_id) for c in categories),
        )
        brands = [(ids.next("brands"), code, name) for code, name in BRANDS]
        _copy(
            cur,
            "brands",
            ["id", "code", "name", "tenant_id"],
            ((b[0], b[1], b[2], tenant_id) for b in brands),
        )
        tags = [(ids.next("tags"), name) for name in TAGS]
        _copy(cur, "tags", ["id", "name", "tenant_id"], ((t[0], t[1], tenant_id) for t in tags))
        phone_category = categories[1]
        screen = ids.next("spec_attributes")
        _copy(
            cur,
            "spec_attributes",
            [
                "id",
                "category_id",
                "code",
                "name_zh",
                "name_en",
                "kind",
                "unit",
                "choices",
                "filterable",
                "position",
                "tenant_id",
            ],
            iter(
                [
                    (
                        screen,
                        phone_category[0],
                        "screen",
                        "屏幕",
                        "Screen",
                        "TEXT",
                        "英寸",
                        "[]",
                        True,
                        0,
                        tenant_id,
                    )
                ]
            ),
        )
        warehouse = ids.next("warehouses")
        _copy(
            cur,
            "warehouses",
            ["id", "code", "name", "region", "address", "is_active", "tenant_id"],
            iter([(warehouse, "WH1", "主仓", "", "", True, tenant_id)]),
        )
        products, sku_rows, docs, links, specs, stock = [], [], [], [], [], []
        for index in range(skus // VARIANTS_PER_PRODUCT):
            product_id = ids.next("products")
            brand = brands[rnd.randrange(len(brands))]
            category = categories[1 + rnd.randrange(len(KINDS))]
            series = rnd.choice(SERIES)
            number = rnd.randrange(10, 99)
            suffix_zh, suffix_en = rnd.choice(SUFFIXES)
            name_zh = f"{brand[2]} {series} {number} {suffix_zh}".strip()
            name_en = f"{brand[1]} {series} {number} {suffix_en}".strip()
            model = f"{series[:3].upper()}-{rnd.choice('ABCDEFGHKLMN')}{index:05d}"
            created = now - dt.timedelta(minutes=index)
            products.append(
                (
                    product_id,
                    f"P{index:06d}",
                    name_zh,
                    name_en,
                    model,
                    "",
                    brand[0],
                    category[0],
                    "ACTIVE",
                    json.dumps(["颜色", "内存"]),
                    created,
                    created,
                    tenant_id,
                )
            )
            tag_names = []
            for tag in rnd.sample(tags, rnd.randrange(0, 3)):
                links.append((product_id, tag[0], tenant_id))
                tag_names.append(tag[1])
            spec_values = []
            if category is phone_category:
                value = rnd.choice(SCREENS)
                specs.append((product_id, screen, value, tenant_id))
                spec_values.append(value)
            colours = rnd.sample(COLOURS, 2)
            for position, (colour, memory) in enumerate(
                (c, m) for c in colours for m in rnd.sample(MEMORY, 2)
            ):
                sku_id = ids.next("skus")
                code = f"{model}-{position}"
                barcode = f"69{tenant_id:03d}{sku_id:08d}"[:13]
                price = rnd.randrange(9900, 1_299_900)
                variant = {"颜色": colour, "内存": memory}
                sku_rows.append(
                    (
                        sku_id,
                        product_id,
                        code,
                        barcode,
                        json.dumps(variant, ensure_ascii=False),
                        "ACTIVE",
                        1,
                        1,
                        price + 50000,
                        price,
                        rnd.randrange(0, 5000),
                        position,
                        created,
                        tenant_id,
                    )
                )
                text = document_text(
                    [
                        code,
                        barcode,
                        model,
                        f"P{index:06d}",
                        name_zh,
                        name_en,
                        colour,
                        memory,
                        brand[2],
                        brand[1],
                        category[3],
                        category[4],
                        "数码",
                        "Digital",
                        *tag_names,
                        *spec_values,
                    ]
                )
                docs.append(
                    (sku_id, product_id, text, "ACTIVE", brand[0], category[0], created, tenant_id)
                )
                if rnd.random() < 0.7:
                    stock.append((warehouse, sku_id, rnd.randrange(1, 500), 0, now, tenant_id))
        _copy(
            cur,
            "products",
            [
                "id",
                "code",
                "name_zh",
                "name_en",
                "model_number",
                "description",
                "brand_id",
                "category_id",
                "status",
                "variant_axes",
                "created_at",
                "updated_at",
                "tenant_id",
            ],
            iter(products),
        )
        _copy(
            cur,
            "skus",
            [
                "id",
                "product_id",
                "code",
                "barcode",
                "variant",
                "status",
                "moq",
                "order_multiple",
                "msrp",
                "base_price",
                "sales_qty",
                "position",
                "created_at",
                "tenant_id",
            ],
            iter(sku_rows),
        )
        _copy(
            cur,
            "search_documents",
            [
                "sku_id",
                "product_id",
                "text",
                "status",
                "brand_id",
                "category_id",
                "created_at",
                "tenant_id",
            ],
            iter(docs),
        )
        _copy(cur, "product_tags", ["product_id", "tag_id", "tenant_id"], iter(links))
        _copy(
            cur, "product_specs", ["product_id", "attribute_id", "value", "tenant_id"], iter(specs)
        )
        _copy(
            cur,
            "stock_levels",
            ["warehouse_id", "sku_id", "on_hand", "reserved", "updated_at", "tenant_id"],
            iter(stock),
        )
    conn.commit()
    return len(sku_rows)
