"""Carriers pushing tracking to ``POST /api/v1/carriers/<name>/tracking`` on the tenant's host.

No user credentials: the carrier plugin's signature check (here
``kuaidi100``'s MD5 of ``param + salt``, through ``dinghuo_parse_tracking_webhook``)
is the authentication.
"""

from __future__ import annotations

from fake_kuaidi100 import CUSTOMER, KEY, SALT, push_body
from sqlalchemy import func, select
from test_fulfilment import approved_order, order_status, ship

from dinghuo.core.fulfilment.models import TrackingEvent

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
STEPS = [
    ("2025-03-01 09:00:00", "揽收", "顺丰速运 已收取快件", "深圳市"),
    ("2025-03-01 21:40:00", "在途", "快件到达 【上海浦东转运中心】", "上海市"),
]
DELIVERED = ("2025-03-02 10:15:00", "签收", "已签收，签收人：本人", "上海市浦东新区")
URL = "/api/v1/carriers/kuaidi100/tracking"
KUAIDI100 = {"customer": CUSTOMER, "key": KEY, "company": "shunfeng"}


def stored_events(app, world) -> int:
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        return session.scalar(select(func.count()).select_from(TrackingEvent))


def test_a_signed_push_is_stored_once_on_its_shipment_and_timeline_and_unsigned_ones_nothing(
    app, acme, globex, shop, api, enable_plugin
):
    enable_plugin(acme, "kuaidi100", {**KUAIDI100, "salt": SALT})
    order = approved_order(app, acme, shop, {"CHG66-WHT": 10}, delivery_method="kuaidi100:express")
    shipment = ship(
        api, acme, order, shop.warehouses["SH"], {"CHG66-WHT": 10}, tracking_number="SF2001"
    ).json
    carrier = api(acme)  # no token: the carrier is nobody's user

    refused = {
        "unsigned": b"param=" + push_body("SF2001", STEPS).split(b"param=")[1].split(b"&")[0],
        "badly signed": push_body("SF2001", STEPS, salt="guessed"),
        "not a form": b"\x00\xff",
    }
    for why, body in refused.items():
        response = carrier.post(URL, data=body, headers=FORM)
        assert response.status_code == 401, why
        assert response.json["error"]["message"].startswith("The kuaidi100 push was refused")
    assert stored_events(app, acme) == 0

    accepted = carrier.post(URL, data=push_body("SF2001", STEPS), headers=FORM)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json == {
        "result": True,
        "returnCode": "200",
        "message": "ok",
        "received": 2,
        "stored": 2,
    }
    again = carrier.post(URL, data=push_body("SF2001", STEPS), headers=FORM)
    assert again.json["stored"] == 0 and stored_events(app, acme) == 2

    # Another tenant's host knows no such carrier, nor acme's parcel once it enables one.
    assert api(globex).post(URL, data=push_body("SF2001", STEPS), headers=FORM).status_code == 404
    enable_plugin(globex, "kuaidi100", {**KUAIDI100, "salt": "globex-salt"})
    foreign = api(globex).post(
        URL, data=push_body("SF2001", [*STEPS, DELIVERED], salt="globex-salt"), headers=FORM
    )
    assert foreign.json["received"] == 3 and foreign.json["stored"] == 0
    for name in ("nobody", "manual"):  # unknown, and a carrier that takes no pushes
        assert carrier.post(f"/api/v1/carriers/{name}/tracking", data=b"x").status_code == 404

    delivered = carrier.post(URL, data=push_body("SF2001", [*STEPS, DELIVERED]), headers=FORM)
    assert delivered.json["stored"] == 1
    seen = api(acme, "buyer").get(f"/api/v1/shipments/{shipment['id']}").json
    assert seen["status"] == "delivered" and seen["delivery_confirmed_by"] == "carrier"
    assert order_status(app, acme, order["id"]) == "delivered"
    timeline = api(acme, "buyer").get(f"/api/v1/orders/{order['id']}/timeline").json
    tracking = [e["message"] for e in timeline if e["kind"] == "tracking"]
    assert tracking == [
        f"{shipment['number']}: picked_up — 深圳市 — 顺丰速运 已收取快件",
        f"{shipment['number']}: in_transit — 上海市 — 快件到达 【上海浦东转运中心】",
        f"{shipment['number']}: delivered — 上海市浦东新区 — 已签收，签收人：本人",
    ]
