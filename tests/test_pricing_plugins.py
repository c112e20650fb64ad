"""The built-in pricing plugins: tier discounts and contract prices, through the pricing hook.

Both are plain plugins (public API only): a tenant enables and configures them,
their adjustments show on cart lines with a label the dealer reads and are
frozen on the submitted order's lines; another tenant never sees them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fixtures_catalog import seed_catalog
from sqlalchemy import select

from dinghuo.plugins import (
    DealerRef,
    PluginInfo,
    PricingLine,
    PricingRequest,
    TenantRef,
    hookimpl,
)
from dinghuo.plugins.models import PluginSetting
from dinghuo.plugins.pricing import contract_price, tier_discount

CART = {
    "items": [{"code": "MATE60P-BLK-256", "quantity": 2}, {"code": "CHG66-WHT", "quantity": 10}]
}
CONTRACTS = (
    "D001,MATE60P-BLK-256,5799.00,HT-2026-001\nd001，chg66-wht，120\nD002,MATE60P-BLK-256,5000"
)


def configure(api, world, name, body):
    return api(world, "owner").put(f"/api/v1/plugins/{name}", json=body)


def adjustments(cart_or_order):
    return {line["sku_code"]: line["adjustments"] for line in cart_or_order["lines"]}


def test_tier_discount_and_contract_prices_show_in_the_cart_and_are_frozen_on_the_order(
    app, acme, globex, api, catalog, shop
):
    tier = {"discounts": "A=5, B=3", "category_ids": str(catalog.categories["ACC"])}
    for name, settings in (("tier_discount", tier), ("contract_price", {"prices": CONTRACTS})):
        response = configure(api, acme, name, {"enabled": True, "settings": settings})
        assert response.status_code == 200, response.json
    buyer = api(acme, "buyer")
    assert buyer.post("/api/v1/cart/items", json=CART).status_code == 200

    cart = buyer.get("/api/v1/cart").json
    phone_contract = {
        "source": "contract_price",
        "code": "contract:HT-2026-001",
        "label": "合同价 5799.00（HT-2026-001）",
        "amount": "-400.00",
    }
    charger_tier = {
        "source": "tier_discount",
        "code": "tier-discount:A",
        "label": "A 级经销商折扣 5%",
        "amount": "-49.50",
    }
    # The charger's contract price (120) is above its price (99): a contract never raises one.
    # The tier discount is limited to accessories, so the phone gets only its contract price.
    assert adjustments(cart) == {"MATE60P-BLK-256": [phone_contract], "CHG66-WHT": [charger_tier]}
    assert cart["subtotal"] == "12988.00" and cart["adjustments_total"] == "-449.50"

    submitted = buyer.post(
        "/api/v1/orders",
        json={
            "ship_to_address_id": shop.addresses["D001"],
            "delivery_method": "pickup",
            "expected_total": "12538.50",
        },
        headers={"Idempotency-Key": "pricing-plugins-1"},
    )
    assert submitted.status_code == 201, submitted.json
    order_id = submitted.json["id"]

    # Disabled, a plugin adjusts nothing more; the submitted order keeps what it was priced at.
    configure(api, acme, "tier_discount", {"enabled": False})
    assert buyer.post("/api/v1/cart/items", json=CART).status_code == 200
    assert adjustments(buyer.get("/api/v1/cart").json) == {
        "MATE60P-BLK-256": [phone_contract],
        "CHG66-WHT": [],
    }
    configure(api, acme, "contract_price", {"enabled": False})
    assert adjustments(buyer.get("/api/v1/cart").json) == {"MATE60P-BLK-256": [], "CHG66-WHT": []}
    order = buyer.get(f"/api/v1/orders/{order_id}").json
    assert adjustments(order) == {"MATE60P-BLK-256": [phone_contract], "CHG66-WHT": [charger_tier]}
    assert order["adjustments_total"] == "-449.50" and order["total"] == "12538.50"

    # Globex has the same catalog and a tier-A dealer D001, but enabled nothing.
    configure(api, acme, "tier_discount", {"enabled": True})
    seed_catalog(app, globex)
    globex_buyer = api(globex, "buyer")
    assert globex_buyer.post("/api/v1/cart/items", json=CART).status_code == 200
    assert adjustments(globex_buyer.get("/api/v1/cart").json) == {
        "MATE60P-BLK-256": [],
        "CHG66-WHT": [],
    }


def test_bad_settings_are_refused_naming_the_field_and_nothing_is_saved(acme, api, db):
    cases = [
        ("tier_discount", {"discounts": "A5"}, "settings.discounts", "TIER=PERCENT"),
        ("tier_discount", {"discounts": "A=5, a=3"}, "settings.discounts", "listed twice"),
        ("tier_discount", {"discounts": "A=120"}, "settings.discounts", "less than 100"),
        ("tier_discount", {"discounts": "B=2.555"}, "settings.discounts", "two decimals"),
        (
            "tier_discount",
            {"discounts": "A=5", "category_ids": "手机"},
            "settings.category_ids",
            "not a category id",
        ),
        ("tier_discount", {"category_ids": "12"}, "settings.discounts", "Required to enable"),
        ("contract_price", {"prices": "D001,MATE60P-BLK-256"}, "settings.prices", "Line 1"),
        (
            "contract_price",
            {"prices": "D001,X,1\n\nD001,x,2"},
            "settings.prices",
            "already on line 1",
        ),
        ("contract_price", {"prices": "D001,X,-1"}, "settings.prices", "more than zero"),
        ("contract_price", {"prices": "D001,X,1.001"}, "settings.prices", "two decimals"),
    ]
    for name, settings, field, reason in cases:
        response = configure(api, acme, name, {"enabled": True, "settings": settings})
        assert response.status_code == 422, (settings, response.json)
        assert list(response.json["error"]["fields"]) == [field], response.json
        assert reason in response.json["error"]["fields"][field][0], response.json
    saving_disabled = configure(
        api, acme, "contract_price", {"enabled": False, "settings": {"prices": "nonsense"}}
    )
    assert saving_disabled.status_code == 422
    with db.transaction(acme.id) as session:
        assert session.scalars(select(PluginSetting)).all() == []


class Grumpy:
    """A plugin whose dinghuo_validate_settings raises (or answers garbage): nothing is saved."""

    def __init__(self, answer):
        self.answer = answer

    @hookimpl
    def dinghuo_plugin_info(self):
        return PluginInfo(name="grumpy", version="0.1.0", api_versions=">=1.1,<2")

    @hookimpl
    def dinghuo_validate_settings(self, settings):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_a_settings_check_that_raises_or_answers_garbage_refuses_the_settings(
    acme, api, plugin_host
):
    plugin = Grumpy(RuntimeError("boom"))
    plugin_host.register(plugin, source="test")
    for answer in (RuntimeError("boom"), ["not", "a", "mapping"], {"colour": ""}):
        plugin.answer = answer
        response = configure(api, acme, "grumpy", {"enabled": True})
        assert response.status_code == 422, response.json
        assert list(response.json["error"]["fields"]) == ["settings"]
    plugin.answer = {"colour": "Not a field of mine, said under settings."}
    assert configure(api, acme, "grumpy", {"enabled": True}).json["error"]["fields"] == {
        "settings": ["Not a field of mine, said under settings."]
    }
    plugin.answer = {}
    assert configure(api, acme, "grumpy", {"enabled": True}).status_code == 200


def line(line_no, sku_code, unit_price, *, quantity=1, brand="鼎新", category_id=2, source="base"):
    price = Decimal(unit_price)
    return PricingLine(
        line_no=line_no,
        sku_id=line_no,
        sku_code=sku_code,
        product_id=line_no,
        category_id=category_id,
        brand=brand,
        quantity=quantity,
        list_price=price,
        unit_price=price,
        price_source=source,
    )


def request_for(dealer_code, tier, *lines):
    return PricingRequest(
        tenant=TenantRef(1, "acme", "Acme"),
        dealer=DealerRef(id=1, code=dealer_code, tier=tier),
        lines=lines,
        currency="CNY",
        on=dt.date(2026, 11, 27),
    )


def test_the_rules_each_plugin_applies_line_by_line():
    lines = (
        line(1, "PHONE", "100.00", quantity=3),
        line(2, "CASE", "33.33", brand="Apple", category_id=7),
        line(3, "CONTRACTED", "50.00", source="contract"),
    )
    settings = {"discounts": "A=2.5；VIP=10%", "brands": "apple, 鼎新", "category_ids": "2, 7"}
    by_tier = tier_discount.dinghuo_price_adjustments(request_for("D9", "VIP", *lines), settings)
    assert [(a.line_no, a.amount, a.label) for a in by_tier] == [
        (1, Decimal("-30.00"), "VIP 级经销商折扣 10%"),
        (2, Decimal("-3.33"), "VIP 级经销商折扣 10%"),
    ]
    half = tier_discount.dinghuo_price_adjustments(
        request_for("D9", "A", *lines),
        {**settings, "skip_contract_prices": False, "brands": "Apple"},
    )
    assert [(a.line_no, a.amount, a.label) for a in half] == [
        (2, Decimal("-0.83"), "A 级经销商折扣 2.5%")
    ]
    assert tier_discount.dinghuo_price_adjustments(request_for("D9", "C", *lines), settings) == []

    prices = {"prices": "D9\tphone\t90\nD9,CASE,40,HT-1\nD8,CONTRACTED,1\n"}
    agreed = contract_price.dinghuo_price_adjustments(request_for("d9", "C", *lines), prices)
    assert [(a.line_no, a.code, a.amount, a.label) for a in agreed] == [
        (1, "contract:d9", Decimal("-30.00"), "合同价 90.00")
    ]
