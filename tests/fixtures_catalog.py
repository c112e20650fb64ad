"""A small 3C catalog in a tenant, for tests of catalog, prices, stock and ordering.

``catalog`` seeds acme; ``seed_catalog(world)`` seeds any world. Acme's dealer
D001 becomes tier A (D002 stays tier C), so tier prices and tier-only
products have someone to show to and someone to hide from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import update

from dinghuo.core.catalog.models import (
    Brand,
    Category,
    Product,
    ProductStatus,
    ProductVisibility,
    Sku,
    VisibilityScope,
)
from dinghuo.core.crm.models import Dealer


@dataclass
class SeededCatalog:
    """Ids of what was seeded, by code."""

    categories: dict[str, int] = field(default_factory=dict)
    brands: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)
    skus: dict[str, int] = field(default_factory=dict)


PHONE_VARIANTS = [
    ("MATE60P-BLK-256", "6941487200016", "雅丹黑", "12+256G", "5999.00", "6499.00"),
    ("MATE60P-BLK-512", "6941487200023", "雅丹黑", "12+512G", "6599.00", "6999.00"),
    ("MATE60P-SLV-256", "6941487200030", "白沙银", "12+256G", "5999.00", "6499.00"),
    ("MATE60P-SLV-512", "6941487200047", "白沙银", "12+512G", "6599.00", "6999.00"),
]


def seed_catalog(app: Flask, world) -> SeededCatalog:
    seeded = SeededCatalog()
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        session.execute(update(Dealer).where(Dealer.id == world.dealer_id).values(tier="A"))
        digital = Category(code="DIGITAL", name_zh="数码", name_en="Digital")
        session.add(digital)
        session.flush()
        phones = Category(code="PHONE", name_zh="手机", name_en="Phones", parent_id=digital.id)
        accessories = Category(
            code="ACC", name_zh="配件", name_en="Accessories", parent_id=digital.id, position=1
        )
        brand = Brand(code="DX", name="鼎新")
        session.add_all([phones, accessories, brand])
        session.flush()
        phone = Product(
            code="MATE60P",
            name_zh="鼎新 Mate 60 Pro",
            name_en="Dingxin Mate 60 Pro",
            model_number="ALN-AL00",
            brand_id=brand.id,
            category_id=phones.id,
            status=ProductStatus.ACTIVE,
            variant_axes=["颜色", "内存"],
        )
        charger = Product(
            code="CHG66",
            name_zh="66W 超级快充充电器",
            name_en="66W SuperCharge charger",
            model_number="HW-110600C00",
            brand_id=brand.id,
            category_id=accessories.id,
            status=ProductStatus.ACTIVE,
        )
        launch = Product(
            code="X7",
            name_zh="鼎新 X7 折叠屏",
            name_en="Dingxin X7 Fold",
            model_number="X7-FOLD",
            brand_id=brand.id,
            category_id=phones.id,
            status=ProductStatus.ACTIVE,
        )
        session.add_all([phone, charger, launch])
        session.flush()
        for position, (code, barcode, colour, memory, price, msrp) in enumerate(PHONE_VARIANTS):
            session.add(
                Sku(
                    product_id=phone.id,
                    code=code,
                    barcode=barcode,
                    variant={"颜色": colour, "内存": memory},
                    base_price=Decimal(price),
                    msrp=Decimal(msrp),
                    moq=1,
                    order_multiple=1,
                    weight_g=225,
                    position=position,
                )
            )
        session.add_all(
            [
                Sku(
                    product_id=charger.id,
                    code="CHG66-WHT",
                    barcode="6941487200108",
                    base_price=Decimal("99.00"),
                    msrp=Decimal("149.00"),
                    moq=10,
                    order_multiple=10,
                    weight_g=120,
                ),
                Sku(
                    product_id=launch.id,
                    code="X7-BLK-1T",
                    base_price=Decimal("11999.00"),
                    msrp=Decimal("12999.00"),
                    weight_g=253,
                ),
                ProductVisibility(product_id=launch.id, scope=VisibilityScope.TIER, value="A"),
            ]
        )
        session.flush()
        seeded.categories = {c.code: c.id for c in (digital, phones, accessories)}
        seeded.brands = {brand.code: brand.id}
        seeded.products = {p.code: p.id for p in (phone, charger, launch)}
        for product in (phone, charger, launch):
            session.refresh(product)
            seeded.skus.update({sku.code: sku.id for sku in product.skus})
    return seeded


@pytest.fixture
def catalog(app: Flask, acme) -> SeededCatalog:
    """Acme's catalog: a phone in four variants, a charger (MOQ 10), a tier-A-only launch."""
    return seed_catalog(app, acme)
