"""A tenant ready to take orders: acme's catalog in stock in two warehouses, addresses.

``shop`` gives ids by name: warehouses ``SH`` (Shanghai, plenty) and ``GZ``
(Guangzhou, a little), each SKU's stock, and each dealer's default ship-to
address; D002 also gets a second address so "another dealer's address" has
something to point at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from flask import Flask

from dinghuo.core.crm.service import add_address
from dinghuo.core.inventory import service as inventory

STOCK = {
    "SH": {
        "MATE60P-BLK-256": 200,
        "MATE60P-BLK-512": 100,
        "MATE60P-SLV-256": 50,
        "MATE60P-SLV-512": 0,
        "CHG66-WHT": 1000,
        "X7-BLK-1T": 5,
    },
    "GZ": {"MATE60P-BLK-256": 20, "MATE60P-SLV-512": 8, "CHG66-WHT": 100},
}


@dataclass
class Shop:
    """What ``shop`` seeded, by code; ``skus`` are the catalog's SKU ids."""

    skus: dict[str, int]
    products: dict[str, int]
    warehouses: dict[str, int] = field(default_factory=dict)
    addresses: dict[str, int] = field(default_factory=dict)
    """``"D001"``, ``"D002"`` → that dealer's default ship-to address id."""


def stock_shop(app: Flask, world, catalog) -> Shop:
    shop = Shop(skus=dict(catalog.skus), products=dict(catalog.products))
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        for code, name, region in (("SH", "上海仓", "华东"), ("GZ", "广州仓", "华南")):
            warehouse = inventory.create_warehouse(
                session, None, code=code, name=name, region=region
            )
            shop.warehouses[code] = warehouse.id
            for sku_code, quantity in STOCK[code].items():
                if quantity:
                    inventory.receive(
                        session,
                        None,
                        warehouse_id=warehouse.id,
                        sku_id=catalog.skus[sku_code],
                        quantity=quantity,
                        reason="opening stock",
                    )
        for key, dealer_id, city in (
            ("D001", world.dealer_id, "上海市"),
            ("D002", world.other_dealer_id, "广州市"),
        ):
            address = add_address(
                session,
                None,
                dealer_id,
                kind="ship_to",
                recipient="王经理",
                phone="13800138000",
                province="上海市" if key == "D001" else "广东省",
                city=city,
                district="浦东新区" if key == "D001" else "天河区",
                street="世纪大道 100 号" if key == "D001" else "天河路 200 号",
                is_default=True,
            )
            shop.addresses[key] = address.id
    return shop


@pytest.fixture
def shop(app: Flask, acme, catalog) -> Shop:
    """Acme with its catalog in stock (SH, GZ) and a default ship-to address per dealer."""
    return stock_shop(app, acme, catalog)
