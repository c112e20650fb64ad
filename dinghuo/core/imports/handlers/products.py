"""Products and SKUs: one row per SKU, products created or updated by code.

Product columns (names, brand, category, model number, status) repeat on each
SKU row of the product; they must agree (the first row of a product wins and
a differing later row is reported). A column left out of the file keeps the
stored values; a column present with an empty cell sets the field to empty
(or its default). Rows whose values equal the stored ones write nothing, so
re-importing an export changes nothing.

Writes are bulk statements (multi-row ``INSERT`` and ``executemany``
``UPDATE``) of only the new and changed rows, then one call to the search
indexer for every product touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from dinghuo.bulk import copy_upsert, is_postgresql
from dinghuo.core.catalog import rules
from dinghuo.core.catalog.jobs import schedule_reindex
from dinghuo.core.catalog.models import Brand, Category, Product, ProductStatus, Sku
from dinghuo.core.imports.columns import CellError, Column, Spec
from dinghuo.core.imports.handlers.base import (
    ImportContext,
    Progress,
    Report,
    Row,
    bulk_insert,
    bulk_update,
    chunks,
    first_seen,
)
from dinghuo.db import TenantSession
from dinghuo.platform.auth.principal import Principal

PRODUCT_KEYS = (
    "name_zh",
    "name_en",
    "brand_code",
    "category_code",
    "model_number",
    "product_status",
)
SKU_KEYS = (
    "barcode",
    "variant",
    "sku_status",
    "moq",
    "order_multiple",
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "msrp",
    "base_price",
)
_SKU_FIELD = {"sku_status": "status"}
_PRODUCT_FIELD = {
    "product_status": "status",
    "brand_code": "brand_id",
    "category_code": "category_id",
}

SPEC = Spec(
    (
        Column("product_code", "Product code", "产品编码", True, ("spu", "product"), "MATE60PRO"),
        Column("name_zh", "Name (Chinese)", "产品名称", True, ("name", "名称"), "华为 Mate 60 Pro"),
        Column("name_en", "Name (English)", "英文名称", example="HUAWEI Mate 60 Pro"),
        Column("brand_code", "Brand code", "品牌编码", aliases=("brand", "品牌"), example="HUAWEI"),
        Column(
            "category_code",
            "Category code",
            "分类编码",
            aliases=("category", "分类"),
            example="PHONE",
        ),
        Column("model_number", "Model number", "型号", aliases=("model",), example="ALN-AL00"),
        Column(
            "product_status",
            "Product status",
            "产品状态",
            example="active",
            help="draft, active or discontinued",
        ),
        Column("sku_code", "SKU code", "SKU编码", True, ("sku",), "MATE60PRO-12-512-BLK"),
        Column(
            "barcode",
            "Barcode",
            "条码",
            aliases=("ean", "条形码"),
            example="6901234567892",
            help="EAN-8, UPC-A or EAN-13 with its check digit",
        ),
        Column(
            "variant",
            "Variant",
            "规格",
            aliases=("变体",),
            example="颜色=雅丹黑;内存=12+512G",
            help="axis=value pairs separated by ;",
        ),
        Column("sku_status", "SKU status", "SKU状态", example="active"),
        Column("moq", "MOQ", "起订量", aliases=("最小起订量",), example="1"),
        Column(
            "order_multiple",
            "Order multiple",
            "订货倍数",
            aliases=("pack size", "包装数"),
            example="1",
        ),
        Column("weight_g", "Weight (g)", "重量(克)", aliases=("weight", "重量"), example="225"),
        Column("length_mm", "Length (mm)", "长(毫米)", aliases=("length", "长"), example="163"),
        Column("width_mm", "Width (mm)", "宽(毫米)", aliases=("width", "宽"), example="79"),
        Column("height_mm", "Height (mm)", "高(毫米)", aliases=("height", "高"), example="8"),
        Column("msrp", "MSRP", "建议零售价", aliases=("零售价",), example="6999.00"),
        Column(
            "base_price",
            "Base price",
            "批发价",
            aliases=("基础价", "wholesale price"),
            example="5999.00",
        ),
    )
)

_PAIR_SPLIT = re.compile(r"[;；|]")
_KV_SPLIT = re.compile(r"[=:：]")


def parse_variant(value: str) -> dict[str, str]:
    """``颜色=雅丹黑;内存=12+512G`` as an ordered mapping of axis to value."""
    variant: dict[str, str] = {}
    for pair in _PAIR_SPLIT.split(value):
        if not pair.strip():
            continue
        parts = _KV_SPLIT.split(pair, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise CellError("Write variants as axis=value pairs separated by ';'.")
        axis = rules.name("variant", parts[0].strip(), 40)
        if axis in variant:
            raise CellError(f"The axis {axis} appears twice.")
        variant[axis] = rules.name("variant", parts[1].strip(), 60)
    if len(variant) > rules.MAX_AXES:
        raise CellError(f"At most {rules.MAX_AXES} axes.")
    return variant


def format_variant(variant: dict[str, Any]) -> str:
    return ";".join(f"{axis}={value}" for axis, value in variant.items())


_CONTROL = re.compile(r"[\x00-\x1f]")
"""Control characters and line breaks: what a one-line name may not contain."""


def _code(max_length: int, slow: Callable[[str], str]) -> Callable[[str], str]:
    """A code parser: the common valid code checked by one regex; anything else by the
    catalog rule, for its exact reason."""
    pattern = rules.CODE_PATTERN

    def parse(value: str) -> str:
        upper = value.upper()
        if len(upper) <= max_length and pattern.fullmatch(upper):
            return upper
        return slow(value)

    return parse


def _name(field_name: str, max_length: int, *, required: bool = True) -> Callable[[str], str]:
    """A one-line name parser: fast when the cell is fine, the catalog rule's reason when not."""
    search = _CONTROL.search

    def parse(value: str) -> str:
        if (value or not required) and len(value) <= max_length and not search(value):
            return value
        return rules.name(field_name, value, max_length, required=required)

    return parse


def _barcode(value: str) -> str:
    if not value:
        return ""
    if len(value) in rules.BARCODE_LENGTHS and value.isascii() and value.isdigit():
        odd = sum(map(int, value[-2::-2]))
        even = sum(map(int, value[-3::-2]))
        if (10 - (odd * 3 + even) % 10) % 10 == int(value[-1]):
            return value
    if "e+" in value.lower():
        raise CellError(
            "Excel turned this barcode into a rounded number (e.g. 6.9E+12); "
            "format the column as text and type the full barcode."
        )
    return rules.validate_barcode(value)


def _status(value: str, default: ProductStatus) -> ProductStatus:
    return rules.validate_status(value) if value else default


def _int(value: str) -> int:
    """Excel's ``12.0`` is the whole number 12."""
    return value[:-2] if value.endswith(".0") else value  # type: ignore[return-value]


def _money(field_name: str, value: str) -> Decimal:
    return rules.validate_money(field_name, value.replace(",", "")) if value else Decimal("0.00")


_UNIQUE_PARSERS: dict[str, Callable[[str], Any]] = {
    "sku_code": _code(rules.SKU_CODE_MAX, rules.validate_sku_code),
    "barcode": _barcode,
}
"""Columns whose values differ on every row: parsed on every row, fast on the happy path."""

_REPEATED_PARSERS: dict[str, Callable[[str], Any]] = {
    "product_code": _code(rules.PRODUCT_CODE_MAX, rules.validate_product_code),
    "name_zh": _name("name_zh", 200),
    "name_en": _name("name_en", 200, required=False),
    "model_number": _name("model_number", 100, required=False),
    "brand_code": lambda v: rules.validate_brand_code(v) if v else "",
    "category_code": lambda v: rules.validate_category_code(v) if v else "",
    "product_status": lambda v: _status(v, ProductStatus.DRAFT),
    "variant": parse_variant,
    "sku_status": lambda v: _status(v, ProductStatus.ACTIVE),
    "moq": lambda v: rules.validate_moq(_int(v)) if v else 1,
    "order_multiple": lambda v: rules.validate_order_multiple(_int(v)) if v else 1,
    "weight_g": lambda v: rules.validate_measure("weight_g", _int(v)),
    "length_mm": lambda v: rules.validate_measure("length_mm", _int(v)),
    "width_mm": lambda v: rules.validate_measure("width_mm", _int(v)),
    "height_mm": lambda v: rules.validate_measure("height_mm", _int(v)),
    "msrp": lambda v: _money("msrp", v),
    "base_price": lambda v: _money("base_price", v),
}
"""Columns whose values repeat across a file (the product's on each of its SKU rows):
each distinct value is parsed once."""


@dataclass
class ProductPlan:
    """Validated values by code, with the stored rows they change (if any)."""

    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    skus: dict[str, dict[str, Any]] = field(default_factory=dict)
    existing_products: dict[str, dict[str, Any]] = field(default_factory=dict)
    existing_skus: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants_given: bool = False


def _lookup(session: TenantSession, column: Any, codes: set[str], *selected: Any) -> list[Any]:
    """The rows whose ``column`` is one of ``codes``: one query with an array on PostgreSQL,
    ``IN`` lists of ``CHUNK`` elsewhere."""
    if is_postgresql(session):
        values = bindparam("codes", sorted(codes), type_=ARRAY(column.type))
        return list(session.execute(select(*selected).where(column == any_(values))).all())
    found: list[Any] = []
    for chunk in chunks(sorted(codes)):
        found.extend(session.execute(select(*selected).where(column.in_(chunk))).all())
    return found


class ProductsHandler:
    spec = SPEC

    def validate(
        self, session: TenantSession, rows: list[Row], report: Report, context: ImportContext
    ) -> ProductPlan:
        present = set(rows[0].cells) if rows else set()
        plan = ProductPlan(variants_given="variant" in present)
        product_rows: dict[str, int] = {}
        sku_rows: dict[str, int] = {}
        barcode_rows: dict[str, int] = {}
        parsed: list[tuple[Row, str | None, str | None, dict[str, Any], dict[str, Any]]] = []
        check, check_cached = report.check, report.check_cached
        parse_product_code, product_codes = _REPEATED_PARSERS["product_code"], {}
        parse_sku_code = _UNIQUE_PARSERS["sku_code"]
        product_keys = [
            (key, _UNIQUE_PARSERS.get(key), _REPEATED_PARSERS.get(key), {})
            for key in PRODUCT_KEYS
            if key in present
        ]
        sku_keys = [
            (key, _UNIQUE_PARSERS.get(key), _REPEATED_PARSERS.get(key), {})
            for key in SKU_KEYS
            if key in present
        ]
        pack_rule = {"moq", "order_multiple"} <= present
        for row in rows:
            product_code = check_cached(row, "product_code", parse_product_code, product_codes)
            sku_code = check(row, "sku_code", parse_sku_code)
            if sku_code is not None and not first_seen(report, row, "sku_code", sku_code, sku_rows):
                sku_code = None
            product = {
                key: check(row, key, unique) if unique else check_cached(row, key, parse, cache)
                for key, unique, parse, cache in product_keys
            }
            sku = {
                key: check(row, key, unique) if unique else check_cached(row, key, parse, cache)
                for key, unique, parse, cache in sku_keys
            }
            barcode = sku.get("barcode")
            if barcode:
                first_seen(report, row, "barcode", barcode, barcode_rows)
            if pack_rule and sku["moq"] and sku["order_multiple"]:
                check(
                    row,
                    "moq",
                    lambda _, s=sku: rules.validate_moq_and_multiple(s["moq"], s["order_multiple"]),
                )
            parsed.append((row, product_code, sku_code, product, sku))

        brands = dict(
            _lookup(
                session,
                Brand.code,
                {p["brand_code"] for _, _, _, p, _ in parsed if p.get("brand_code")},
                Brand.code,
                Brand.id,
            )
        )
        categories = dict(
            _lookup(
                session,
                Category.code,
                {p["category_code"] for _, _, _, p, _ in parsed if p.get("category_code")},
                Category.code,
                Category.id,
            )
        )
        product_columns = [
            c
            for c in Product.__table__.c
            if c.key not in ("tenant_id", "description", "created_at", "updated_at")
        ]
        for stored in _lookup(
            session, Product.code, {c for _, c, _, _, _ in parsed if c}, *product_columns
        ):
            plan.existing_products[stored.code] = dict(stored._mapping)
        sku_columns = [
            c for c in Sku.__table__.c if c.key not in ("tenant_id", "created_at", "sales_qty")
        ]
        for stored in _lookup(
            session, Sku.code, {c for _, _, c, _, _ in parsed if c}, *sku_columns
        ):
            plan.existing_skus[stored.code] = dict(stored._mapping)
        codes_by_product_id = {p["id"]: code for code, p in plan.existing_products.items()}
        if plan.existing_skus:
            unknown_ids = {s["product_id"] for s in plan.existing_skus.values()} - set(
                codes_by_product_id
            )
            for chunk in chunks(sorted(unknown_ids)):
                codes_by_product_id.update(
                    session.execute(
                        select(Product.id, Product.code).where(Product.id.in_(chunk))
                    ).all()
                )

        for row, product_code, sku_code, product, sku in parsed:
            for key, lookup in (("brand_code", brands), ("category_code", categories)):
                value = product.get(key)
                if value and value not in lookup:
                    noun = "brand" if key == "brand_code" else "category"
                    report.add(row, key, f"Unknown {noun} code.")
                elif key in product:
                    product[key] = lookup.get(value) if value else None
            if product_code is None or sku_code is None:
                continue
            stored_sku = plan.existing_skus.get(sku_code)
            if stored_sku is not None:
                owner = codes_by_product_id.get(stored_sku["product_id"])
                if owner != product_code:
                    report.add(row, "sku_code", f"This SKU belongs to the product {owner}.")
                    continue
            if product_code in plan.products:
                self._agree(
                    row, report, plan.products[product_code], product, product_rows[product_code]
                )
            else:
                product_rows[product_code] = row.number
                plan.products[product_code] = {**product, "axes": list(sku.get("variant") or {})}
            axes = plan.products[product_code]["axes"]
            if "variant" in sku and sku["variant"] is not None and list(sku["variant"]) != axes:
                report.check(
                    row, "variant", lambda _, a=axes, v=sku["variant"]: rules.validate_variant(a, v)
                )
            plan.skus[sku_code] = {**sku, "product_code": product_code}
        self._positions(plan)
        return plan

    @staticmethod
    def _agree(
        row: Row, report: Report, first: dict[str, Any], values: dict[str, Any], first_row: int
    ) -> None:
        for key, value in values.items():
            if value is not None and first.get(key) is not None and value != first[key]:
                report.add(row, key, f"Differs from row {first_row} of the same product.")

    @staticmethod
    def _positions(plan: ProductPlan) -> None:
        counters: dict[str, int] = {}
        for sku in plan.skus.values():
            code = sku["product_code"]
            sku["position"] = counters.get(code, 0)
            counters[code] = sku["position"] + 1

    def apply(
        self,
        session: TenantSession,
        actor: Principal | None,
        plan: ProductPlan,
        context: ImportContext,
        progress: Progress,
    ) -> dict[str, int]:
        tenant_id = session.tenant_id
        product_ids = {code: stored["id"] for code, stored in plan.existing_products.items()}
        new_products: list[dict[str, Any]] = []
        changed_products: list[dict[str, Any]] = []
        for code, values in plan.products.items():
            row = {_PRODUCT_FIELD.get(k, k): v for k, v in values.items() if k != "axes"}
            if plan.variants_given:
                row["variant_axes"] = values["axes"]
            stored = plan.existing_products.get(code)
            if stored is None:
                new_products.append({"tenant_id": tenant_id, "code": code, **row})
            elif any(stored[k] != v for k, v in row.items()):
                changed_products.append(
                    {"tenant_id": tenant_id, "code": code, **row, "b_id": stored["id"]}
                )
        product_ids.update(_write_products(session, new_products, changed_products))

        new_skus: list[dict[str, Any]] = []
        changed_skus: list[dict[str, Any]] = []
        touched: set[int] = {product_ids[p["code"]] for p in new_products + changed_products}
        for code, values in plan.skus.items():
            row = {
                _SKU_FIELD.get(k, k): v
                for k, v in values.items()
                if k not in ("product_code", "position")
            }
            stored = plan.existing_skus.get(code)
            if stored is None:
                product_id = product_ids[values["product_code"]]
                new_skus.append(
                    {
                        "tenant_id": tenant_id,
                        "code": code,
                        "product_id": product_id,
                        "position": values["position"],
                        **row,
                    }
                )
                touched.add(product_id)
            elif any(stored[k] != v for k, v in row.items()):
                changed_skus.append(
                    {
                        "tenant_id": tenant_id,
                        "code": code,
                        "product_id": stored["product_id"],
                        "position": stored["position"],
                        **row,
                        "b_id": stored["id"],
                    }
                )
                touched.add(stored["product_id"])
        _write_skus(session, new_skus, changed_skus, progress)
        progress(len(plan.skus))
        schedule_reindex(session, touched)
        return {
            "products_created": len(new_products),
            "products_updated": len(changed_products),
            "skus_created": len(new_skus),
            "skus_updated": len(changed_skus),
        }


_INSERT_ONLY = ("tenant_id", "code", "product_id", "position", "b_id")
"""Keys of a written row that an update never changes (the conflict key, the owner, the id)."""


def _write_products(
    session: TenantSession, new: list[dict[str, Any]], changed: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert the new products and update the changed ones; the new ones' ids by code."""
    table = Product.__table__
    if is_postgresql(session):
        rows = new + [{k: v for k, v in r.items() if k != "b_id"} for r in changed]
        update_columns = [k for k in rows[0] if k not in _INSERT_ONLY] if rows else []
        written = copy_upsert(
            session,
            table,
            rows,
            conflict=("tenant_id", "code"),
            update=update_columns,
            returning=("id", "code"),
        )
        return {code: product_id for product_id, code in written}
    ids: dict[str, int] = {}
    for chunk in chunks(new):
        result = session.execute(insert(table).returning(table.c.id, table.c.code), list(chunk))
        ids.update({code: product_id for product_id, code in result})
    bulk_update(session, table, [_update_values(r) for r in changed])
    return ids


def _update_values(row: dict[str, Any]) -> dict[str, Any]:
    """The id (``b_id``) and data columns of a changed row, for :func:`bulk_update`."""
    return {k: v for k, v in row.items() if k == "b_id" or k not in _INSERT_ONLY}


def _write_skus(
    session: TenantSession,
    new: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    progress: Progress,
) -> None:
    """Insert the new SKUs and update the changed ones (of their data columns only)."""
    table = Sku.__table__
    if is_postgresql(session):
        rows = new + [{k: v for k, v in r.items() if k != "b_id"} for r in changed]
        update_columns = [k for k in rows[0] if k not in _INSERT_ONLY] if rows else []
        copy_upsert(session, table, rows, conflict=("tenant_id", "code"), update=update_columns)
        return
    bulk_insert(session, table, new, progress)
    bulk_update(session, table, [_update_values(r) for r in changed])
