"""Carrier plugins at checkout: quotes from the enabled carriers, frozen freight, contained failures.

Exercises ``dinghuo_freight_quotes`` (through checkout and submission) and
``dinghuo_create_shipment`` (the built-in carriers' booking) of the built-in
``manual`` and ``flat_rate`` plugins, and of test carriers that misbehave.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from dinghuo.core.catalog.models import Sku
from dinghuo.plugins import (
    Address,
    FreightQuote,
    Parcel,
    PluginInfo,
    ShipmentRequest,
    TenantRef,
    hookimpl,
)


class Carrier:
    """A test carrier quoting what it is told to, or failing."""

    def __init__(self, name, quotes=None, fail=False):
        self.name, self.quotes, self.fail = name, quotes or [], fail

    @hookimpl
    def dinghuo_plugin_info(self):
        return PluginInfo(name=self.name, version="0.1.0", api_versions=">=1.1,<2")

    @hookimpl
    def dinghuo_freight_quotes(self, request):
        if self.fail:
            raise ConnectionError("carrier API down")
        return self.quotes


def _options(api, world, address_id, who="buyer"):
    response = api(world, who).get(
        "/api/v1/checkout/delivery-options", query_string={"address_id": address_id}
    )
    assert response.status_code == 200, response.json
    return {option["code"]: option for option in response.json}


def _weigh(db, world, sku_id, grams):
    with db.transaction(world.id) as session:
        session.execute(update(Sku).where(Sku.id == sku_id).values(weight_g=grams))


def test_checkout_offers_pickup_and_the_enabled_carriers_quotes_and_the_order_freezes_freight(
    api, acme, shop, db, enable_plugin
):
    phone = shop.skus["MATE60P-BLK-256"]
    _weigh(db, acme, phone, 600)
    address = shop.addresses["D001"]
    buyer = api(acme, "buyer")
    buyer.post("/api/v1/cart/items", json={"items": [{"sku_id": phone, "quantity": 3}]})
    assert list(_options(api, acme, address)) == ["pickup"]

    enable_plugin(acme, "manual", {"freight": "20", "label": "品牌车队", "estimated_days": 2})
    enable_plugin(acme, "flat_rate", {"amount": "15", "per_kg": "2", "free_over": "50000"})
    options = _options(api, acme, address)

    assert options["pickup"] == {
        "code": "pickup",
        "label": "自提",
        "freight": "0.00",
        "estimated_days": None,
    }
    assert options["manual:standard"]["freight"] == "20.00"
    assert options["manual:standard"]["label"] == "品牌车队"
    # 3 × 600 g = 1.8 kg: two started kilograms at 2 yuan on top of 15.
    assert options["flat_rate:standard"]["freight"] == "19.00"
    assert options["flat_rate:standard"]["estimated_days"] == 3

    order = buyer.post(
        "/api/v1/orders",
        json={"ship_to_address_id": address, "delivery_method": "flat_rate:standard"},
        headers={"Idempotency-Key": "freight-1"},
    ).json
    assert order["freight"] == "19.00" and order["delivery_label"] == "标准快递"
    assert Decimal(order["total"]) == Decimal("5999.00") * 3 + Decimal("19.00")

    buyer.post("/api/v1/cart/items", json={"items": [{"sku_id": phone, "quantity": 9}]})
    assert _options(api, acme, address)["flat_rate:standard"]["freight"] == "0.00"  # free over 50k
    other_dealers = api(acme, "buyer").get(
        "/api/v1/checkout/delivery-options", query_string={"address_id": shop.addresses["D002"]}
    )
    assert other_dealers.status_code == 422
    assert "ship_to_address_id" in other_dealers.json["error"]["fields"]


def test_a_failing_or_misbehaving_carrier_is_left_out_and_the_others_still_quote(
    api, acme, shop, plugin_host, enable_plugin, caplog
):
    plugin_host.register(Carrier("down", fail=True), source="test")
    plugin_host.register(
        Carrier(
            "sloppy",
            [
                FreightQuote("express", "顺丰特快", Decimal("-5")),
                FreightQuote("economy", "经济", 12.5),
                FreightQuote("bad service!", "x", Decimal("1")),
                FreightQuote("usd", "In dollars", Decimal("3"), currency="USD"),
                FreightQuote("ground", "陆运", Decimal("8.456")),
            ],
        ),
        source="test",
    )
    for name in ("down", "sloppy", "manual"):
        enable_plugin(acme, name)
    api(acme, "buyer").post(
        "/api/v1/cart/items",
        json={"items": [{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1}]},
    )

    options = _options(api, acme, shop.addresses["D001"])

    assert sorted(options) == ["manual:standard", "pickup", "sloppy:ground"]
    assert options["sloppy:ground"]["freight"] == "8.46"
    assert options["manual:standard"]["freight"] == "0.00"
    assert "plugin down failed in dinghuo_freight_quotes" in caplog.text
    assert "quote dropped" in caplog.text
    refused = api(acme, "buyer").post(
        "/api/v1/orders",
        json={"ship_to_address_id": shop.addresses["D001"], "delivery_method": "sloppy:express"},
        headers={"Idempotency-Key": "k"},
    )
    assert refused.status_code == 422 and "delivery_method" in refused.json["error"]["fields"]


def test_a_carrier_setting_that_is_not_an_amount_makes_it_offer_nothing(
    api, acme, shop, enable_plugin
):
    enable_plugin(acme, "flat_rate", {"amount": "fifteen"})
    api(acme, "buyer").post(
        "/api/v1/cart/items",
        json={"items": [{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1}]},
    )
    assert list(_options(api, acme, shop.addresses["D001"])) == ["pickup"]


def test_built_in_carriers_book_shipments_with_the_tracking_number_staff_typed(plugin_host):
    def request(tracking):
        return ShipmentRequest(
            tenant=TenantRef(1, "acme", "Acme"),
            shipment_number="SH-000007",
            order_number="SO-000001",
            service="standard",
            destination=Address("王经理", "13800138000", "上海市", "上海市", "世纪大道 100 号"),
            parcels=(Parcel(weight_grams=1800),),
            declared_value=Decimal("17997.00"),
            items=(),
            tracking_number=tracking,
        )

    typed = plugin_host.call_each("dinghuo_create_shipment", request=request(" SF1234567890 "))
    blank = plugin_host.call_each("dinghuo_create_shipment", request=request(""))

    by_plugin = {outcome.plugin: outcome for outcome in typed}
    assert by_plugin["manual"].result.tracking_number == "SF1234567890"
    assert by_plugin["flat_rate"].result.tracking_number == "SF1234567890"
    blank_by_plugin = {outcome.plugin: outcome for outcome in blank}
    assert "type the tracking number" in str(blank_by_plugin["manual"].error)
    assert blank_by_plugin["flat_rate"].result.tracking_number == "SH-000007"
