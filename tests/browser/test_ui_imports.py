"""Staff import an XLSX in the console, watch it finish, and find the rows in the catalog."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct-horse-42"

pytestmark = pytest.mark.browser


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def test_staff_import_an_xlsx_and_see_the_products(
    page: Page, live_server, acme, catalog, run_jobs
):
    data = workbook(
        [
            ["产品编码", "产品名称", "品牌编码", "分类编码", "SKU编码", "条码", "规格", "批发价"],
            ["P70", "鼎新 P70 Pro", "DX", "PHONE", "P70-BLK", 6901234567892, "颜色=曜金黑", 4999.0],
            ["P70", "鼎新 P70 Pro", "DX", "PHONE", "P70-WHT", None, "颜色=雪域白", 4999.0],
            ["W3", "鼎新 Watch 3", "DX", "PHONE", "W3-STD", None, None, 1299.0],
        ]
    )
    sign_in(page, live_server.url(acme.host, "/console/login"), "owner@acme.test")
    page.goto(live_server.url(acme.host, "/console/imports"))
    page.select_option("#kind", "products")
    page.set_input_files(
        "#file",
        {
            "name": "新品.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": data,
        },
    )
    page.locator("form.form button[type=submit]").click()
    row = page.locator("tr[data-import]").first
    expect(row).to_be_visible()
    run_jobs()  # with Redis; inline jobs have already run. The page polls until done.
    expect(row).to_contain_text("新品.xlsx")
    expect(row.locator(".badge-success")).to_be_visible(timeout=15_000)
    expect(row.locator("[data-import-rows]")).to_have_text("3 / 3")
    page.screenshot(path=str(ARTIFACTS / "imports-console.png"), full_page=True)

    page.goto(live_server.url(acme.host, "/console/catalog/products"))
    expect(page.locator('tr[data-product="P70"]')).to_contain_text("鼎新 P70 Pro")
    expect(page.locator('tr[data-product="P70"] [data-sku-count]')).to_have_text("2")
    expect(page.locator('tr[data-product="W3"]')).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "imports-catalog.png"), full_page=True)


def test_a_bad_file_shows_its_error_report(page: Page, live_server, acme, catalog, run_jobs):
    data = workbook([["sku_code", "warehouse_code", "on_hand"], ["NOPE", "SH01", -1]])
    sign_in(page, live_server.url(acme.host, "/console/login"), "owner@acme.test")
    page.goto(live_server.url(acme.host, "/console/imports"))
    page.select_option("#kind", "stock")
    page.set_input_files(
        "#file", {"name": "stock.xlsx", "mimeType": "application/octet-stream", "buffer": data}
    )
    page.locator("form.form button[type=submit]").click()
    row = page.locator("tr[data-import]").first
    expect(row).to_be_visible()
    run_jobs()  # with Redis; inline jobs have already run. The page polls until done.
    expect(row.locator(".badge-danger")).to_be_visible(timeout=15_000)
    expect(row.locator('a[data-report="xlsx"]')).to_be_visible()
    with page.expect_download() as download:
        row.locator('a[data-report="csv"]').click()
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "2,sku_code,NOPE,Unknown SKU code." in report
