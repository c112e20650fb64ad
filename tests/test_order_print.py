"""The printable order confirmation: the same frozen order on paper, for the dealer and the brand."""

from __future__ import annotations

import uuid

from dinghuo.core.orders import submission
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user


def test_the_confirmation_prints_the_order_as_agreed_for_dealer_and_staff(app, acme, shop, visitor):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        actor = principal_for_user(session.get(User, acme.users["buyer"].id))
        order = submission.submit_order(
            session,
            actor,
            lines=[(shop.skus["MATE60P-BLK-512"], 3), (shop.skus["CHG66-WHT"], 10)],
            ship_to_address_id=shop.addresses["D001"],
            delivery_method="pickup",
            po_number="XC-2406-031",
            idempotency_key=str(uuid.uuid4()),
        ).order
        order_id, total = order.id, order.total
        other = submission.submit_order(
            session,
            principal_for_user(session.get(User, acme.users["other_buyer"].id)),
            lines=[(shop.skus["CHG66-WHT"], 10)],
            ship_to_address_id=shop.addresses["D002"],
            delivery_method="pickup",
            idempotency_key=str(uuid.uuid4()),
        ).order.id

    dealer = visitor(acme)
    dealer.login("buyer@acme.test", path="/login")
    answer = dealer.get(f"/orders/{order_id}/print")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "订单确认单" in page
    for text in ("SO-000001", "XC-2406-031", "MATE60P-BLK-512", "CHG66-WHT", "Acme 数码华东经销商"):
        assert text in page
    assert f"{total:,.2f}" in page, "the frozen total"
    assert "ui/print.css" in page and "data-print" in page
    assert dealer.get(f"/orders/{other}/print").status_code == 404
    assert dealer.get(f"/console/orders/{order_id}/print").status_code == 302

    staff = visitor(acme)
    staff.login("finance@acme.test")
    console = staff.get(f"/console/orders/{order_id}/print").get_data(as_text=True)
    assert "SO-000001" in console and f"{total:,.2f}" in console
    assert staff.get(f"/console/orders/{other}/print").status_code == 200
    assert staff.get("/console/orders/999999/print").status_code == 404
