"""A dealer reports its stock in the portal; staff then see it overstocked, in red."""

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


def test_a_dealer_reports_stock_and_staff_see_the_overstock_flag(
    acme, catalog, live_server, browser
):
    dealer = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(dealer, live_server.url(acme.host, "/login"), "buyer@acme.test")
    dealer.locator("a.nav-link[href='/stock-report']").click()
    expect(dealer.locator("h1")).to_contain_text("库存上报")

    phone = dealer.locator("tr[data-sku='MATE60P-BLK-256']")
    phone.locator("input[name^='on_hand-']").fill("95")
    phone.locator("input[name^='sold-']").fill("30")
    charger = dealer.locator("tr[data-sku='CHG66-WHT']")
    charger.locator("input[name^='on_hand-']").fill("20")
    charger.locator("input[name^='sold-']").fill("40")
    dealer.fill("input[name='code-0']", "MATE60P-SLV-512")
    dealer.fill("input[name='code_on_hand-0']", "-1")
    dealer.fill("input[name='code_sold-0']", "3")
    dealer.locator("#stock-report-form button[type=submit]").click()

    expect(dealer.locator("tr.has-error")).to_have_count(1)
    shot(dealer, "channel-stock-portal-error")
    dealer.fill("input[name='code_on_hand-0']", "2")
    dealer.locator("#stock-report-form button[type=submit]").click()
    expect(dealer.locator(".flash-success")).to_contain_text("3")
    expect(phone).to_contain_text("95")
    shot(dealer, "channel-stock-portal")

    staff = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(staff, live_server.url(acme.host, "/console/login"), "sales@acme.test")
    staff.locator("a.nav-link[href='/console/channel-stock']").click()
    flagged = staff.locator("tr[data-sku='MATE60P-BLK-256'][data-overstocked]")
    expect(flagged.locator(".badge-danger")).to_have_text("库存积压")
    expect(flagged).to_contain_text("95.0")
    expect(staff.locator("tr[data-sku='CHG66-WHT'] .badge-success")).to_be_visible()
    shot(staff, "channel-stock-console")

    staff.locator("a.tab", has_text="按 SKU").click()
    expect(staff.locator("tr[data-sku='MATE60P-BLK-256'] .badge-danger")).to_be_visible()
    shot(staff, "channel-stock-console-by-sku")

    admin = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(admin, live_server.url(acme.host, "/console/login"), "admin@acme.test")
    admin.goto(live_server.url(acme.host, f"/console/dealers/{acme.dealer_id}"))
    expect(admin.locator("[data-overstock-sku='MATE60P-BLK-256']")).to_be_visible()
    shot(admin, "channel-stock-dealer-box")
