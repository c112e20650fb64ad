"""The demo's orders: ``dinghuo demo`` leaves a console and portal with orders at every stage."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from dinghuo import demo, demo_orders
from dinghuo.core.fulfilment import serials
from dinghuo.core.fulfilment.models import Shipment, ShippedSerial
from dinghuo.core.inventory.models import Reservation
from dinghuo.core.orders.models import Order, OrderActivity
from dinghuo.plugins.models import PluginSetting


def test_the_demo_has_orders_waiting_approved_shipped_and_delivered(app, db):
    info = demo.seed_demo(app)
    with db.session(info.tenant_id) as session:
        orders = session.scalars(select(Order).order_by(Order.id)).all()
        statuses = Counter(order.status.value for order in orders)
        waiting = [order for order in orders if order.status.value == "submitted"]
        shipments = session.scalars(select(Shipment).order_by(Shipment.id)).all()
        units = session.scalars(select(ShippedSerial.serial)).all()
        held = session.scalars(
            select(Reservation.status).where(Reservation.reference_type == "order_allocation")
        ).all()
        courier = session.scalar(select(PluginSetting).where(PluginSetting.plugin == "flat_rate"))
        timeline = session.scalars(
            select(OrderActivity.kind).where(OrderActivity.order_id == orders[0].id)
        ).all()
        trace = serials.trace(session, None, units[0])
        tracked = all(s.tracking_number and s.tracking_events for s in shipments)
    assert statuses == {"submitted": 2, "approved": 1, "shipped": 1, "delivered": 1}
    assert {order.review_step.value for order in waiting} == {"sales"}
    assert {order.dealer_id for order in orders} == set(info.dealer_ids.values())
    assert all(order.number.startswith("SO-") and order.po_number for order in orders)
    assert all(order.delivery_method == demo_orders.DELIVERY for order in orders)
    assert all(order.ship_to["city"] for order in orders)
    assert courier is not None and courier.enabled
    assert shipments and tracked
    assert {s.status.value for s in shipments} == {"in_transit", "delivered"}
    assert len(units) == 4, "the delivered order's four phones were shipped with their IMEIs"
    assert all(serials.luhn_ok(unit) for unit in units)
    assert trace.dealer_id == orders[0].dealer_id
    assert {"status", "review", "shipment", "tracking"} <= set(timeline)
    assert Counter(h.value for h in held).keys() >= {"active", "committed"}
