"""A small 3C catalog in a tenant, for tests of catalog, prices, stock and ordering.

``catalog`` seeds acme; ``seed_catalog(world)`` seeds any world. Acme's dealer
D001 becomes tier A (D002 stays tier C), so tier prices and tier-only
products have someone to show to and someone to hide from. Seeding goes
through the catalog services, so the products are also indexed for search.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import Flask

from dinghuo.core.catalog import service
from dinghuo.core.catalog.models import ProductStatus
from dinghuo.core.crm.service import update_dealer


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
    """Seed through the catalog services, so the products are validated and indexed for search."""
    seeded = SeededCatalog()
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        update_dealer(session, None, world.dealer_id, tier="A")
        digital = service.create_category(
            session, None, code="DIGITAL", name_zh="数码", name_en="Digital"
        )
        phones = service.create_category(
            session, None, code="PHONE", name_zh="手机", name_en="Phones", parent_id=digital.id
        )
        accessories = service.create_category(
            session, None, code="ACC", name_zh="配件", name_en="Accessories", parent_id=digital.id
        )
        brand = service.create_brand(session, None, code="DX", name="鼎新")
        phone = service.create_product(
            session,
            None,
            code="MATE60P",
            name_zh="鼎新 Mate 60 Pro",
            name_en="Dingxin Mate 60 Pro",
            model_number="ALN-AL00",
            brand_id=brand.id,
            category_id=phones.id,
            status=ProductStatus.ACTIVE,
            variant_axes=["颜色", "内存"],
            skus=[
                {
                    "code": code,
                    "barcode": barcode,
                    "variant": {"颜色": colour, "内存": memory},
                    "base_price": price,
                    "msrp": msrp,
                    "weight_g": 225,
                }
                for code, barcode, colour, memory, price, msrp in PHONE_VARIANTS
            ],
        )
        charger = service.create_product(
            session,
            None,
            code="CHG66",
            name_zh="66W 超级快充充电器",
            name_en="66W SuperCharge charger",
            model_number="HW-110600C00",
            brand_id=brand.id,
            category_id=accessories.id,
            status=ProductStatus.ACTIVE,
            skus=[
                {
                    "code": "CHG66-WHT",
                    "barcode": "6941487200108",
                    "base_price": "99.00",
                    "msrp": "149.00",
                    "moq": 10,
                    "order_multiple": 10,
                    "weight_g": 120,
                }
            ],
        )
        launch = service.create_product(
            session,
            None,
            code="X7",
            name_zh="鼎新 X7 折叠屏",
            name_en="Dingxin X7 Fold",
            model_number="X7-FOLD",
            brand_id=brand.id,
            category_id=phones.id,
            status=ProductStatus.ACTIVE,
            skus=[
                {
                    "code": "X7-BLK-1T",
                    "base_price": "11999.00",
                    "msrp": "12999.00",
                    "weight_g": 253,
                }
            ],
        )
        service.set_visibility(session, None, launch.id, [{"scope": "tier", "value": "A"}])
        seeded.categories = {c.code: c.id for c in (digital, phones, accessories)}
        seeded.brands = {brand.code: brand.id}
        seeded.products = {p.code: p.id for p in (phone, charger, launch)}
        for product in (phone, charger, launch):
            seeded.skus.update({sku.code: sku.id for sku in product.skus})
    return seeded


@pytest.fixture
def catalog(app: Flask, acme) -> SeededCatalog:
    """Acme's catalog: a phone in four variants, a charger (MOQ 10), a tier-A-only launch."""
    return seed_catalog(app, acme)
