"""A dealer follows an order in the portal: list, order page with its tracking, print, bell."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from dinghuo.core.fulfilment.models import Shipment, ShipmentStatus, TrackingEvent
from dinghuo.core.orders import lifecycle, review, submission
from dinghuo.core.orders.models import Order
from dinghuo.core.orders.states import OrderStatus
from dinghuo.db import utcnow
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct-horse-42"

pytestmark = pytest.mark.browser


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def shipped_order(app, world, shop) -> int:
    """A buyer's order, approved by sales and on its way with two carrier scans."""
    database = app.extensions["dinghuo.db"]

    def actor(session, who):
        return principal_for_user(session.get(User, world.users[who].id))

    with database.transaction(world.id) as session:
        order = submission.submit_order(
            session,
            actor(session, "buyer"),
            lines=[(shop.skus["MATE60P-BLK-512"], 3), (shop.skus["CHG66-WHT"], 20)],
            ship_to_address_id=shop.addresses["D001"],
            delivery_method="pickup",
            po_number="XC-2406-031",
            notes="周五前到货，谢谢。",
            idempotency_key=str(uuid.uuid4()),
        ).order
        order_id = order.id
    with database.transaction(world.id) as session:
        review.approve_step(session, actor(session, "sales"), order_id, reason="库存充足")
    with database.transaction(world.id) as session:
        order = session.scalar(select(Order).where(Order.id == order_id))
        shipment = Shipment(
            number=f"{order.number}-1",
            order_id=order_id,
            warehouse_id=shop.warehouses["SH"],
            status=ShipmentStatus.IN_TRANSIT,
            carrier="manual",
            tracking_number="SF1234567890",
        )
        session.add(shipment)
        session.flush()
        lifecycle.transition(session, actor(session, "warehouse"), order, OrderStatus.SHIPPED)
        start = utcnow()
        for minutes, status, place, text in (
            (1, "picked_up", "上海 Shanghai", "已揽收"),
            (90, "in_transit", "杭州转运中心", "运输中，发往杭州"),
        ):
            session.add(
                TrackingEvent(
                    shipment_id=shipment.id,
                    occurred_at=start + dt.timedelta(minutes=minutes),
                    status=status,
                    location=place,
                    description=text,
                    source="manual",
                )
            )
    return order_id


def test_a_dealer_follows_an_order_from_the_list_to_its_tracking_and_prints_it(
    app, acme, shop, live_server, browser, run_jobs
):
    order_id = shipped_order(app, acme, shop)
    run_jobs()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url(acme.host, "/login"), "buyer@acme.test")

    expect(page.locator("a.bell")).to_have_attribute("data-unread", "1")
    page.locator("a.nav-link[href='/orders']").click()
    row = page.locator("tr[data-order='SO-000001']")
    expect(row).to_contain_text("XC-2406-031")
    expect(row.locator(".order-status")).to_have_text("已发货")
    shot(page, "orders-portal-list")

    page.locator("a.tab", has_text="运输中").click()
    expect(page.locator("tr[data-order]")).to_have_count(1)
    row.locator("a").click()
    expect(page.locator("h1")).to_contain_text("SO-000001")
    timeline = page.locator("[data-timeline]")
    expect(timeline.locator("li").first).to_contain_text("运输中")
    expect(timeline.locator("li").nth(2)).to_contain_text("已发货")
    expect(timeline).to_contain_text("杭州转运中心")
    expect(timeline).not_to_contain_text("@acme.test")
    expect(timeline).to_contain_text("库存充足")
    expect(page.locator("[data-order-lines] tr[data-sku]")).to_have_count(2)
    expect(page.locator("a[href$='/change']")).to_have_count(0)
    shot(page, "orders-portal-order")

    page.goto(live_server.url(acme.host, f"/orders/{order_id}/print"))
    expect(page.locator("[data-confirmation]")).to_contain_text("订单确认单")
    expect(page.locator(".totals .grand").last).to_contain_text("¥")
    shot(page, "orders-portal-print")
    page.emulate_media(media="print")
    expect(page.locator(".print-toolbar")).to_be_hidden()
    page.emulate_media(media="screen")
    page.locator(".print-toolbar a").click()

    page.locator("a.bell").click()
    expect(page.locator(".notice-item.unread")).to_have_count(1)
    shot(page, "notifications-portal")
    page.locator(".notice-item.unread button").click()
    expect(page).to_have_url(live_server.url(acme.host, f"/orders/{order_id}"))
    expect(page.locator("a.bell")).to_have_attribute("data-unread", "0")
