"""Seed the orders benchmark: a brand with 200 SKUs in stock, 50 ordering dealers, a 200-line cart.

Everything goes through the services (tenants, CRM, catalog, inventory,
auth), as onboarding and the console would, so the rows are validated,
indexed and audited as in production; only the cart lines and the order
number sequence are inserted with the ORM through the app role (the cart
service belongs to another package and a 200-line cart is just rows). A
neighbour tenant gets the same catalog and stock, so a query that forgot its
tenant filter would read twice the rows.

The measured tenant keeps the default business rules (stock reserved on
submission, one ``sales`` review step, no backorders); its dealers order on
account (``net30``) with a credit limit far above what a run can spend, so
the credit check runs but never refuses.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from dinghuo.app import create_app
from dinghuo.config import Settings
from dinghuo.core.catalog import service as catalog
from dinghuo.core.catalog.models import ProductStatus
from dinghuo.core.crm.service import add_address, create_dealer
from dinghuo.core.inventory import service as inventory
from dinghuo.core.orders.models import Cart, CartLine, NumberSequence
from dinghuo.db import TenantSession
from dinghuo.migrate import upgrade
from dinghuo.platform.auth.models import Role
from dinghuo.platform.auth.service import create_user, issue_token
from dinghuo.platform.tenants.service import create_tenant

MEASURED_TENANT = "orders"
NEIGHBOUR_TENANT = "orders-neighbour"
HOT_SKU_CODE = "HOT-X9-BLK"
VARIANTS = [("BLK", "雅丹黑"), ("SLV", "白沙银")]
MEMORY = [("256", "12+256G"), ("512", "12+512G")]
PLENTY = {"SH": 1_000_000, "GZ": 100_000}
"""Units per SKU per warehouse: far more than a run can reserve, so only the hot SKU runs out."""
CREDIT_LIMIT = Decimal("9000000000.00")


@dataclass(frozen=True)
class Buyer:
    """A dealer's buyer: who orders, with what, shipped where."""

    dealer_id: int
    user_id: int
    token: str
    address_id: int


@dataclass
class OrdersSeeded:
    tenant_slug: str
    tenant_id: int
    sku_ids: list[int]
    hot_sku_id: int
    hot_stock: dict[str, int]
    warehouses: dict[str, int]
    buyers: list[Buyer] = field(default_factory=list)
    cart_buyer: Buyer | None = None
    cart_lines: int = 0


@dataclass(frozen=True)
class SeedSize:
    skus: int = 200
    dealers: int = 50
    cart_lines: int = 200
    hot_stock: int = 100


def seed(settings: Settings, size: SeedSize) -> OrdersSeeded:
    """Migrate to head, then seed the measured tenant and its neighbour."""
    upgrade(settings)
    app = create_app(settings)
    db = app.extensions["dinghuo.db"]
    try:
        for slug in (NEIGHBOUR_TENANT, MEASURED_TENANT):
            with db.transaction() as session:
                tenant_id = create_tenant(
                    session,
                    None,
                    slug=slug,
                    name=f"{slug} 数码",
                    owner_email=f"owner@{slug}.example.com",
                    owner_password="bench-password-42",
                ).tenant.id
            with db.transaction(tenant_id) as session:
                seeded = _seed_tenant(session, slug, tenant_id, size)
        return seeded
    finally:
        db.dispose()


def _seed_tenant(session: TenantSession, slug: str, tenant_id: int, size: SeedSize) -> OrdersSeeded:
    rnd = random.Random(size.skus)
    root = catalog.create_category(session, None, code="DIGITAL", name_zh="数码", name_en="Digital")
    phones = catalog.create_category(
        session, None, code="PHONE", name_zh="手机", name_en="Phones", parent_id=root.id
    )
    brand = catalog.create_brand(session, None, code="DX", name="鼎新")
    per_product = len(VARIANTS) * len(MEMORY)
    sku_ids: list[int] = []
    for index in range(-(-size.skus // per_product)):
        price = Decimal(rnd.randrange(999, 8999))
        product = catalog.create_product(
            session,
            None,
            code=f"P{index:03d}",
            name_zh=f"鼎新 Mate {index} Pro",
            name_en=f"Dingxin Mate {index} Pro",
            brand_id=brand.id,
            category_id=phones.id,
            status=ProductStatus.ACTIVE,
            variant_axes=["颜色", "内存"],
            skus=[
                {
                    "code": f"P{index:03d}-{colour}-{memory}",
                    "variant": {"颜色": colour_zh, "内存": memory_zh},
                    "base_price": str(price + (600 if memory == "512" else 0)),
                    "msrp": str(price + 500 + (600 if memory == "512" else 0)),
                    "weight_g": 225,
                }
                for colour, colour_zh in VARIANTS
                for memory, memory_zh in MEMORY
            ],
        )
        sku_ids += [sku.id for sku in product.skus]
    sku_ids = sorted(sku_ids)[: size.skus]
    hot = catalog.create_product(
        session,
        None,
        code="HOT-X9",
        name_zh="鼎新 X9 首发限量",
        name_en="Dingxin X9 launch edition",
        brand_id=brand.id,
        category_id=phones.id,
        status=ProductStatus.ACTIVE,
        skus=[{"code": HOT_SKU_CODE, "base_price": "9999.00", "msrp": "10999.00"}],
    ).skus[0]
    warehouses = {
        code: inventory.create_warehouse(session, None, code=code, name=name, region=region).id
        for code, name, region in (("SH", "上海仓", "华东"), ("GZ", "广州仓", "华南"))
    }
    for code, units in PLENTY.items():
        for sku_id in sku_ids:
            inventory.receive(
                session,
                None,
                warehouse_id=warehouses[code],
                sku_id=sku_id,
                quantity=units,
                reason="opening stock",
            )
    # The scarce launch SKU sits in both warehouses, so a line may have to be split.
    in_shanghai = size.hot_stock * 3 // 5
    hot_stock = {"SH": in_shanghai, "GZ": size.hot_stock - in_shanghai}
    for code, units in hot_stock.items():
        if units:
            inventory.receive(
                session,
                None,
                warehouse_id=warehouses[code],
                sku_id=hot.id,
                quantity=units,
                reason="launch allocation",
            )
    session.add(NumberSequence(kind="order", last_number=0))
    seeded = OrdersSeeded(slug, tenant_id, sku_ids, hot.id, hot_stock, warehouses)
    seeded.buyers = [_buyer(session, slug, f"D{i:03d}") for i in range(size.dealers)]
    seeded.cart_buyer = _buyer(session, slug, "CART")
    cart = Cart(user_id=seeded.cart_buyer.user_id, dealer_id=seeded.cart_buyer.dealer_id)
    session.add(cart)
    session.flush()
    lines = sku_ids[: size.cart_lines]
    session.add_all(
        CartLine(cart_id=cart.id, sku_id=sku_id, quantity=1 + i % 5, position=i)
        for i, sku_id in enumerate(lines)
    )
    seeded.cart_lines = len(lines)
    session.flush()
    return seeded


def _buyer(session: TenantSession, slug: str, code: str) -> Buyer:
    """A tier-A dealer on net-30 terms with a default ship-to address and one buyer."""
    dealer = create_dealer(
        session,
        None,
        code=code,
        name_zh=f"{code} 数码经销商",
        tier="A",
        region="华东",
        credit_limit=CREDIT_LIMIT,
        payment_terms="net30",
    )
    address = add_address(
        session,
        None,
        dealer.id,
        kind="ship_to",
        recipient="王经理",
        phone="13800138000",
        province="上海市",
        city="上海市",
        district="浦东新区",
        street="世纪大道 100 号",
        is_default=True,
    )
    user = create_user(
        session,
        email=f"buyer-{code.lower()}@{slug}.example.com",
        name=f"{code} 采购",
        role=Role.BUYER,
        dealer_id=dealer.id,
    )
    token, _ = issue_token(session, ttl=dt.timedelta(days=1), user=user, name="bench")
    return Buyer(dealer.id, user.id, token, address.id)
