"""The whole path in a browser, each step by the person who does it.

A dealer's buyer pastes SKU codes and quantities (quick order) and checks out
with an address, a courier and a PO number; the sales reviewer approves the
order in the console; the warehouse ships it with a tracking number and the
phones' IMEIs and records a courier scan; the buyer sees the shipment and its
tracking on the order page. Each step is screenshotted to tests/artifacts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dinghuo.demo_orders import imei

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct-horse-42"
TRACKING = "SF1406000012345"
PHONES = [imei(n) for n in (101, 102)]

pytestmark = pytest.mark.browser


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    """The whole page from its top (a scrolled page would draw its sticky header mid-shot)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_quick_order_is_approved_shipped_and_tracked_by_the_dealer(
    acme, shop, live_server, browser, enable_plugin
):
    enable_plugin(acme, "flat_rate", {"amount": "20.00", "label": "顺丰标快"})

    # The dealer's buyer pastes two SKUs with quantities from a spreadsheet.
    buyer = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(buyer, live_server.url(acme.host, "/login"), "buyer@acme.test")
    buyer.locator("a.nav-link[href='/cart']").click()
    buyer.fill("[data-paste]", "MATE60P-BLK-256\t2\nCHG66-WHT\t10")
    with buyer.expect_navigation():
        buyer.locator("[data-quick-add]").click()
    expect(buyer.locator("tr[data-line]")).to_have_count(2)
    expect(buyer.locator("[data-blocked]")).to_have_count(0)
    shot(buyer, "order-path-1-cart")

    # Checkout: the default address, the courier, a PO number.
    with buyer.expect_navigation():
        buyer.locator("[data-checkout]").click()
    expect(buyer.locator("[data-address-detail]")).to_contain_text("世纪大道 100 号")
    buyer.locator("[data-option='flat_rate:standard'] input").check()
    expect(buyer.locator("[data-freight]")).to_have_text("¥20.00")
    buyer.fill("#po_number", "ACME-PO-0042")
    shot(buyer, "order-path-2-checkout")
    with buyer.expect_navigation():
        buyer.locator("[data-place-order]").click()
    expect(buyer.locator("h1")).to_contain_text("SO-000001")
    order_url = buyer.url
    order_id = order_url.rstrip("/").rsplit("/", 1)[1]
    shot(buyer, "order-path-3-submitted")

    # The sales reviewer finds it in their queue and approves it.
    sales = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(sales, live_server.url(acme.host, "/console/login"), "sales@acme.test")
    sales.goto(live_server.url(acme.host, "/console/orders/review"))
    row = sales.locator("tr[data-order='SO-000001']")
    expect(row).to_contain_text("ACME-PO-0042")
    shot(sales, "order-path-4-review-queue")
    with sales.expect_navigation():
        row.locator("a").click()
    expect(sales.locator("[data-review-step='sales']")).to_be_visible()
    sales.fill("#review-reason", "库存充足，同意")
    with sales.expect_navigation():
        sales.locator("[data-action='approve']").click()
    expect(sales.locator("h1 [data-status]")).to_have_attribute("data-status", "approved")
    expect(sales.locator("[data-payment-terms]")).to_have_text("预付款")
    expect(sales.locator("[data-print]")).to_have_attribute(
        "href", f"/console/orders/{order_id}/print"
    )
    lines_fit = "e => e.scrollWidth <= e.clientWidth"
    assert sales.locator("[data-order-lines]").locator("..").evaluate(lines_fit), (
        "every column of the lines, the line total included, fits the card at 1280 px"
    )
    shot(sales, "order-path-5-approved")

    # The warehouse ships both lines with a tracking number and the phones' IMEIs.
    warehouse = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(warehouse, live_server.url(acme.host, "/console/login"), "warehouse@acme.test")
    warehouse.goto(live_server.url(acme.host, f"/console/orders/{order_id}"))
    form = warehouse.locator("[data-ship-form]")
    form.locator("#ship-tracking").fill(TRACKING)
    phone = form.locator('[data-ship-line="MATE60P-BLK-256"]')
    phone.locator("input[type=number]").fill("2")
    phone.locator("textarea").fill("\n".join(PHONES))
    form.locator('[data-ship-line="CHG66-WHT"] input[type=number]').fill("10")
    with warehouse.expect_navigation():
        form.locator('[data-action="ship"]').click()
    shipment = warehouse.locator("[data-shipment='SO-000001-1']")
    expect(shipment).to_contain_text(TRACKING)
    expect(shipment).to_contain_text(PHONES[1])
    scan = shipment.locator("form.inline-form").first
    scan.locator("select").select_option("in_transit")
    scan.locator('input[name="location"]').fill("上海转运中心")
    with warehouse.expect_navigation():
        scan.locator("button").click()
    expect(warehouse.locator("h1 [data-status]")).to_have_attribute("data-status", "shipped")
    staff_timeline = warehouse.locator("[data-timeline]")
    expect(staff_timeline).to_contain_text("顺丰标快 " + TRACKING)
    expect(staff_timeline).to_contain_text("运输中")
    for raw in ("flat_rate", "in_transit", "shipment", "tracking"):
        expect(staff_timeline).not_to_contain_text(raw)
    shot(warehouse, "order-path-6-shipped")

    # The buyer sees the shipment, its tracking number and the scan on the order page.
    buyer.goto(order_url)
    expect(buyer.locator("[data-shipment='SO-000001-1']")).to_contain_text(TRACKING)
    expect(buyer.locator("[data-tracking-list]")).to_contain_text("上海转运中心")
    timeline = buyer.locator("[data-timeline]")
    expect(timeline).to_contain_text("上海转运中心")
    expect(timeline).to_contain_text("库存充足，同意")
    expect(timeline.locator("li", has_text="上海转运中心")).to_have_count(1)
    expect(timeline).to_contain_text("上海仓")
    expect(buyer.locator("[data-shipment='SO-000001-1']")).to_contain_text("顺丰标快")
    for raw in ("flat_rate", "in_transit", " SH "):
        expect(buyer.locator("main")).not_to_contain_text(raw)
    expect(buyer.locator("[data-action='confirm-delivery']")).to_be_visible()
    shot(buyer, "order-path-7-dealer-tracking")
