"""The stock pages in a real browser: levels, a SKU's ledger, replenishment."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dinghuo.core.inventory import reorder, service

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct-horse-42"

pytestmark = pytest.mark.browser


@pytest.fixture
def stocked(app, acme, catalog):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        sh = service.create_warehouse(session, None, code="SH", name="上海仓", region="华东")
        bj = service.create_warehouse(session, None, code="BJ", name="北京仓", region="华北")
        for code, where, quantity in (
            ("MATE60P-BLK-256", sh, 40),
            ("MATE60P-BLK-256", bj, 12),
            ("MATE60P-SLV-512", sh, 8),
            ("CHG66-WHT", sh, 120),
        ):
            service.receive(
                session, None, warehouse_id=where.id, sku_id=catalog.skus[code], quantity=quantity
            )
        for line in range(3):
            reservation = service.reserve(
                session,
                None,
                sku_id=catalog.skus["MATE60P-BLK-256"],
                quantity=5,
                reference_type="order_line",
                reference_id=str(line),
            )
            if line:
                service.commit_reservation(session, None, reservation.id, "shipped")
        reorder.update_policy(
            session, None, catalog.skus["MATE60P-SLV-512"], manual_reorder_point=20
        )
    return catalog


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_warehouse_staff_read_levels_ledger_and_replenishment(
    acme, stocked, live_server, page: Page
):
    sign_in(page, live_server.url(acme.host, "/console/login"), "warehouse@acme.test")
    page.goto(live_server.url(acme.host, "/console/stock"))
    expect(page.locator('tr[data-sku="MATE60P-SLV-512"]')).to_contain_text("8")
    shot(page, "inventory-levels")

    page.click('a:has-text("MATE60P-BLK-256")')
    expect(page.locator("[data-ledger]")).to_be_visible()
    shot(page, "inventory-sku-ledger")

    page.goto(live_server.url(acme.host, "/console/stock/movements/new?kind=adjustment"))
    page.select_option("#warehouse_id", label="SH · 上海仓")
    page.fill("#sku_code", "MATE60P-SLV-512")
    page.fill("#quantity", "-9")
    page.fill("#reason", "破损")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#field-quantity .errors")).to_contain_text(
        "in warehouse SH: requested 9, available 8"
    )
    shot(page, "inventory-adjustment-refused")

    page.goto(live_server.url(acme.host, "/console/stock/alerts"))
    expect(page.locator('[data-suggestions] tr[data-sku="MATE60P-SLV-512"]')).to_be_visible()
    shot(page, "inventory-replenishment")
