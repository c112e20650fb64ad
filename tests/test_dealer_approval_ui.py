"""The dealer admin's approvals page: the limit, buyers' orders over it, approve or reject."""

from __future__ import annotations

import re

from sqlalchemy import select
from test_checkout_ui import form_of

from dinghuo.core.orders.models import Order
from dinghuo.core.orders.states import OrderStatus


def text(response) -> str:
    return response.get_data(as_text=True)


def orders(db, world) -> dict[str, tuple[int, OrderStatus]]:
    """Order number → (id, status)."""
    with db.transaction(world.id) as session:
        return {o.number: (o.id, o.status) for o in session.scalars(select(Order))}


def check_out(user, lines: str) -> str:
    """Put ``lines`` in the user's cart and check out; the order page they land on."""
    user.post("/cart/add", {"text": lines}, token_from="/cart")
    placed = user.post("/checkout", form_of(text(user.get("/checkout"))), token_from="/checkout")
    assert placed.status_code == 302
    return text(user.get(placed.headers["Location"]))


def test_the_dealer_admin_sets_the_limit_and_decides_buyers_orders_over_it(acme, shop, visitor, db):
    admin = visitor(acme)
    admin.login("dealer-admin@acme.test", path="/login")
    assert 'href="/approvals"' in text(admin.get("/"))
    refused = admin.post(
        "/approvals/limit", {"buyer_approval_limit": "lots"}, token_from="/approvals"
    )
    assert refused.status_code == 422 and 'value="lots"' in text(refused)
    saved = admin.post(
        "/approvals/limit", {"buyer_approval_limit": "10000"}, token_from="/approvals"
    )
    assert saved.status_code == 302
    assert 'value="10000.00"' in text(admin.get("/approvals"))

    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    assert buyer.get("/approvals").status_code == 403
    buyer.post("/cart/add", {"text": "MATE60P-BLK-256 1"}, token_from="/cart")
    assert "data-needs-approval" not in text(buyer.get("/checkout")), "5,999 is under the limit"
    check_out(buyer, "MATE60P-BLK-512 2")  # now over it
    assert "等待贵公司管理员审批" in check_out(buyer, "MATE60P-SLV-256 3")
    waiting = orders(db, acme)
    assert {status for _id, status in waiting.values()} == {OrderStatus.DEALER_REVIEW}

    queue = text(admin.get("/approvals"))
    first, second = re.findall(r'<tr data-order="([^"]+)"', queue)  # oldest first
    first_id, second_id = waiting[first][0], waiting[second][0]
    no_reason = admin.post(
        f"/approvals/{second_id}/reject", {"reason": " "}, token_from="/approvals"
    )
    assert no_reason.status_code == 422
    assert re.search(rf'<tr data-order="{second}" class="has-problem">', text(no_reason))
    approved = admin.post(f"/approvals/{first_id}/approve", token_from="/approvals")
    rejected = admin.post(
        f"/approvals/{second_id}/reject", {"reason": "本月预算已用完"}, token_from="/approvals"
    )

    assert approved.status_code == rejected.status_code == 302
    decided = orders(db, acme)
    assert decided[first][1] in (OrderStatus.SUBMITTED, OrderStatus.APPROVED), "on to the brand"
    assert decided[second][1] is OrderStatus.REJECTED
    assert "本月预算已用完" in text(buyer.get(f"/orders/{second_id}"))
    assert "data-nothing-waiting" in text(admin.get("/approvals"))
    late = admin.post(f"/approvals/{first_id}/approve", token_from="/approvals")
    assert late.status_code == 302 and orders(db, acme) == decided
