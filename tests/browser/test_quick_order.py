"""A dealer pastes an order from Excel, fixes the refused line, and edits the cart in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

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


def test_quick_order_paste_fills_the_cart_and_quantities_reprice_it(
    acme, shop, live_server, browser
):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url(acme.host, "/login"), "buyer@acme.test")
    page.locator("a.nav-link[href='/cart']").click()
    expect(page.locator("h1")).to_have_text("购物车")
    expect(page.locator("[data-empty-cart]")).to_be_visible()

    page.fill("[data-paste]", "SKU\t数量\nMATE60P-BLK-256\t2\nCHG66-WHT\t5\nNOPE-9\t1")
    page.locator("[data-quick-rows] input[name='code']").first.fill("mate60p-slv-256")
    page.locator("[data-quick-rows] input[name='quantity']").first.fill("3")
    page.locator("[data-quick-add]").click()
    expect(page.locator("[data-paste-errors]")).to_contain_text("第 4 行：未知编码：NOPE-9。")
    expect(page.locator("[data-empty-cart]")).to_be_visible()  # nothing was added
    shot(page, "quick-order-refused")

    page.fill("[data-paste]", "MATE60P-BLK-256\t2\nCHG66-WHT\t5")
    page.locator("[data-quick-add]").click()
    expect(page.locator(".flash-success")).to_contain_text("3")
    expect(page.locator("tr[data-line]")).to_have_count(3)
    expect(page.locator(".portal-nav [data-cart-count]")).to_have_text("3")
    charger = page.locator("tr[data-line='CHG66-WHT']")
    expect(charger.locator(".errors")).to_contain_text("起订量为 10 件")
    expect(page.locator("[data-blocked]")).to_be_visible()
    shot(page, "cart-with-problem")

    # Changing a quantity re-prices the cart without pressing "update".
    total_before = page.locator("[data-total]").inner_text()
    charger.locator("[data-qty]").fill("20")
    charger.locator("[data-qty]").press("Tab")
    expect(page.locator("tr[data-line='CHG66-WHT'] .errors")).to_have_count(0)
    expect(page.locator("[data-total]")).not_to_have_text(total_before)
    expect(page.locator("[data-blocked]")).to_have_count(0)
    shot(page, "cart")

    page.goto(live_server.url(acme.host, f"/catalog/products/{shop.products['MATE60P']}"))
    page.locator("[data-grid-sku='MATE60P-BLK-512']").fill("1")
    page.locator("[data-grid-add]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".portal-nav [data-cart-count]")).to_have_text("4")
    shot(page, "product-variant-grid")
