"""The example carrier in a throwaway Dinghuo: quotes at checkout, a booked shipment, a label."""

from decimal import Decimal

import pytest
from dinghuo.errors import ValidationFailed

from dinghuo_carrier_example import plugin

SETTINGS = {"account": "ACME-001", "api_key": "s3cret"}


def test_freight_follows_weight_and_province_and_remote_provinces_get_no_express(dinghuo_shop):
    dinghuo_shop.enable(plugin, SETTINGS)

    # 2 phones (450 g) → one kilogram; a laptop and a phone (1,675 g) → two.
    light = dinghuo_shop.delivery_options({"PHONE-BLK-128": 2}, dealer="D001")
    heavy = dinghuo_shop.delivery_options({"LAPTOP-14": 1, "PHONE-BLK-128": 1}, dealer="D002")
    remote = dinghuo_shop.delivery_options({"PHONE-BLK-128": 2}, dealer="D003")

    assert light["example-carrier:standard"].freight == Decimal("12.00")
    assert light["example-carrier:express"].freight == Decimal("24.00")
    assert heavy["example-carrier:standard"].freight == Decimal("14.00")
    assert remote["example-carrier:standard"].freight == Decimal("32.00")
    assert remote["example-carrier:standard"].estimated_days == 6
    assert "example-carrier:express" not in remote
    assert "pickup" in light  # the platform's own option stays


def test_the_tenant_must_give_an_account_and_key_and_amounts_are_checked(dinghuo_shop):
    with pytest.raises(ValidationFailed) as refused:
        dinghuo_shop.enable(plugin, {})
    assert set(refused.value.fields) == {"settings.account", "settings.api_key"}

    dinghuo_shop.enable(plugin, {**SETTINGS, "first_kg": "twelve"})
    options = dinghuo_shop.delivery_options({"PHONE-BLK-128": 1})
    assert list(options) == ["pickup"]  # a misconfigured carrier quotes nothing, never wrongly


def test_an_order_shipped_with_the_carrier_gets_its_tracking_number_and_pdf_label(dinghuo_shop):
    dinghuo_shop.enable(plugin, SETTINGS)
    order = dinghuo_shop.place_order(
        {"PHONE-BLK-128": 2}, delivery_method="example-carrier:express"
    )
    assert order.freight == Decimal("24.00")

    shipment = dinghuo_shop.ship(order)

    assert shipment.carrier == "example-carrier"
    assert shipment.tracking_number == plugin.tracking_number("ACME-001", "s3cret", shipment.number)
    label, content_type = dinghuo_shop.label(shipment)
    assert content_type == "application/pdf"
    assert label.startswith(b"%PDF-1.4") and shipment.tracking_number.encode() in label
