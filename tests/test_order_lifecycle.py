"""An order's life after submission: the state machine, cancelling, changing, manual moves.

``place_order`` submits a buyer's order through checkout's service (stock held
per the tenant's rule, review started), without the HTTP round trip.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from dinghuo.core.inventory.models import StockLevel
from dinghuo.core.orders import lifecycle
from dinghuo.core.orders.models import AllocationStatus, Order, OrderAllocation, OrderLine
from dinghuo.core.orders.states import TRANSITIONS, OrderStatus
from dinghuo.core.orders.submission import submit_order
from dinghuo.errors import Conflict
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user
from dinghuo.platform.tenants.business import update_business_settings


def set_rules(app, world, **rules: Any) -> None:
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        update_business_settings(session, None, rules)


def place_order(
    app,
    world,
    shop,
    lines: dict[str, int],
    *,
    dealer: str = "D001",
    payment_terms: str | None = None,
) -> int:
    """A buyer's order of ``lines`` (SKU code → quantity), submitted through checkout."""
    who = "buyer" if dealer == "D001" else "other_buyer"
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        result = submit_order(
            session,
            principal_for_user(session.get(User, world.users[who].id)),
            lines=[{"sku_id": shop.skus[code], "quantity": q} for code, q in lines.items()],
            ship_to_address_id=shop.addresses[dealer],
            delivery_method="pickup",
            payment_terms=payment_terms,
            idempotency_key=uuid.uuid4().hex,
        )
        return result.order.id


def reserved_units(app, world, sku_id: int) -> int:
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        return session.scalar(
            select(func.coalesce(func.sum(StockLevel.reserved), 0)).where(
                StockLevel.sku_id == sku_id
            )
        )


def held_by_order(app, world, order_id: int) -> dict[str, int]:
    """SKU code → units RESERVED for the order."""
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        rows = session.execute(
            select(OrderLine.sku_code, func.sum(OrderAllocation.quantity))
            .join(OrderAllocation, OrderAllocation.order_line_id == OrderLine.id)
            .where(
                OrderLine.order_id == order_id,
                OrderAllocation.status == AllocationStatus.RESERVED,
            )
            .group_by(OrderLine.sku_code)
        )
        return {code: int(units) for code, units in rows}


def test_every_move_outside_the_state_machine_is_refused_naming_both_states(app, acme, shop):
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 1})
    refused = 0
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        order = session.get(Order, order_id)
        for current in OrderStatus:
            for target in OrderStatus:
                if target in TRANSITIONS[current]:
                    continue
                order.status = current
                try:
                    lifecycle.transition(session, None, order, target)
                except Conflict as error:
                    assert f"{current.value} cannot become {target.value}" in error.message
                    assert order.status is current
                    refused += 1
                else:
                    raise AssertionError(f"{current} → {target} was allowed")
        session.rollback()
    allowed = sum(len(targets) for targets in TRANSITIONS.values())
    assert refused == len(OrderStatus) ** 2 - allowed


def test_refused_moves_answer_409_naming_the_states_and_change_nothing(app, acme, shop, api):
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 1})
    owner = api(acme, "owner")

    response = owner.post(f"/api/v1/orders/{order_id}/complete", json={})
    assert response.status_code == 409
    body = response.get_json()
    assert "submitted cannot become completed" in body["error"]["message"]
    assert "approved, cancelled, rejected" in body["error"]["message"]

    response = owner.post(f"/api/v1/orders/{order_id}/status", json={"status": "in_production"})
    assert response.status_code == 409
    order = owner.get(f"/api/v1/orders/{order_id}").get_json()
    assert order["status"] == "submitted"
    assert order["version"] == 2


def test_dealer_cancels_before_approval_and_the_stock_is_released(app, acme, shop, api):
    sku = shop.skus["MATE60P-BLK-256"]
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 30})
    assert reserved_units(app, acme, sku) == 30

    response = api(acme, "buyer").post(
        f"/api/v1/orders/{order_id}/cancel", json={"reason": "下错单了"}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["cancelled_at"]
    assert reserved_units(app, acme, sku) == 0
    timeline = api(acme, "buyer").get(f"/api/v1/orders/{order_id}/timeline").get_json()
    assert timeline[-1]["to_status"] == "cancelled"
    assert timeline[-1]["message"] == "下错单了"

    again = api(acme, "buyer").post(f"/api/v1/orders/{order_id}/cancel", json={})
    assert again.status_code == 409


def test_after_approval_only_staff_cancel_and_they_must_say_why(app, acme, shop, api):
    sku = shop.skus["MATE60P-BLK-512"]
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-512": 5})
    assert api(acme, "sales").post(f"/api/v1/orders/{order_id}/approve", json={}).status_code == 200

    buyer = api(acme, "buyer").post(f"/api/v1/orders/{order_id}/cancel", json={})
    assert buyer.status_code == 409
    assert "approved" in buyer.get_json()["error"]["message"]
    assert (
        api(acme, "finance").post(f"/api/v1/orders/{order_id}/cancel", json={}).status_code == 403
    )

    unexplained = api(acme, "sales").post(f"/api/v1/orders/{order_id}/cancel", json={})
    assert unexplained.status_code == 422
    assert "reason" in unexplained.get_json()["error"]["fields"]
    assert reserved_units(app, acme, sku) == 5

    response = api(acme, "sales").post(
        f"/api/v1/orders/{order_id}/cancel", json={"reason": "经销商停业"}
    )
    assert response.get_json()["status"] == "cancelled"
    assert reserved_units(app, acme, sku) == 0


def test_a_dealer_change_reprices_rereserves_and_reopens_the_review(app, acme, shop, api):
    set_rules(app, acme, review_steps=["sales", "finance"])
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 10})
    before = api(acme, "buyer").get(f"/api/v1/orders/{order_id}").get_json()
    assert api(acme, "sales").post(f"/api/v1/orders/{order_id}/approve", json={}).status_code == 200
    version = api(acme, "buyer").get(f"/api/v1/orders/{order_id}").get_json()["version"]

    lines = [
        {"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 4},
        {"sku_id": shop.skus["CHG66-WHT"], "quantity": 20},
    ]
    stale = api(acme, "buyer").patch(
        f"/api/v1/orders/{order_id}", json={"lines": lines, "version": version - 1}
    )
    assert stale.status_code == 409
    assert "version" in stale.get_json()["error"]["fields"]

    response = api(acme, "buyer").patch(
        f"/api/v1/orders/{order_id}", json={"lines": lines, "version": version}
    )
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert [(line["sku_code"], line["quantity"]) for line in changed["lines"]] == [
        ("MATE60P-BLK-256", 4),
        ("CHG66-WHT", 20),
    ]
    unit = Decimal(before["lines"][0]["unit_price"])
    charger = Decimal(changed["lines"][1]["unit_price"])
    assert Decimal(changed["total"]) == 4 * unit + 20 * charger
    assert changed["version"] > version
    assert held_by_order(app, acme, order_id) == {"MATE60P-BLK-256": 4, "CHG66-WHT": 20}
    assert reserved_units(app, acme, shop.skus["MATE60P-BLK-256"]) == 4
    assert changed["review_step"] == "sales"
    assert {r["step"]: r["outcome"] for r in changed["reviews"]} == {
        "sales": "pending",
        "finance": "pending",
    }
    timeline = api(acme, "buyer").get(f"/api/v1/orders/{order_id}/timeline").get_json()
    change = next(entry for entry in timeline if entry["kind"] == "change")
    assert change["details"]["before"] == {"MATE60P-BLK-256": 10}
    assert change["details"]["after"] == {"MATE60P-BLK-256": 4, "CHG66-WHT": 20}

    bad = api(acme, "buyer").patch(
        f"/api/v1/orders/{order_id}",
        json={"lines": [{"sku_id": shop.skus["CHG66-WHT"], "quantity": 15}], "version": 0},
    )
    assert bad.status_code == 409
    bad = api(acme, "buyer").patch(
        f"/api/v1/orders/{order_id}",
        json={
            "lines": [{"sku_id": shop.skus["CHG66-WHT"], "quantity": 15}],
            "version": changed["version"],
        },
    )
    assert bad.status_code == 422
    assert "lines.0.quantity" in bad.get_json()["error"]["fields"]
    assert held_by_order(app, acme, order_id) == {"MATE60P-BLK-256": 4, "CHG66-WHT": 20}


def test_an_approved_order_cannot_be_changed(app, acme, shop, api):
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 2})
    approved = api(acme, "owner").post(f"/api/v1/orders/{order_id}/approve", json={}).get_json()
    response = api(acme, "buyer").patch(
        f"/api/v1/orders/{order_id}",
        json={
            "lines": [{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1}],
            "version": approved["version"],
        },
    )
    assert response.status_code == 409
    assert "approved" in response.get_json()["error"]["message"]


def test_staff_move_an_approved_order_through_production_to_completion(app, acme, shop, api):
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 2})
    sales = api(acme, "sales")
    sales.post(f"/api/v1/orders/{order_id}/approve", json={})

    assert (
        api(acme, "buyer")
        .post(f"/api/v1/orders/{order_id}/status", json={"status": "backordered"})
        .status_code
        == 403
    )
    for status in ("backordered", "in_production"):
        response = sales.post(
            f"/api/v1/orders/{order_id}/status", json={"status": status, "reason": "等新货"}
        )
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
    bad = sales.post(f"/api/v1/orders/{order_id}/status", json={"status": "shipped"})
    assert bad.status_code == 422
    assert "status" in bad.get_json()["error"]["fields"]

    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        order = session.get(Order, order_id)
        for target in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            lifecycle.transition(session, None, order, target)
    done = sales.post(f"/api/v1/orders/{order_id}/complete", json={})
    assert done.status_code == 200
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["completed_at"]
    statuses = [
        entry["to_status"]
        for entry in sales.get(f"/api/v1/orders/{order_id}/timeline").get_json()
        if entry["kind"] == "status"
    ]
    assert statuses == [
        "submitted",
        "approved",
        "backordered",
        "in_production",
        "shipped",
        "delivered",
        "completed",
    ]
