"""Brand staff create a product in the console: 2 × 2 variants, prices, an image; it is listed."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct-horse-42"

pytestmark = pytest.mark.browser


def png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG: a square of one colour with a lighter diagonal band."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            band = abs(x - y) < size // 6
            row += bytes(min(c + 90, 255) if band else c for c in rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
    return b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b"")


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_staff_create_a_product_with_variants_and_an_image(
    app, acme, catalog, live_server, page: Page, tmp_path: Path
):
    sign_in(page, live_server.url(acme.host, "/console/login"), "owner@acme.test")
    page.locator(".nav-link", has_text="商品目录").click()
    expect(page.locator("[data-product]")).to_have_count(3)
    page.locator(".topbar-actions a.btn-primary").click()

    page.fill("#code", "p70")
    page.fill("#name_zh", "鼎新 P70 Pro")
    page.fill("#name_en", "Dingxin P70 Pro")
    page.fill("#model_number", "HBN-AL00")
    page.select_option("#brand_id", label="DX · 鼎新")
    page.select_option("#category_id", label="数码 › 手机")
    page.select_option("#status", "active")
    page.locator("#basics button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("P70")

    page.fill("#axis_1", "颜色")
    page.fill("#values_1", "雅川青=GRN, 羽砂黑=BLK")
    page.fill("#axis_2", "内存")
    page.fill("#values_2", "12+256G, 12+512G")
    page.locator("#variants button", has_text="生成 SKU").click()
    rows = page.locator("[data-sku]")
    expect(rows).to_have_count(4)
    expect(rows.first).to_have_attribute("data-sku", "P70-GRN-12-256G")

    for index, price in enumerate(["5499.00", "5999.00", "5499.00", "5999.00"]):
        page.fill(f"#skus-{index}-base_price", price)
        page.fill(f"#skus-{index}-msrp", str(int(float(price)) + 500) + ".00")
        page.fill(f"#skus-{index}-weight_g", "221")
    page.fill("#skus-0-barcode", "6941487200115")
    page.locator(".sku-table-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("SKU 已保存")
    expect(page.locator("#skus-1-base_price")).to_have_value("5999.00")

    picture = tmp_path / "p70.png"
    picture.write_bytes(png(240, (22, 101, 52)))
    page.set_input_files("#image", str(picture))
    page.fill("#alt", "P70 雅川青 正面")
    page.locator("#images button[type=submit]", has_text="上传图片").click()
    expect(page.locator(".image-tile img")).to_have_count(1)
    expect(page.locator(".image-tile .main-flag")).to_be_visible()
    shot(page, "acme-console-product-edit")

    page.goto(live_server.url(acme.host, "/console/catalog/products?q=p70"))
    row = page.locator('[data-product="P70"]')
    expect(row).to_be_visible()
    expect(row.locator("[data-sku-count]")).to_have_text("4")
    expect(row.locator("img.thumb")).to_be_visible()
    assert row.locator("img.thumb").evaluate("img => img.naturalWidth") == 240
    page.goto(live_server.url(acme.host, "/console/catalog/products"))
    expect(page.locator("[data-product]")).to_have_count(4)
    shot(page, "acme-console-products")
    page.goto(live_server.url(acme.host, "/console/catalog/categories"))
    shot(page, "acme-console-categories")
