"""Cart pages: the dealer's cart and quick order, the variant grid, the console's order-for."""

from __future__ import annotations

import io
import re

import pytest


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def buyer(acme, shop, visitor):
    user = visitor(acme)
    user.login("buyer@acme.test", path="/login")
    return user


def lines(page: str) -> list[str]:
    return re.findall(r'<tr data-line="([^"]+)"', page)


def test_quick_order_adds_pasted_and_typed_lines_and_the_nav_counts_them(buyer, shop):
    response = buyer.post(
        "/cart/add",
        {
            "text": "MATE60P-BLK-256\t2\nCHG66-WHT 5",
            "code": ["mate60p-slv-256", ""],
            "quantity": ["3", ""],
        },
        token_from="/cart",
    )
    assert response.status_code == 302
    page = text(buyer.get("/cart"))
    assert lines(page) == ["MATE60P-BLK-256", "CHG66-WHT", "MATE60P-SLV-256"]
    assert 'data-problem="below_moq"' in page  # 5 chargers, MOQ 10: flagged, not refused
    assert re.search(r'class="nav-count" data-cart-count>3<', page)
    assert "data-blocked" in page


def test_refused_quick_order_marks_lines_and_rows_and_adds_nothing(buyer, shop):
    response = buyer.post(
        "/cart/add",
        {
            "text": "MATE60P-BLK-256 2\nNOPE 1",
            "code": ["X", "MATE60P-BLK-512"],
            "quantity": ["1", "0"],
        },
        token_from="/cart",
    )
    assert response.status_code == 422
    page = text(response)
    assert "NOPE" in page and "data-paste-errors" in page
    assert page.count('class="has-problem"') == 2  # both typed rows
    assert lines(text(buyer.get("/cart"))) == []


def test_quantities_are_updated_and_lines_removed_from_the_cart_form(buyer, shop):
    phone, charger = shop.skus["MATE60P-BLK-256"], shop.skus["CHG66-WHT"]
    buyer.post("/cart/add", {"text": "MATE60P-BLK-256 1\nCHG66-WHT 10"}, token_from="/cart")
    updated = buyer.post(
        "/cart/update", {f"qty-{phone}": "4", f"qty-{charger}": "20"}, token_from="/cart"
    )
    assert updated.status_code == 302
    page = text(buyer.get("/cart"))
    assert f'name="qty-{phone}" value="4"' in page
    removed = buyer.post(
        "/cart/update",
        {f"qty-{phone}": "4", f"qty-{charger}": "20", "remove": str(charger)},
        token_from="/cart",
    )
    assert removed.status_code == 302
    assert lines(text(buyer.get("/cart"))) == ["MATE60P-BLK-256"]
    refused = buyer.post("/cart/update", {f"qty-{phone}": "abc"}, token_from="/cart")
    assert refused.status_code == 422
    buyer.post("/cart/clear", {}, token_from="/cart")
    assert "data-empty-cart" in text(buyer.get("/cart"))


def test_an_order_sheet_upload_fills_the_cart(buyer, shop):
    response = buyer.post(
        "/cart/upload",
        {"file": (io.BytesIO("编码,数量\nMATE60P-SLV-256,4\n".encode()), "order.csv")},
        token_from="/cart",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert lines(text(buyer.get("/cart"))) == ["MATE60P-SLV-256"]


def test_the_variant_grid_orders_colour_by_memory(buyer, shop):
    product = text(buyer.get(f"/catalog/products/{shop.products['MATE60P']}"))
    assert "data-variant-grid" in product
    assert re.findall(r'data-grid-sku="([^"]+)"', product) == [
        "MATE60P-BLK-256",
        "MATE60P-BLK-512",
        "MATE60P-SLV-256",
        "MATE60P-SLV-512",
    ]
    blk512, slv256 = shop.skus["MATE60P-BLK-512"], shop.skus["MATE60P-SLV-256"]
    response = buyer.post(
        "/cart/grid",
        {"product_id": str(shop.products["MATE60P"]), f"qty-{blk512}": "2", f"qty-{slv256}": "1"},
        token_from=f"/catalog/products/{shop.products['MATE60P']}",
    )
    assert response.status_code == 302
    assert lines(text(buyer.get("/cart"))) == ["MATE60P-BLK-512", "MATE60P-SLV-256"]


def test_a_sales_rep_orders_for_a_dealer_from_the_console(acme, shop, visitor):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    chooser = text(sales.get("/console/order-for"))
    assert 'data-dealer="D001"' in chooser and 'data-dealer="D002"' in chooser
    page = f"/console/order-for?dealer_id={acme.dealer_id}"
    response = sales.post(
        f"/console/order-for/add?dealer_id={acme.dealer_id}",
        {"text": "MATE60P-BLK-256 6"},
        token_from=page,
    )
    assert response.status_code == 302
    assert lines(text(sales.get(page))) == ["MATE60P-BLK-256"]
    # Another dealer's prices and visibility: D002 cannot order the tier-A-only X7.
    refused = sales.post(
        f"/console/order-for/add?dealer_id={acme.other_dealer_id}",
        {"text": "X7-BLK-1T 1"},
        token_from=f"/console/order-for?dealer_id={acme.other_dealer_id}",
    )
    assert refused.status_code == 422
    warehouse = visitor(acme)
    warehouse.login("warehouse@acme.test")
    assert warehouse.get(page).status_code == 403
