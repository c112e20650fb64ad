"""The dealer's orders in the portal: the list, the order page, change, cancel, order again."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from dinghuo.core.orders import cart, submission
from dinghuo.core.orders.models import Order
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user


def place(app, world, shop, who="buyer", lines=(("MATE60P-BLK-256", 2),), po="PO-1") -> int:
    """An order submitted by ``who`` through the submission service (waits for sales review)."""
    dealer = "D002" if who == "other_buyer" else "D001"
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        actor = principal_for_user(session.get(User, world.users[who].id))
        result = submission.submit_order(
            session,
            actor,
            lines=[(shop.skus[code], qty) for code, qty in lines],
            ship_to_address_id=shop.addresses[dealer],
            delivery_method="pickup",
            po_number=po,
            notes="周五前送达",
            idempotency_key=str(uuid.uuid4()),
        )
        return result.order.id


def signed_in(visitor, world, email="buyer@acme.test"):
    browser = visitor(world)
    assert browser.login(email, path="/login").status_code == 302
    return browser


def numbers(html: str) -> list[str]:
    return re.findall(r'data-order="([^"]+)"', html)


def test_a_dealer_lists_their_own_orders_by_stage_and_finds_one_by_po(app, acme, shop, visitor):
    first = place(app, acme, shop, po="XC-2406-031")
    place(app, acme, shop, lines=(("CHG66-WHT", 20),), po="XC-2406-032")
    place(app, acme, shop, who="other_buyer", po="D002-PO")
    browser = signed_in(visitor, acme)

    page = browser.get("/orders").get_data(as_text=True)
    assert numbers(page) == ["SO-000002", "SO-000001"], "newest first, only their dealer's"
    assert "审核中" in page and "XC-2406-031" in page
    assert 'href="/orders"' in page, "the portal's nav links to the orders"

    assert numbers(browser.get("/orders?status=review").get_data(as_text=True)) == [
        "SO-000002",
        "SO-000001",
    ]
    assert numbers(browser.get("/orders?status=closed").get_data(as_text=True)) == []
    assert numbers(browser.get("/orders?q=2406-031").get_data(as_text=True)) == ["SO-000001"]
    assert numbers(browser.get("/orders?q=D002-PO").get_data(as_text=True)) == []
    assert browser.get(f"/orders/{first}").status_code == 200


def test_the_order_page_shows_prices_as_agreed_the_timeline_and_what_the_dealer_can_do(
    app, acme, shop, visitor
):
    order_id = place(app, acme, shop)
    other = place(app, acme, shop, who="other_buyer")
    browser = signed_in(visitor, acme)

    page = browser.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'data-sku="MATE60P-BLK-256"' in page and "SO-000001" in page
    assert "周五前送达" in page and "世纪大道 100 号" in page, "notes and the frozen address"
    assert "其中增值税（13%）" in page, "VAT included at the tenant's rate"
    assert 'data-status="submitted"' in page and "订单动态" in page
    for action in ("/print", "/change", "/reorder", "/cancel"):
        assert f"/orders/{order_id}{action}" in page

    # Another dealer's order is not found, anywhere under it.
    for path in ("", "/print", "/change"):
        assert browser.get(f"/orders/{other}{path}").status_code == 404
    assert browser.post(f"/orders/{other}/cancel", {}, token_from="/orders").status_code == 404
    assert browser.post(f"/orders/{other}/reorder", {}, token_from="/orders").status_code == 404


def test_a_dealer_changes_quantities_then_cancels_before_approval(app, acme, shop, visitor):
    order_id = place(app, acme, shop, lines=(("MATE60P-BLK-256", 2), ("CHG66-WHT", 20)))
    browser = signed_in(visitor, acme)
    form_page = f"/orders/{order_id}/change"
    skus = shop.skus
    version = _order(app, acme, order_id).version

    refused = browser.post(
        form_page,
        {
            "version": str(version),
            f"quantity-{skus['MATE60P-BLK-256']}": "3",
            f"quantity-{skus['CHG66-WHT']}": "15",
        },
        token_from=form_page,
    )
    assert refused.status_code == 422, "the charger is sold in tens"
    assert 'class="has-error"' in refused.get_data(as_text=True)

    changed = browser.post(
        form_page,
        {
            "version": str(version),
            f"quantity-{skus['MATE60P-BLK-256']}": "3",
            f"quantity-{skus['CHG66-WHT']}": "0",
        },
        token_from=form_page,
    )
    assert changed.status_code == 302
    order = _order(app, acme, order_id)
    assert [(line.sku_code, line.quantity) for line in order.lines] == [("MATE60P-BLK-256", 3)]
    assert "订单已修改" in browser.get(f"/orders/{order_id}").get_data(as_text=True)

    stale = browser.post(
        form_page,
        {"version": str(version), f"quantity-{skus['MATE60P-BLK-256']}": "1"},
        token_from=form_page,
    )
    assert stale.status_code == 302 and _order(app, acme, order_id).lines[0].quantity == 3

    browser.post(f"/orders/{order_id}/cancel", {"reason": "改为下月订货"}, token_from=form_page)
    page = browser.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'data-status="cancelled"' in page and "改为下月订货" in page
    assert f"/orders/{order_id}/change" not in page
    assert browser.get(form_page).status_code == 302, "a cancelled order cannot be changed"


def test_order_again_puts_the_lines_back_in_the_cart(app, acme, shop, visitor):
    order_id = place(app, acme, shop, lines=(("MATE60P-BLK-256", 2), ("CHG66-WHT", 20)))
    browser = signed_in(visitor, acme)
    answer = browser.post(f"/orders/{order_id}/reorder", {}, token_from=f"/orders/{order_id}")
    assert answer.status_code == 302 and answer.location == "/cart"
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        actor = principal_for_user(session.get(User, acme.users["buyer"].id))
        assert sorted(cart.cart_quantities(session, actor, acme.dealer_id)) == sorted(
            [(shop.skus["MATE60P-BLK-256"], 2), (shop.skus["CHG66-WHT"], 20)]
        )


def _order(app, world, order_id) -> Order:
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        order = session.scalar(select(Order).where(Order.id == order_id))
        order.lines  # noqa: B018 - loaded before the session closes
        return order
