"""A dealer's view of the catalog over the API: its prices, its stock, only what it may see."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dinghuo.core.catalog.models import (
    ProductImage,
    ProductRelation,
    ProductSpec,
    RelationKind,
    SpecAttribute,
)
from dinghuo.core.inventory.service import create_warehouse, receive
from dinghuo.core.pricing.service import add_item, create_price_list, set_assignments


@pytest.fixture
def tier_a_prices(app, acme, catalog):
    """A tier-A list for the Mate 60 Pro 12+512G 雅丹黑 with breaks at 10 and 50 units."""
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        price_list = create_price_list(session, None, code="TIER-A", name="A 级价")
        set_assignments(session, None, price_list.id, [{"scope": "tier", "value": "A"}])
        sku_id = catalog.skus["MATE60P-BLK-512"]
        for min_qty, price in ((1, "6299.00"), (10, "6199.00"), (50, "6099.00")):
            add_item(
                session, None, price_list.id, sku_id=sku_id, min_qty=min_qty, price=Decimal(price)
            )
    return catalog


@pytest.fixture
def stocked(app, acme, catalog):
    """12 units of the black 512G in one warehouse; everything else out of stock."""
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        warehouse = create_warehouse(session, None, code="HZ", name="杭州仓")
        receive(
            session,
            None,
            warehouse_id=warehouse.id,
            sku_id=catalog.skus["MATE60P-BLK-512"],
            quantity=12,
        )
    return catalog


@pytest.fixture
def extras(app, acme, catalog):
    """Specs and a picture for the phone, the charger as its accessory and X7 as a replacement."""
    products = catalog.products
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        screen = SpecAttribute(
            category_id=catalog.categories["PHONE"],
            code="screen",
            name_zh="屏幕尺寸",
            name_en="Screen",
            unit="英寸",
            position=1,
        )
        chip = SpecAttribute(
            category_id=catalog.categories["PHONE"], code="chip", name_zh="芯片", position=0
        )
        session.add_all([screen, chip])
        session.flush()
        session.add_all(
            [
                ProductSpec(product_id=products["MATE60P"], attribute_id=screen.id, value="6.82"),
                ProductSpec(
                    product_id=products["MATE60P"], attribute_id=chip.id, value="麒麟 9000S"
                ),
                ProductImage(
                    product_id=products["MATE60P"],
                    storage_key=f"{acme.id}/mate60p.png",
                    content_type="image/png",
                ),
                ProductRelation(
                    product_id=products["MATE60P"],
                    related_id=products["CHG66"],
                    kind=RelationKind.ACCESSORY,
                ),
                ProductRelation(
                    product_id=products["MATE60P"],
                    related_id=products["X7"],
                    kind=RelationKind.REPLACEMENT,
                ),
            ]
        )
    return catalog


def test_a_tier_a_buyer_sees_its_tier_price_with_quantity_breaks(api, acme, tier_a_prices):
    response = api(acme, "buyer").get(
        f"/api/v1/catalog/products/{tier_a_prices.products['MATE60P']}"
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["model_number"] == "ALN-AL00"
    skus = {sku["code"]: sku for sku in body["skus"]}
    assert list(skus) == [
        "MATE60P-BLK-256",
        "MATE60P-BLK-512",
        "MATE60P-SLV-256",
        "MATE60P-SLV-512",
    ]
    black = skus["MATE60P-BLK-512"]
    assert black["variant"] == {"颜色": "雅丹黑", "内存": "12+512G"}
    assert black["price"]["unit_price"] == "6299.00"
    assert black["price"]["source"] == "tier"
    assert "price_list_code" not in black["price"], "dealers never see price lists"
    assert black["price"]["currency"] == "CNY"
    assert [(b["min_qty"], b["unit_price"]) for b in black["price"]["breaks"]] == [
        (1, "6299.00"),
        (10, "6199.00"),
        (50, "6099.00"),
    ]
    assert black["msrp"] == "6999.00"
    assert skus["MATE60P-BLK-256"]["price"]["unit_price"] == "5999.00"
    assert skus["MATE60P-BLK-256"]["price"]["source"] == "base"


def test_a_tier_c_buyer_gets_the_base_price(api, acme, tier_a_prices):
    response = api(acme, "other_buyer").get(
        f"/api/v1/catalog/products/{tier_a_prices.products['MATE60P']}"
    )
    black = next(s for s in response.json["skus"] if s["code"] == "MATE60P-BLK-512")
    assert black["price"]["unit_price"] == "6599.00"
    assert black["price"]["source"] == "base"
    assert black["price"]["breaks"] == []


def test_the_price_shown_is_the_price_at_the_skus_moq(api, acme, catalog):
    response = api(acme, "buyer").get(f"/api/v1/catalog/products/{catalog.products['CHG66']}")
    (charger,) = response.json["skus"]
    assert (charger["moq"], charger["order_multiple"]) == (10, 10)
    assert charger["price"]["quantity"] == 10


def test_availability_sums_the_warehouses(api, acme, stocked):
    response = api(acme, "buyer").get(f"/api/v1/catalog/products/{stocked.products['MATE60P']}")
    available = {sku["code"]: sku["available"] for sku in response.json["skus"]}
    assert available["MATE60P-BLK-512"] == 12
    assert available["MATE60P-SLV-256"] == 0


def test_a_product_hidden_from_the_dealer_is_not_found(api, acme, catalog):
    path = f"/api/v1/catalog/products/{catalog.products['X7']}"
    assert api(acme, "buyer").get(path).status_code == 200
    hidden = api(acme, "other_buyer").get(path)
    assert hidden.status_code == 404


def test_another_tenants_product_is_not_found(api, acme, globex, catalog):
    path = f"/api/v1/catalog/products/{catalog.products['MATE60P']}"
    assert api(globex, "buyer").get(path).status_code == 404


def test_specs_images_and_related_products_that_the_dealer_may_see(api, acme, extras):
    path = f"/api/v1/catalog/products/{extras.products['MATE60P']}"
    body = api(acme, "buyer").get(path).json
    assert [(s["code"], s["value"], s["unit"]) for s in body["specs"]] == [
        ("chip", "麒麟 9000S", ""),
        ("screen", "6.82", "英寸"),
    ]
    assert body["images"][0]["url"].startswith("/catalog/images/")
    assert [(r["code"], r["kind"]) for r in body["related"]] == [
        ("CHG66", "accessory"),
        ("X7", "replacement"),
    ]
    assert body["related"][0]["from_price"] == "99.00"
    tier_c = api(acme, "other_buyer").get(path).json
    assert [r["code"] for r in tier_c["related"]] == ["CHG66"]


def test_staff_see_base_prices_or_what_a_named_dealer_sees(api, acme, tier_a_prices):
    path = f"/api/v1/catalog/products/{tier_a_prices.products['MATE60P']}"
    sales = api(acme, "sales")
    base = sales.get(path).json
    assert {s["price"]["source"] for s in base["skus"]} == {"base"}
    as_dealer = sales.get(path, query_string={"dealer_id": acme.dealer_id}).json
    black = next(s for s in as_dealer["skus"] if s["code"] == "MATE60P-BLK-512")
    assert black["price"]["unit_price"] == "6299.00"
    launch = f"/api/v1/catalog/products/{tier_a_prices.products['X7']}"
    assert sales.get(launch, query_string={"dealer_id": acme.other_dealer_id}).status_code == 404


def test_a_dealer_cannot_look_through_another_dealers_eyes(api, acme, catalog):
    path = f"/api/v1/catalog/products/{catalog.products['X7']}"
    response = api(acme, "other_buyer").get(path, query_string={"dealer_id": acme.dealer_id})
    assert response.status_code == 404


def test_signing_in_is_required(api, acme, catalog):
    path = f"/api/v1/catalog/products/{catalog.products['MATE60P']}"
    assert api(acme).get(path).status_code == 401
    assert api(acme).get("/api/v1/catalog/categories").status_code == 401


def test_the_category_tree_counts_what_the_dealer_may_see(api, acme, catalog):
    tree = api(acme, "buyer").get("/api/v1/catalog/categories").json
    (digital,) = tree
    assert (digital["code"], digital["product_count"]) == ("DIGITAL", 3)
    assert [(c["code"], c["product_count"]) for c in digital["children"]] == [
        ("PHONE", 2),
        ("ACC", 1),
    ]
    tier_c = api(acme, "other_buyer").get("/api/v1/catalog/categories").json
    assert tier_c[0]["product_count"] == 2
    assert tier_c[0]["children"][0]["product_count"] == 1


def test_a_bad_dealer_id_names_the_field(api, acme, catalog):
    response = api(acme, "sales").get("/api/v1/catalog/categories", query_string={"dealer_id": "x"})
    assert response.status_code == 422
    assert "dealer_id" in str(response.json)
