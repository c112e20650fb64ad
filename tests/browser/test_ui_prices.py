"""Finance staff set a tier price with quantity breaks in the console and preview it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct-horse-42"

pytestmark = pytest.mark.browser


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_finance_sets_tier_prices_and_previews_a_dealers_price(
    page: Page, live_server, acme, catalog
):
    page.goto(live_server.url(acme.host, "/console/login"))
    page.fill("#email", "finance@acme.test")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()

    page.goto(live_server.url(acme.host, "/console/prices/new"))
    page.fill("#code", "tier-a")
    page.fill("#name", "A 级经销价")
    page.fill("#priority", "10")
    page.fill("#tiers", "A")
    with page.expect_navigation():
        page.get_by_role("button", name="创建价目表").click()
    expect(page.locator(".flash-success")).to_contain_text("TIER-A")
    shot(page, "prices-list-form")

    page.get_by_role("link", name="价格与阶梯价").click()
    page.fill("#rows", "MATE60P-BLK-256, 1, 5600\nMATE60P-BLK-256, 10, 5400\nCHG66-WHT, 10, 89")
    with page.expect_navigation():
        page.get_by_role("button", name="全部保存").click()
    expect(page.locator("#price-items tr[data-sku='MATE60P-BLK-256']")).to_have_count(2)
    shot(page, "prices-items")

    page.goto(live_server.url(acme.host, "/console/prices"))
    expect(page.locator("tr[data-price-list='TIER-A']")).to_contain_text("生效中")
    shot(page, "prices-lists")

    page.goto(live_server.url(acme.host, "/console/prices/preview"))
    page.fill("#dealer_code", "D001")
    page.fill("#sku_codes", "MATE60P-BLK-256, CHG66-WHT, X7-BLK-1T")
    page.fill("#quantity", "10")
    with page.expect_navigation():
        page.get_by_role("button", name="查看价格").click()
    expect(page.locator("#preview tr[data-sku='MATE60P-BLK-256']")).to_contain_text("5,400.00")
    expect(page.locator("#preview tr[data-sku='X7-BLK-1T']")).to_contain_text("基础价")
    shot(page, "prices-preview")
