"""Shipping approved orders: stock committed, carriers booked, serials kept, orders moved on.

``approved_order`` submits an order through ``submission.submit_order`` (stock
held on submission) and has sales approve it, so these tests start at the
warehouse. ``ship`` posts a shipment as staff would.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.fulfilment import service
from dinghuo.core.fulfilment.models import Shipment, ShippedSerial
from dinghuo.core.inventory.models import MovementKind, StockLevel, StockMovement
from dinghuo.core.orders import allocation, lifecycle, review, submission
from dinghuo.core.orders.models import AllocationStatus, Order, OrderLine
from dinghuo.core.orders.states import OrderStatus
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user
from dinghuo.platform.events.models import OutboxEvent
from dinghuo.plugins import CarrierShipment, FreightQuote, PluginInfo, hookimpl
from dinghuo.plugins.manager import host_for
from dinghuo.plugins.service import configure_plugin, tenant_plugins

IMEIS = ["356938035643809", "490154203237518", "352099001761481"]
"""Valid IMEIs (their 15th digit passes the Luhn check)."""


def approved_order(
    app,
    world,
    shop,
    lines: dict[str, int],
    *,
    dealer: str = "D001",
    delivery_method: str = "manual:standard",
) -> dict[str, Any]:
    """An order of ``lines`` (SKU code → quantity) submitted by a buyer and approved by sales.

    The carrier plugin of ``delivery_method`` is enabled first so checkout offers
    it. Returns ``{"id", "number", "lines": {sku code: line id}}``.
    """
    database = app.extensions["dinghuo.db"]
    buyer = "buyer" if dealer == "D001" else "other_buyer"
    with database.transaction(world.id) as session:
        carrier = delivery_method.partition(":")[0]
        if (
            carrier != "pickup"
            and carrier not in tenant_plugins(session, host_for(session)).enabled
        ):
            configure_plugin(session, None, host_for(session), carrier, enabled=True)
        order = submission.submit_order(
            session,
            principal_for_user(session.get(User, world.users[buyer].id)),
            lines=[(shop.skus[code], quantity) for code, quantity in lines.items()],
            ship_to_address_id=shop.addresses[dealer],
            delivery_method=delivery_method,
            idempotency_key=str(uuid.uuid4()),
        ).order
        order_id = order.id
    with database.transaction(world.id) as session:
        sales = principal_for_user(session.get(User, world.users["sales"].id))
        order = review.approve_step(session, sales, order_id, reason="库存充足")
        assert order.status is OrderStatus.APPROVED
        return {
            "id": order.id,
            "number": order.number,
            "lines": {line.sku_code: line.id for line in order.lines},
        }


def ship(api, world, order, warehouse_id, lines, **extra):
    """POST a shipment as the warehouse user; ``lines`` maps SKU code → quantity or (qty, serials)."""
    body_lines = []
    for code, value in lines.items():
        quantity, serials = value if isinstance(value, tuple) else (value, [])
        body_lines.append(
            {"line_id": order["lines"][code], "quantity": quantity, "serials": serials}
        )
    who = extra.pop("who", "warehouse")
    body = {"warehouse_id": warehouse_id, "lines": body_lines, **extra}
    return api(world, who).post(f"/api/v1/orders/{order['id']}/shipments", json=body)


def level(app, world, warehouse_id: int, sku_id: int) -> tuple[int, int]:
    """(on hand, reserved) of one SKU in one warehouse."""
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        row = session.scalar(
            select(StockLevel).where(
                StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku_id
            )
        )
        return (row.on_hand, row.reserved) if row else (0, 0)


def order_status(app, world, order_id: int) -> str:
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        return session.scalar(select(Order.status).where(Order.id == order_id)).value


def test_partial_then_final_shipment_commits_stock_records_imeis_and_delivery_closes_the_order(
    app, acme, shop, api
):
    order = approved_order(app, acme, shop, {"MATE60P-BLK-256": 3, "CHG66-WHT": 20})
    sh, phone, charger = shop.warehouses["SH"], shop.skus["MATE60P-BLK-256"], shop.skus["CHG66-WHT"]
    assert level(app, acme, sh, phone) == (200, 3)

    first = ship(
        api,
        acme,
        order,
        sh,
        {"MATE60P-BLK-256": (2, IMEIS[:2]), "CHG66-WHT": 20},
        tracking_number="SF1234567890",
        parcels=2,
        weight_grams=1500,
    )
    assert first.status_code == 201, first.json
    assert first.json["number"] == f"{order['number']}-1"
    assert first.json["carrier"] == "manual" and first.json["tracking_number"] == "SF1234567890"
    assert first.json["status"] == "shipped"
    assert sorted(s for line in first.json["lines"] for s in line["serials"]) == sorted(IMEIS[:2])
    assert order_status(app, acme, order["id"]) == "partially_shipped"
    # Two phones left the building, the third stays held; the chargers are all gone.
    assert level(app, acme, sh, phone) == (198, 1)
    assert level(app, acme, sh, charger) == (980, 0)

    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        line = session.get(OrderLine, order["lines"]["MATE60P-BLK-256"])
        assert line.shipped_quantity == 2
        statuses = sorted((a.status.value, a.quantity) for a in line.allocations)
        assert statuses == [("released", 3), ("reserved", 1), ("shipped", 2)]
        assert session.get(Sku, phone).sales_qty == 2
        shipped = session.scalars(
            select(StockMovement).where(StockMovement.kind == MovementKind.SHIPMENT)
        ).all()
        assert sorted(m.on_hand_delta for m in shipped) == [-20, -2]
        events = session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.type.like("shipment.%"))
        ).all()
        assert events == ["shipment.created"]

    second = ship(
        api, acme, order, sh, {"MATE60P-BLK-256": (1, [IMEIS[2]])}, tracking_number="SF999"
    )
    assert second.status_code == 201, second.json
    assert second.json["number"] == f"{order['number']}-2"
    assert order_status(app, acme, order["id"]) == "shipped"
    assert level(app, acme, sh, phone) == (197, 0)

    listed = api(acme, "buyer").get(f"/api/v1/orders/{order['id']}/shipments").json["items"]
    assert [s["number"] for s in listed] == [first.json["number"], second.json["number"]]

    # The dealer confirms the first box: the order waits for the second.
    delivered = api(acme, "buyer").post(f"/api/v1/shipments/{first.json['id']}/deliver", json={})
    assert delivered.status_code == 200
    assert delivered.json["delivery_confirmed_by"] == "dealer"
    assert order_status(app, acme, order["id"]) == "shipped"
    again = api(acme, "buyer").post(f"/api/v1/shipments/{first.json['id']}/deliver", json={})
    assert again.status_code == 409
    staff = api(acme, "warehouse").post(f"/api/v1/shipments/{second.json['id']}/deliver", json={})
    assert staff.json["delivery_confirmed_by"] == "staff"
    assert order_status(app, acme, order["id"]) == "delivered"

    packing = api(acme, "warehouse").get(f"/api/v1/shipments/{first.json['id']}/packing-list")
    assert packing.status_code == 200
    assert packing.json["total_units"] == 22
    assert packing.json["ship_to"]["city"] == "上海市"
    assert packing.json["lines"][0]["serials"] == IMEIS[:2]


def test_a_shipment_that_breaks_a_rule_names_the_field_and_ships_nothing(app, acme, shop, api):
    order = approved_order(app, acme, shop, {"MATE60P-BLK-256": 2, "CHG66-WHT": 10})
    sh, gz = shop.warehouses["SH"], shop.warehouses["GZ"]
    bad_imei = IMEIS[0][:-1] + ("0" if IMEIS[0][-1] != "0" else "1")
    cases = [
        ({"MATE60P-BLK-256": 3}, {}, "lines.0.quantity"),
        ({"MATE60P-BLK-256": 2}, {"tracking_number": ""}, "tracking_number"),
        ({"MATE60P-BLK-256": (2, [IMEIS[0], bad_imei])}, {}, "lines.0.serials.1"),
        ({"MATE60P-BLK-256": (2, [IMEIS[0], IMEIS[0]])}, {}, "lines.0.serials.1"),
        ({"MATE60P-BLK-256": (2, [IMEIS[0]])}, {}, "lines.0.serials"),
        ({"MATE60P-BLK-256": 1}, {"carrier": "nonesuch"}, "carrier"),
    ]
    for lines, extra, field in cases:
        extra = {"tracking_number": "SF1", **extra}
        answer = ship(api, acme, order, sh, lines, **extra)
        assert answer.status_code == 422, (lines, extra, answer.json)
        assert field in answer.json["error"]["fields"], (field, answer.json)
    # Nothing is reserved for this order in GZ.
    answer = ship(api, acme, order, gz, {"CHG66-WHT": 10}, tracking_number="SF1")
    assert answer.status_code == 422 and "lines.0.quantity" in answer.json["error"]["fields"]
    # Another order's line is not this order's.
    other = approved_order(app, acme, shop, {"MATE60P-BLK-512": 1})
    body = {
        "warehouse_id": sh,
        "lines": [{"line_id": other["lines"]["MATE60P-BLK-512"], "quantity": 1}],
    }
    answer = api(acme, "warehouse").post(f"/api/v1/orders/{order['id']}/shipments", json=body)
    assert answer.status_code == 422 and "lines.0.line_id" in answer.json["error"]["fields"]
    # Who may ship: warehouse staff, not sales, not the dealer; not another tenant.
    assert (
        ship(api, acme, order, sh, {"CHG66-WHT": 10}, tracking_number="X", who="sales").status_code
        == 403
    )
    assert (
        ship(api, acme, order, sh, {"CHG66-WHT": 10}, tracking_number="X", who="buyer").status_code
        == 403
    )

    assert level(app, acme, sh, shop.skus["MATE60P-BLK-256"]) == (200, 2)
    assert order_status(app, acme, order["id"]) == "approved"
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        assert session.scalars(select(Shipment)).all() == []
        assert session.scalars(select(ShippedSerial)).all() == []

    # A serial already out in the field cannot ship twice.
    assert (
        ship(
            api, acme, other, sh, {"MATE60P-BLK-512": (1, [IMEIS[0]])}, tracking_number="A"
        ).status_code
        == 201
    )
    answer = ship(
        api, acme, order, sh, {"MATE60P-BLK-256": (2, [IMEIS[1], IMEIS[0]])}, tracking_number="B"
    )
    assert answer.status_code == 422 and "lines.0.serials.1" in answer.json["error"]["fields"]


def test_a_submitted_order_does_not_ship_and_another_tenant_sees_nothing(
    app, acme, globex, shop, api
):
    order = approved_order(app, acme, shop, {"CHG66-WHT": 10})
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        row = session.get(Order, order["id"])
        lifecycle.transition(session, None, row, OrderStatus.CANCELLED, "changed mind")
        allocation.release_order(session, row, "cancelled")
    answer = ship(api, acme, order, shop.warehouses["SH"], {"CHG66-WHT": 10}, tracking_number="X")
    assert answer.status_code == 409
    assert api(globex, "owner").get(f"/api/v1/orders/{order['id']}/shipments").status_code == 404
    assert (
        api(acme, "other_buyer").get(f"/api/v1/orders/{order['id']}/shipments").status_code == 404
    )


class FakeCarrier:
    """A carrier plugin that books with a label, or refuses when told to."""

    name = "kuaidi"

    def __init__(self) -> None:
        self.refuse = False
        self.requests: list[Any] = []

    @hookimpl
    def dinghuo_plugin_info(self):
        return PluginInfo(name=self.name, version="1.0.0", api_versions=">=1.1,<2")

    @hookimpl
    def dinghuo_freight_quotes(self, request, settings):
        return [FreightQuote(service="express", label="快递", amount=Decimal("18.00"))]

    @hookimpl
    def dinghuo_create_shipment(self, request, settings):
        if self.refuse:
            raise RuntimeError("address not served")
        self.requests.append(request)
        return CarrierShipment(
            tracking_number=f"KD{len(self.requests):08d}",
            label=b"%PDF-1.4 label",
            label_content_type="application/pdf",
            freight_cost=Decimal("18.00"),
        )


def test_the_orders_carrier_books_the_parcel_and_its_label_is_kept(
    app, acme, shop, api, plugin_host, enable_plugin
):
    carrier = FakeCarrier()
    plugin_host.register(carrier, source="test")
    enable_plugin(acme, "kuaidi")
    order = approved_order(
        app, acme, shop, {"MATE60P-BLK-256": 2}, delivery_method="kuaidi:express"
    )
    sh = shop.warehouses["SH"]

    carrier.refuse = True
    refused = ship(api, acme, order, sh, {"MATE60P-BLK-256": 1})
    assert refused.status_code == 409
    assert "address not served" in refused.json["error"]["message"]
    assert level(app, acme, sh, shop.skus["MATE60P-BLK-256"]) == (200, 2)

    carrier.refuse = False
    booked = ship(api, acme, order, sh, {"MATE60P-BLK-256": 1}, weight_grams=600)
    assert booked.status_code == 201, booked.json
    assert booked.json["tracking_number"] == "KD00000001"
    assert booked.json["service"] == "express" and booked.json["has_label"] is True
    assert booked.json["freight_cost"] == "18.00"
    request = carrier.requests[0]
    assert request.order_number == order["number"] and request.service == "express"
    assert request.destination.city == "上海市"
    assert [(i.sku_code, i.quantity) for i in request.items] == [("MATE60P-BLK-256", 1)]

    label = api(acme, "buyer").get(f"/api/v1/shipments/{booked.json['id']}/label")
    assert label.status_code == 200 and label.data == b"%PDF-1.4 label"
    assert label.mimetype == "application/pdf"


def test_tracking_from_staff_and_carriers_is_kept_once_and_delivered_closes_the_order(
    app, acme, shop, api
):
    order = approved_order(app, acme, shop, {"CHG66-WHT": 10})
    shipment = ship(
        api, acme, order, shop.warehouses["SH"], {"CHG66-WHT": 10}, tracking_number="T1"
    ).json
    staff = api(acme, "warehouse").post(
        f"/api/v1/shipments/{shipment['id']}/tracking-events",
        json={"status": "in_transit", "location": "上海转运中心"},
    )
    assert staff.status_code == 201 and staff.json["source"] == "staff"
    assert (
        api(acme, "buyer")
        .post(f"/api/v1/shipments/{shipment['id']}/tracking-events", json={"status": "in_transit"})
        .status_code
        == 403
    )
    bad = api(acme, "warehouse").post(
        f"/api/v1/shipments/{shipment['id']}/tracking-events", json={"status": "lost"}
    )
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]

    events = [
        {"external_id": "e1", "status": "out_for_delivery", "location": "浦东"},
        {"external_id": "e2", "status": "delivered", "description": "本人签收"},
    ]
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        added = service.add_tracking_events(session, shipment["id"], events, "kuaidi")
        assert [e.status for e in added] == ["out_for_delivery", "delivered"]
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        assert service.add_tracking_events(session, shipment["id"], events, "kuaidi") == []

    seen = api(acme, "buyer").get(f"/api/v1/shipments/{shipment['id']}/tracking-events").json
    assert [e["status"] for e in seen] == ["in_transit", "out_for_delivery", "delivered"]
    detail = api(acme, "buyer").get(f"/api/v1/shipments/{shipment['id']}").json
    assert detail["status"] == "delivered" and detail["delivery_confirmed_by"] == "carrier"
    assert order_status(app, acme, order["id"]) == "delivered"


def test_staff_move_a_lines_units_to_the_warehouse_they_ship_from(app, acme, shop, api):
    order = approved_order(app, acme, shop, {"MATE60P-BLK-256": 30})
    sh, gz, sku = shop.warehouses["SH"], shop.warehouses["GZ"], shop.skus["MATE60P-BLK-256"]
    line_id = order["lines"]["MATE60P-BLK-256"]
    path = f"/api/v1/orders/{order['id']}/lines/{line_id}/allocations"

    moved = api(acme, "warehouse").post(path, json={"warehouse_id": gz, "quantity": 10})
    assert moved.status_code == 200, moved.json
    held = {
        (a["warehouse_id"], a["quantity"])
        for a in moved.json["allocations"]
        if a["status"] == "reserved"
    }
    assert held == {(sh, 20), (gz, 10)}
    assert level(app, acme, sh, sku) == (200, 20) and level(app, acme, gz, sku) == (20, 10)

    short = api(acme, "warehouse").post(path, json={"warehouse_id": gz, "quantity": 15})
    assert short.status_code == 409
    assert level(app, acme, gz, sku) == (20, 10)
    assert (
        api(acme, "sales").post(path, json={"warehouse_id": gz, "quantity": 1}).status_code == 403
    )

    assert (
        ship(api, acme, order, gz, {"MATE60P-BLK-256": 10}, tracking_number="G1").status_code == 201
    )
    assert level(app, acme, gz, sku) == (10, 0)
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        line = session.get(OrderLine, line_id)
        reserved = [a for a in line.allocations if a.status is AllocationStatus.RESERVED]
        assert [(a.warehouse_id, a.quantity) for a in reserved] == [(sh, 20)]
