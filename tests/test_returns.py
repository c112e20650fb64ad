"""Returns (RMA): dealers send delivered units back; staff decide; received units are restocked."""

from __future__ import annotations

from sqlalchemy import select
from test_fulfilment import IMEIS, approved_order, level, ship

from dinghuo.core.fulfilment.models import ShippedSerial
from dinghuo.core.inventory.models import MovementKind, StockMovement
from dinghuo.core.orders.models import OrderLine
from dinghuo.platform.events.models import OutboxEvent


def delivered_order(app, world, shop, api) -> dict:
    """An order of 3 phones (with IMEIs) and 20 chargers, shipped from SH and delivered."""
    order = approved_order(app, world, shop, {"MATE60P-BLK-256": 3, "CHG66-WHT": 20})
    shipment = ship(
        api,
        world,
        order,
        shop.warehouses["SH"],
        {"MATE60P-BLK-256": (3, IMEIS), "CHG66-WHT": 20},
        tracking_number="SF1",
    )
    assert shipment.status_code == 201, shipment.json
    api(world, "buyer").post(f"/api/v1/shipments/{shipment.json['id']}/deliver", json={})
    return order


def test_a_dealer_returns_delivered_units_and_resalable_ones_go_back_on_hand(app, acme, shop, api):
    order = delivered_order(app, acme, shop, api)
    sh, phone, charger = shop.warehouses["SH"], shop.skus["MATE60P-BLK-256"], shop.skus["CHG66-WHT"]
    asked = api(acme, "buyer").post(
        "/api/v1/returns",
        json={
            "order_id": order["id"],
            "reason": "屏幕坏点",
            "lines": [
                {
                    "line_id": order["lines"]["MATE60P-BLK-256"],
                    "quantity": 1,
                    "serials": [IMEIS[1]],
                },
                {"line_id": order["lines"]["CHG66-WHT"], "quantity": 5, "reason": "多发了"},
            ],
        },
    )
    assert asked.status_code == 201, asked.json
    rma = asked.json
    assert rma["number"] == "RMA-000001" and rma["status"] == "requested"

    # What is already asked for cannot be asked for again.
    again = api(acme, "buyer").post(
        "/api/v1/returns",
        json={
            "order_id": order["id"],
            "reason": "again",
            "lines": [{"line_id": order["lines"]["CHG66-WHT"], "quantity": 16}],
        },
    )
    assert again.status_code == 422 and "lines.0.quantity" in again.json["error"]["fields"]

    assert (
        api(acme, "buyer").post(f"/api/v1/returns/{rma['id']}/approve", json={}).status_code == 403
    )
    approved = api(acme, "warehouse").post(f"/api/v1/returns/{rma['id']}/approve", json={})
    assert approved.json["status"] == "approved"

    phone_line, charger_line = rma["lines"]
    received = api(acme, "warehouse").post(
        f"/api/v1/returns/{rma['id']}/receive",
        json={"lines": [{"return_line_id": phone_line["id"], "resalable": False}]},
    )
    assert received.status_code == 200, received.json
    assert received.json["status"] == "received"
    # The damaged phone is written off; the chargers are back on the shelf in SH.
    assert level(app, acme, sh, phone) == (197, 0)
    assert level(app, acme, sh, charger) == (985, 0)
    lines = {line["order_line_id"]: line for line in received.json["lines"]}
    assert lines[order["lines"]["MATE60P-BLK-256"]]["restock_details"] == {"written_off": True}
    assert lines[order["lines"]["CHG66-WHT"]]["warehouse_id"] == sh
    assert float(received.json["credit_amount"]) > 0

    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        returned = {
            line.sku_code: line.returned_quantity
            for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order["id"]))
        }
        assert returned == {"MATE60P-BLK-256": 1, "CHG66-WHT": 5}
        movement = session.scalar(
            select(StockMovement).where(StockMovement.kind == MovementKind.RETURN)
        )
        assert movement.reference_type == "return" and movement.reference_id == str(rma["id"])
        assert movement.on_hand_delta == 5
        serial = session.scalar(select(ShippedSerial).where(ShippedSerial.serial == IMEIS[1]))
        assert serial.returned_at is not None
        events = session.scalars(
            select(OutboxEvent.type)
            .where(OutboxEvent.type.like("return.%"))
            .order_by(OutboxEvent.id)
        ).all()
        assert events == ["return.requested", "return.approved", "return.received"]

    # The returned phone can ship again, to another order.
    other = approved_order(app, acme, shop, {"MATE60P-BLK-256": 1})
    reshipped = ship(
        api, acme, other, sh, {"MATE60P-BLK-256": (1, [IMEIS[1]])}, tracking_number="SF2"
    )
    assert reshipped.status_code == 201, reshipped.json
    trace = api(acme, "sales").get(f"/api/v1/serials/{IMEIS[1]}").json
    assert trace["order_number"] == other["number"] and trace["returned_at"] is None


def test_a_return_must_name_delivered_units_and_serials_shipped_to_that_dealer(
    app, acme, globex, shop, api
):
    order = delivered_order(app, acme, shop, api)
    phone_line = order["lines"]["MATE60P-BLK-256"]

    def ask(who: str, lines: list[dict], world=acme):
        return api(world, who).post(
            "/api/v1/returns", json={"order_id": order["id"], "reason": "坏了", "lines": lines}
        )

    too_many = ask("buyer", [{"line_id": phone_line, "quantity": 4}])
    assert too_many.status_code == 422 and "lines.0.quantity" in too_many.json["error"]["fields"]
    stranger = ask(
        "buyer", [{"line_id": phone_line, "quantity": 1, "serials": ["356938035643817"]}]
    )
    assert stranger.status_code == 422 and "lines.0.serials.0" in stranger.json["error"]["fields"]
    assert ask("other_buyer", [{"line_id": phone_line, "quantity": 1}]).status_code == 404
    assert ask("owner", [{"line_id": phone_line, "quantity": 1}], world=globex).status_code == 404

    # An order not yet delivered has nothing to return.
    fresh = approved_order(app, acme, shop, {"CHG66-WHT": 10})
    ship(api, acme, fresh, shop.warehouses["SH"], {"CHG66-WHT": 10}, tracking_number="T")
    early = api(acme, "buyer").post(
        "/api/v1/returns",
        json={
            "order_id": fresh["id"],
            "reason": "x",
            "lines": [{"line_id": fresh["lines"]["CHG66-WHT"], "quantity": 1}],
        },
    )
    assert early.status_code == 422

    rma = ask("buyer", [{"line_id": phone_line, "quantity": 1}]).json
    assert api(acme, "other_buyer").get(f"/api/v1/returns/{rma['id']}").status_code == 404
    assert api(acme, "other_buyer").get("/api/v1/returns").json["items"] == []
    assert [r["id"] for r in api(acme, "buyer").get("/api/v1/returns").json["items"]] == [rma["id"]]

    # Rejecting needs a reason; a rejected return frees its units to be asked for again.
    no_reason = api(acme, "sales").post(f"/api/v1/returns/{rma['id']}/reject", json={})
    assert no_reason.status_code == 422
    rejected = api(acme, "sales").post(
        f"/api/v1/returns/{rma['id']}/reject", json={"note": "人为损坏，不予退货"}
    )
    assert rejected.json["status"] == "rejected"
    assert rejected.json["decision_note"] == "人为损坏，不予退货"
    assert (
        api(acme, "sales").post(f"/api/v1/returns/{rma['id']}/receive", json={}).status_code == 409
    )
    assert ask("buyer", [{"line_id": phone_line, "quantity": 3}]).status_code == 201
