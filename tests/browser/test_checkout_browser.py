"""A dealer goes from the cart through checkout to the new order's page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dinghuo.core.crm.service import add_address

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


def test_a_dealer_checks_out_the_cart_with_a_courier_and_lands_on_the_order(
    app, acme, shop, live_server, browser, enable_plugin
):
    enable_plugin(acme, "flat_rate", {"amount": "25.00", "estimated_days": 2})
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        add_address(
            session,
            None,
            acme.dealer_id,
            kind="ship_to",
            label="北京门店",
            recipient="李店长",
            phone="13900139000",
            province="北京市",
            city="北京市",
            district="朝阳区",
            street="建国路 88 号",
        )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url(acme.host, "/login"), "buyer@acme.test")
    page.goto(live_server.url(acme.host, "/cart"))
    page.fill("[data-paste]", "MATE60P-BLK-256\t2\nCHG66-WHT\t10")
    with page.expect_navigation():
        page.locator("[data-quick-add]").click()

    with page.expect_navigation():
        page.locator("[data-checkout]").click()
    expect(page.locator("h1")).to_have_text("结算")
    expect(page.locator("[data-address-detail]")).to_contain_text("世纪大道 100 号")
    expect(page.locator("[data-refresh]")).to_be_hidden()  # the page re-quotes by itself
    goods = page.locator("[data-total]").inner_text()
    expect(page.locator("[data-freight]")).to_have_text("¥0.00")

    page.select_option("[data-address]", label="北京门店 · 李店长 · 北京市北京市朝阳区建国路 88 号")
    expect(page.locator("[data-address-detail]")).to_contain_text("建国路 88 号")
    page.locator("[data-option='flat_rate:standard'] input").check()
    expect(page.locator("[data-freight]")).to_have_text("¥25.00")
    expect(page.locator("[data-total]")).not_to_have_text(goods)
    page.fill("#po_number", "BJ-2406-07")
    page.fill("#notes", "请送到门店后门。")
    shot(page, "checkout")
    shown = page.locator("[data-total]").inner_text()

    with page.expect_navigation():
        page.locator("[data-place-order]").click()
    expect(page.locator("h1")).to_contain_text("SO-000001")
    expect(page.locator(".flash-success")).to_contain_text("SO-000001 已提交")
    expect(page.locator("body")).to_contain_text("BJ-2406-07")
    expect(page.locator("body")).to_contain_text("建国路 88 号")
    expect(page.locator("[data-totals] [data-total]")).to_have_text(shown)
    shot(page, "checkout-order")
    page.close()
