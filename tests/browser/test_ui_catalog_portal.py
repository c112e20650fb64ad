"""A dealer finds a product by a Chinese query and by model number and sees its own tier price."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dinghuo.admin_ui.logo import storage
from dinghuo.core.catalog.images import add_image
from dinghuo.core.catalog.search import index_products
from dinghuo.core.inventory.service import create_warehouse, receive
from dinghuo.core.pricing.service import add_item, create_price_list, set_assignments
from dinghuo.demo_pictures import draw

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
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def shop(app, acme, catalog):
    """Acme's catalog with pictures, stock, and a tier-A price list for the phone."""
    with app.app_context(), app.extensions["dinghuo.db"].transaction(acme.id) as session:
        for code, colours, kind in (
            ("MATE60P", ("雅丹黑", "白沙银"), "phone"),
            ("CHG66", ("白色",), "accessory"),
            ("X7", ("玄黑",), "fold"),
        ):
            for colour in colours:
                add_image(
                    session,
                    None,
                    catalog.products[code],
                    draw(kind, colour),
                    files=storage(app),
                    alt=colour,
                )
        index_products(session, catalog.products.values())
        tier_a = create_price_list(session, None, code="TIER-A", name="A 级经销价")
        set_assignments(session, None, tier_a.id, [{"scope": "tier", "value": "A"}])
        for sku_code, price in (("MATE60P-BLK-512", "6288.00"), ("MATE60P-BLK-256", "5688.00")):
            sku_id = catalog.skus[sku_code]
            add_item(session, None, tier_a.id, sku_id=sku_id, price=Decimal(price))
            add_item(
                session, None, tier_a.id, sku_id=sku_id, min_qty=20, price=Decimal(price) - 100
            )
        warehouse = create_warehouse(session, None, code="HZ", name="杭州仓")
        for sku_code, quantity in (("MATE60P-BLK-512", 36), ("CHG66-WHT", 480), ("X7-BLK-1T", 5)):
            receive(
                session,
                None,
                warehouse_id=warehouse.id,
                sku_id=catalog.skus[sku_code],
                quantity=quantity,
            )
    return catalog


def test_a_tier_a_buyer_finds_the_phone_by_chinese_and_by_model_number(
    shop, acme, live_server, page: Page
):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url(acme.host, "/login"), "buyer@acme.test")
    page.locator(".portal-nav a", has_text="商品目录").click()
    expect(page.locator("[data-category=DIGITAL]")).to_be_visible()
    shot(page, "portal-catalog-home")

    page.fill("#catalog-q", "雅丹黑")
    page.locator(".catalog-search button[type=submit]").click()
    card = page.locator(".product-card[data-sku=MATE60P-BLK-512]")
    expect(card).to_be_visible()
    expect(card.locator("[data-price]")).to_have_text(re.compile(r"6,288\.00"))
    expect(card.locator(".stock-in")).to_contain_text("有货")
    expect(page.locator(".product-card[data-sku=MATE60P-SLV-512]")).to_have_count(0)
    shot(page, "portal-catalog-search-chinese")

    page.fill("#catalog-q", "ALN-AL00")
    page.locator(".results-toolbar button[type=submit]").click()
    expect(page.locator(".product-card")).to_have_count(4)
    shot(page, "portal-catalog-search-model")

    page.locator(".product-card[data-sku=MATE60P-BLK-512] .product-card-link").click()
    expect(page.locator("[data-product-name]")).to_have_text("鼎新 Mate 60 Pro")
    row = page.locator("tr[data-sku=MATE60P-BLK-512]")
    expect(row.locator("[data-price]")).to_have_text(re.compile(r"6,288\.00"))
    expect(row.locator("[data-breaks]")).to_contain_text("6,188.00")
    expect(row).to_contain_text("等级价")
    expect(page.locator("tr[data-sku=MATE60P-SLV-512] [data-price]")).to_have_text(
        re.compile(r"6,599\.00")
    )
    expect(page.locator(".gallery-thumbs img")).to_have_count(2)
    shot(page, "portal-catalog-product")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280


def test_a_tier_c_buyer_never_sees_the_tier_a_launch(shop, acme, live_server, page: Page):
    sign_in(page, live_server.url(acme.host, "/login"), "other-buyer@acme.test")
    page.goto(live_server.url(acme.host, "/catalog/search?q=X7"))
    expect(page.locator(".product-card")).to_have_count(0)
    expect(page.locator(".results-summary")).to_contain_text("0")
    shot(page, "portal-catalog-tier-c-no-launch")
    response = page.goto(live_server.url(acme.host, f"/catalog/products/{shop.products['X7']}"))
    assert response is not None and response.status == 404
    shot(page, "portal-catalog-hidden-404")


def test_the_catalog_reads_well_on_a_phone_at_night(shop, acme, live_server, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, color_scheme="dark"
    )
    page = context.new_page()
    sign_in(page, live_server.url(acme.host, "/login"), "buyer@acme.test")
    page.goto(live_server.url(acme.host, "/catalog/search?q=mate60"))
    expect(page.locator(".product-card").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "portal-catalog-search-phone-dark")
    page.goto(live_server.url(acme.host, f"/catalog/products/{shop.products['MATE60P']}"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "portal-catalog-product-phone-dark")
    context.close()
