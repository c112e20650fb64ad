"""The example carrier package (examples/plugins/dinghuo-carrier-example), pip-installed as
a third party's plugin would be: found through its entry point, enabled and configured per
tenant over the API, quoting at checkout and booking the shipment of the order it won."""

from __future__ import annotations

from decimal import Decimal

import pytest

EXAMPLE = "example-carrier"
INSTALL = "pip install -e examples/plugins/dinghuo-carrier-example (make test does it)"


def test_the_installed_example_carrier_is_discovered_enabled_per_tenant_and_quotes_at_checkout(
    api, acme, globex, shop, plugin_host
):
    plugin_host.load_entry_points()
    loaded = plugin_host.get(EXAMPLE)
    if loaded is None:
        pytest.fail(f"the example carrier was not discovered: {INSTALL}")
    assert "dinghuo-carrier-example 1.0.0" in loaded.source
    from dinghuo_carrier_example import plugin

    url = f"/api/v1/plugins/{EXAMPLE}"
    owner = api(acme, "owner")
    refused = owner.put(url, json={"enabled": True, "settings": {"first_kg": "-1"}})
    assert refused.status_code == 422
    assert set(refused.json["error"]["fields"]) >= {"settings.account", "settings.api_key"}
    configured = owner.put(
        url,
        json={"enabled": True, "settings": {"account": "ACME-001", "api_key": "s3cret"}},
    )
    assert configured.status_code == 200, configured.json
    assert configured.json["secrets"] == {"api_key": "set"}
    assert api(globex, "owner").get(url).json["enabled"] is False

    buyer = api(acme, "buyer")
    added = buyer.post(
        "/api/v1/cart/items", json={"items": [{"code": "MATE60P-BLK-256", "quantity": 2}]}
    )
    assert added.status_code in (200, 201), added.json
    options = buyer.get(
        "/api/v1/checkout/delivery-options", query_string={"address_id": shop.addresses["D001"]}
    )
    assert options.status_code == 200, options.json
    freight = {o["code"]: Decimal(o["freight"]) for o in options.json}
    # Two 225 g phones to Shanghai: the first kilogram's price; express twice that.
    assert freight == {
        "pickup": Decimal("0"),
        f"{EXAMPLE}:standard": Decimal("12.00"),
        f"{EXAMPLE}:express": Decimal("24.00"),
    }

    submitted = buyer.post(
        "/api/v1/orders",
        json={
            "ship_to_address_id": shop.addresses["D001"],
            "delivery_method": f"{EXAMPLE}:express",
        },
        headers={"Idempotency-Key": "example-carrier-1"},
    )
    assert submitted.status_code == 201, submitted.json
    order = submitted.json
    assert Decimal(order["freight"]) == Decimal("24.00")
    approved = api(acme, "sales").post(f"/api/v1/orders/{order['id']}/approve", json={})
    assert approved.status_code == 200, approved.json
    [line] = order["lines"]
    shipped = api(acme, "warehouse").post(
        f"/api/v1/orders/{order['id']}/shipments",
        json={
            "warehouse_id": shop.warehouses["SH"],
            "lines": [{"line_id": line["id"], "quantity": 2, "serials": []}],
        },
    )
    assert shipped.status_code == 201, shipped.json
    assert shipped.json["carrier"] == EXAMPLE
    assert shipped.json["tracking_number"] == plugin.tracking_number(
        "ACME-001", "s3cret", shipped.json["number"]
    )
