"""Notifications: order events reach the right people, in-app and by e-mail, once each."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from sqlalchemy import select

from dinghuo.core.orders.lifecycle import transition
from dinghuo.core.orders.models import Order, OrderLine, ReviewStep
from dinghuo.core.orders.states import OrderStatus
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user
from dinghuo.platform.notifications.models import Notification
from dinghuo.platform.notifications.service import notify_for_event


def _as(session, world, who):
    return principal_for_user(session.get(User, world.users[who].id))


def submit_order(app, world, shop, *, by="buyer", step=ReviewStep.SALES) -> int:
    """A buyer's order for two phones, submitted and waiting at ``step``."""
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        order = Order(
            number="SO-000001",
            dealer_id=world.dealer_id,
            created_by_id=world.users[by].id,
            total=Decimal("11998.00"),
        )
        order.lines = [
            OrderLine(
                line_no=1,
                sku_id=shop.skus["MATE60P-BLK-256"],
                sku_code="MATE60P-BLK-256",
                name="Mate 60 Pro 雅丹黑 12+256G",
                quantity=2,
                unit_price=Decimal("5999.00"),
                subtotal=Decimal("11998.00"),
                total=Decimal("11998.00"),
            )
        ]
        session.add(order)
        session.flush()
        order.review_step = step
        transition(session, _as(session, world, by), order, OrderStatus.SUBMITTED)
        return order.id


def move(app, world, order_id, who, target, reason=""):
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        order = session.scalar(select(Order).where(Order.id == order_id))
        transition(session, _as(session, world, who), order, target, reason)


def inbox(app, world) -> dict[str, list[str]]:
    """Titles per recipient (by fixture name), oldest first."""
    names = {user.id: key for key, user in world.users.items()}
    with app.extensions["dinghuo.db"].transaction(world.id) as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(names[row.user_id], []).append(row.title)
        return found


def test_an_order_tells_the_dealer_and_the_staff_whose_step_it_is(
    app, acme, shop, run_jobs, caplog
):
    caplog.set_level(logging.INFO, logger="dinghuo.platform.notifications.email")
    order_id = submit_order(app, acme, shop)
    run_jobs()
    # The buyer placed it and is not told; their dealer admin is, and the sales
    # reviewer (not the owner or admin, who hold every permission), in Chinese.
    assert inbox(app, acme) == {
        "dealer_admin": ["订单 SO-000001 已提交"],
        "sales": ["订单 SO-000001 等待销售审核"],
    }

    move(app, acme, order_id, "sales", OrderStatus.APPROVED, "库存充足")
    run_jobs()
    notices = inbox(app, acme)
    assert notices["buyer"] == ["订单 SO-000001 已批准"]
    assert notices["dealer_admin"][-1] == "订单 SO-000001 已批准"
    assert notices["warehouse"] == ["订单 SO-000001 已批准，可以发货"]
    assert "owner" not in notices and "finance" not in notices
    assert len(notices["sales"]) == 1, "the reviewer who approved it is not told"

    sent = [r for r in caplog.records if getattr(r, "email_to", None)]
    assert {r.email_to for r in sent} == {
        "dealer-admin@acme.test",
        "sales@acme.test",
        "buyer@acme.test",
        "warehouse@acme.test",
    }
    to_warehouse = next(r for r in sent if r.email_to == "warehouse@acme.test")
    assert f"http://acme.localhost/console/orders/{order_id}" in to_warehouse.getMessage()
    assert "globex" not in str(inbox(app, acme))


def test_a_redelivered_event_notifies_nobody_twice(app, acme, shop, run_jobs):
    submit_order(app, acme, shop)
    run_jobs()
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        event_id = session.scalar(select(Notification.event_id))
        assert notify_for_event(session, event_id) == []
        assert session.scalar(select(Notification.id).where(Notification.user_id == 0)) is None
    assert sum(len(v) for v in inbox(app, acme).values()) == 2


def test_a_rejection_tells_the_dealer_why_in_their_own_language(app, acme, shop, run_jobs):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.get(User, acme.users["dealer_admin"].id).locale = "en"
    order_id = submit_order(app, acme, shop, step=ReviewStep.FINANCE)
    run_jobs()
    assert inbox(app, acme)["finance"] == ["订单 SO-000001 等待财务审核"]
    move(app, acme, order_id, "finance", OrderStatus.REJECTED, "超出信用额度")
    run_jobs()
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        rejected = session.scalars(
            select(Notification).where(Notification.kind == "order.rejected")
        ).all()
        by_user = {n.user_id: (n.title, n.body, n.link) for n in rejected}
    assert by_user[acme.users["buyer"].id] == (
        "订单 SO-000001 已被拒绝",
        "原因：超出信用额度",
        f"/orders/{order_id}",
    )
    assert by_user[acme.users["dealer_admin"].id][:2] == (
        "Order SO-000001 rejected",
        "Reason: 超出信用额度",
    )


def test_users_read_their_own_notifications_through_the_api(app, acme, globex, shop, api, run_jobs):
    order_id = submit_order(app, acme, shop)
    move(app, acme, order_id, "sales", OrderStatus.APPROVED)
    run_jobs()
    admin = api(acme, "dealer_admin")
    assert admin.get("/api/v1/notifications/unread-count").json == {"unread": 2}

    page = admin.get("/api/v1/notifications?limit=1").json
    newest = page["items"][0]
    assert newest["kind"] == "order.approved" and newest["read_at"] is None
    assert newest["link"] == f"/orders/{order_id}" and page["next_cursor"]
    older = admin.get(f"/api/v1/notifications?limit=1&cursor={page['next_cursor']}").json
    assert older["items"][0]["kind"] == "order.submitted"

    # Somebody else's notification is not found, even in the same tenant.
    assert api(acme, "sales").post(f"/api/v1/notifications/{newest['id']}/read").status_code == 404
    read = admin.post(f"/api/v1/notifications/{newest['id']}/read")
    assert read.status_code == 200 and read.json["read_at"]
    assert [n["kind"] for n in admin.get("/api/v1/notifications?unread=true").json["items"]] == [
        "order.submitted"
    ]
    assert admin.post("/api/v1/notifications/read-all").json == {"marked": 1}
    assert admin.get("/api/v1/notifications/unread-count").json == {"unread": 0}
    assert api(globex, "dealer_admin").get("/api/v1/notifications").json["items"] == []
    assert admin.get("/api/v1/notifications?unread=maybe").status_code == 422


def test_the_bell_counts_unread_and_the_page_opens_and_clears_them(
    app, acme, shop, visitor, run_jobs
):
    order_id = submit_order(app, acme, shop)
    move(app, acme, order_id, "sales", OrderStatus.APPROVED)
    run_jobs()
    dealer = visitor(acme)
    dealer.login("dealer-admin@acme.test", path="/login")
    home = dealer.get("/").get_data(as_text=True)
    assert 'data-unread="2"' in home and "通知：2 条未读" in home

    page = dealer.get("/notifications").get_data(as_text=True)
    assert page.index("订单 SO-000001 已批准") < page.index("订单 SO-000001 已提交")
    newest = int(re.findall(r"/notifications/(\d+)/open", page)[0])
    opened = dealer.post(f"/notifications/{newest}/open", token_from="/notifications")
    assert opened.status_code == 302 and opened.location == f"/orders/{order_id}"
    assert 'data-unread="1"' in dealer.get("/notifications").get_data(as_text=True)
    assert "已批准" not in dealer.get("/notifications?show=unread").get_data(as_text=True)

    dealer.post("/notifications/read-all", token_from="/notifications")
    assert 'data-unread="0"' in dealer.get("/notifications").get_data(as_text=True)

    # Staff read theirs in the console, linked to the console's order page.
    staff = visitor(acme)
    staff.login("warehouse@acme.test")
    console = staff.get("/console/notifications").get_data(as_text=True)
    assert "订单 SO-000001 已批准，可以发货" in console and 'data-unread="1"' in console
    mine = int(re.findall(r"/console/notifications/(\d+)/open", console)[0])
    assert (
        dealer.post(f"/notifications/{mine}/open", token_from="/notifications").status_code == 404
    ), "someone else's notification"
    opened = staff.post(f"/console/notifications/{mine}/open", token_from="/console/notifications")
    assert opened.location == f"/console/orders/{order_id}"


def test_each_review_step_tells_its_own_reviewers_when_the_order_reaches_it(
    app, acme, shop, run_jobs
):
    from dinghuo.core.orders.review import approve_step, start_review
    from dinghuo.platform.tenants.business import update_business_settings

    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        update_business_settings(session, None, {"review_steps": ["sales", "finance"]})
    order_id = submit_order(app, acme, shop, step=None)
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        start_review(session, session.get(Order, order_id))
    run_jobs()
    assert "finance" not in inbox(app, acme)

    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        approve_step(session, _as(session, acme, "sales"), order_id)
    run_jobs()
    assert inbox(app, acme)["finance"] == ["订单 SO-000001 等待财务审核"]
