"""Serial numbers and IMEIs: the format rules, and "who got this unit" for staff and dealers."""

from __future__ import annotations

import pytest
from test_fulfilment import IMEIS, approved_order, ship

from dinghuo.core.fulfilment import serials
from dinghuo.errors import ValidationFailed


def test_serials_are_normalised_and_a_15_digit_imei_must_pass_its_check_digit():
    assert serials.parse_pasted(" 356938035643809\r\n490154203237518, sn-ab 12\t") == [
        "356938035643809",
        "490154203237518",
        "SN-AB",
        "12",
    ]
    assert serials.problem("356938035643809") is None
    assert "check digit" in serials.problem("356938035643808")
    assert serials.problem("SN-0001") is None and serials.problem("12345678901234") is None
    assert serials.problem("A" * 65) and serials.problem("ÄBC") and serials.problem("-X")
    with pytest.raises(ValidationFailed) as refused:
        serials.check_serials("serials", ["sn-1", "SN-1"])
    assert "serials.1" in refused.value.fields


def test_staff_trace_a_serial_to_its_dealer_and_a_dealer_sees_only_their_own_units(
    app, acme, globex, shop, api
):
    order = approved_order(app, acme, shop, {"MATE60P-BLK-256": 2})
    shipment = ship(
        api,
        acme,
        order,
        shop.warehouses["SH"],
        {"MATE60P-BLK-256": (2, IMEIS[:2])},
        tracking_number="SF77",
    ).json

    trace = api(acme, "finance").get(f"/api/v1/serials/{IMEIS[0]}")
    assert trace.status_code == 200
    assert trace.json["dealer_code"] == "D001"
    assert trace.json["order_number"] == order["number"]
    assert trace.json["shipment_number"] == shipment["number"]
    assert trace.json["sku_code"] == "MATE60P-BLK-256"
    assert trace.json["tracking_number"] == "SF77"

    assert api(acme, "buyer").get(f"/api/v1/serials/{IMEIS[1]}").status_code == 200
    assert api(acme, "other_buyer").get(f"/api/v1/serials/{IMEIS[1]}").status_code == 404
    assert api(globex, "owner").get(f"/api/v1/serials/{IMEIS[1]}").status_code == 404
    assert api(acme, "owner").get(f"/api/v1/serials/{IMEIS[2]}").status_code == 404

    found = api(acme, "sales").get("/api/v1/serials", query_string={"q": IMEIS[0][:6]}).json
    assert [item["serial"] for item in found["items"]] == [IMEIS[0]]
    short = api(acme, "sales").get("/api/v1/serials", query_string={"q": "356"})
    assert short.status_code == 422 and "q" in short.json["error"]["fields"]
