"""Shipping in a real browser: the warehouse ships from the order page with scanned IMEIs, the
dealer sees the box and its tracking and confirms it, and the packing list prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from test_fulfilment import IMEIS, approved_order

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


def test_warehouse_ships_with_imeis_and_the_dealer_confirms_the_box(
    app, acme, shop, live_server, browser
):
    order = approved_order(app, acme, shop, {"MATE60P-BLK-256": 2, "CHG66-WHT": 10})
    staff = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(staff, live_server.url(acme.host, "/console/login"), "warehouse@acme.test")
    staff.goto(live_server.url(acme.host, f"/console/orders/{order['id']}"))
    form = staff.locator("[data-ship-form]")
    form.locator("#ship-tracking").fill("SF1234567890")
    phone = form.locator('[data-ship-line="MATE60P-BLK-256"]')
    phone.locator("input[type=number]").fill("2")
    phone.locator("textarea").fill("\n".join(IMEIS[:2]))
    form.locator('[data-ship-line="CHG66-WHT"] input[type=number]').fill("10")
    shot(staff, "fulfilment-console-before")
    with staff.expect_navigation():
        form.locator('[data-action="ship"]').click()
    shipment = staff.locator(f'[data-shipment="{order["number"]}-1"]')
    expect(shipment).to_contain_text("SF1234567890")
    expect(shipment).to_contain_text(IMEIS[1])
    tracking = shipment.locator("form.inline-form").first
    tracking.locator("select").select_option("in_transit")
    tracking.locator('input[name="location"]').fill("上海转运中心")
    with staff.expect_navigation():
        tracking.locator("button").click()
    expect(staff.locator("[data-tracking=in_transit]")).to_be_visible()
    shot(staff, "fulfilment-console-shipped")

    with staff.expect_popup() as popup:
        staff.locator(f'[data-shipment="{order["number"]}-1"] >> text=装箱单').click()
    packing = popup.value
    expect(packing.locator("[data-packing-list]")).to_contain_text(IMEIS[0])
    shot(packing, "fulfilment-packing-list")

    dealer = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(dealer, live_server.url(acme.host, "/login"), "buyer@acme.test")
    dealer.goto(live_server.url(acme.host, f"/orders/{order['id']}"))
    expect(dealer.locator("[data-shipments]")).to_contain_text("上海转运中心")
    with dealer.expect_navigation():
        dealer.locator('[data-action="confirm-delivery"]').click()
    expect(dealer.locator("[data-shipment-status=delivered]")).to_be_visible()
    dealer.locator("details.return-request summary").click()
    shot(dealer, "fulfilment-portal-delivered")
