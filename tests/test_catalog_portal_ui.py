"""The portal's catalog pages: browse, search with facets, a product at the dealer's prices."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from dinghuo.core.catalog.models import ProductImage
from dinghuo.core.catalog.search import index_products
from dinghuo.core.inventory.service import create_warehouse, receive
from dinghuo.core.pricing.service import add_item, create_price_list, set_assignments


@pytest.fixture
def shop(app, acme, catalog):
    """The catalog indexed, a tier-A price for the black 512G and 7 of them in stock."""
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        index_products(session, catalog.products.values())
        price_list = create_price_list(session, None, code="TIER-A", name="A 级价")
        set_assignments(session, None, price_list.id, [{"scope": "tier", "value": "A"}])
        black = catalog.skus["MATE60P-BLK-512"]
        add_item(session, None, price_list.id, sku_id=black, price=Decimal("6299.00"))
        add_item(session, None, price_list.id, sku_id=black, min_qty=20, price=Decimal("6199.00"))
        warehouse = create_warehouse(session, None, code="HZ", name="杭州仓")
        receive(session, None, warehouse_id=warehouse.id, sku_id=black, quantity=7)
    return catalog


@pytest.fixture
def buyer(acme, visitor):
    browser = visitor(acme)
    browser.login("buyer@acme.test", path="/login")
    return browser


@pytest.fixture
def tier_c_buyer(acme, visitor):
    browser = visitor(acme)
    browser.login("other-buyer@acme.test", path="/login")
    return browser


def text(response) -> str:
    return response.get_data(as_text=True)


def skus(response) -> list[str]:
    return re.findall(r'<li class="product-card" data-sku="([^"]+)"', text(response))


def test_the_catalog_home_shows_the_category_tree_and_new_products(shop, buyer):
    page = buyer.get("/catalog")
    assert page.status_code == 200
    body = text(page)
    assert 'data-category="DIGITAL"' in body and "手机" in body and "配件" in body
    assert 'id="catalog-q"' in body
    assert len(skus(page)) == 3, "one card per product"
    assert 'href="/catalog"' in buyer.get("/").get_data(as_text=True), "the nav links to it"


def test_a_chinese_query_finds_the_sku_with_the_dealers_price_and_stock(shop, buyer):
    page = buyer.get("/catalog/search?q=雅丹黑")
    assert sorted(skus(page)) == ["MATE60P-BLK-256", "MATE60P-BLK-512"]
    card = re.search(r'data-sku="MATE60P-BLK-512".*?</li>', text(page), re.S).group(0)
    assert "6,299.00" in card
    assert 'data-available="7"' in card


def test_a_model_number_finds_the_product(shop, buyer):
    assert len(skus(buyer.get("/catalog/search?q=ALN-AL00"))) == 4


def test_facets_narrow_the_results_and_show_counts(shop, buyer):
    page = buyer.get("/catalog/search")
    body = text(page)
    assert 'data-facet="category=' in body
    assert 'data-facet="in_stock=1"' in body
    in_stock = buyer.get("/catalog/search?in_stock=1")
    assert skus(in_stock) == ["MATE60P-BLK-512"]
    accessories = buyer.get(f"/catalog/search?category={shop.categories['ACC']}")
    assert skus(accessories) == ["CHG66-WHT"]
    assert 'aria-pressed="true"' in text(accessories)


def test_more_results_come_a_page_at_a_time(shop, buyer, monkeypatch):
    from dinghuo.admin_ui.views import catalog_portal

    monkeypatch.setattr(catalog_portal, "PAGE_SIZE", 4)
    first = buyer.get("/catalog/search?sort=newest")
    more = re.search(r'href="([^"]+)" rel="next"', text(first)).group(1).replace("&amp;", "&")
    second = buyer.get(more)
    assert len(skus(first)) == 4
    assert set(skus(second)).isdisjoint(skus(first))
    assert len(skus(first)) + len(skus(second)) == 6
    assert buyer.get("/catalog/search?cursor=forged").status_code == 200


def test_bad_filters_are_ignored_rather_than_failing(shop, buyer):
    for query in ("category=x", "sort=drop", "brand=-1", "in_stock=yes", "q=" + "长" * 500):
        assert buyer.get(f"/catalog/search?{query}").status_code == 200, query


def test_the_product_page_shows_variants_prices_breaks_and_availability(shop, buyer, app, acme):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.add(
            ProductImage(
                product_id=shop.products["MATE60P"],
                storage_key=f"{acme.id}/mate.png",
                content_type="image/png",
            )
        )
    page = buyer.get(f"/catalog/products/{shop.products['MATE60P']}")
    assert page.status_code == 200
    body = text(page)
    assert "ALN-AL00" in body
    row = re.search(r'<tr data-sku="MATE60P-BLK-512">.*?</tr>', body, re.S).group(0)
    assert "6,299.00" in row and "6,199.00" in row and "≥ 20" in row
    assert "6,999.00" in row, "MSRP"
    assert 'data-available="7"' in row
    assert re.search(r'<tr data-sku="MATE60P-SLV-256">.*?data-available="0"', body, re.S)
    assert "/catalog/images/" in body


def test_a_product_hidden_from_the_dealer_is_a_404_page(shop, buyer, tier_c_buyer):
    path = f"/catalog/products/{shop.products['X7']}"
    assert buyer.get(path).status_code == 200
    hidden = tier_c_buyer.get(path)
    assert hidden.status_code == 404
    assert "X7" not in text(hidden)
    assert "X7-BLK-1T" not in skus(tier_c_buyer.get("/catalog/search?q=X7"))


def test_pictures_are_served_only_to_dealers_who_may_see_the_product(
    shop, buyer, tier_c_buyer, app, acme
):
    from dinghuo.admin_ui.logo import storage

    png = b"\x89PNG\r\n\x1a\nfake"
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        key = storage(app).save(acme.id, "x7.png", png)
        image = ProductImage(
            product_id=shop.products["X7"], storage_key=key, content_type="image/png"
        )
        session.add(image)
        session.flush()
        image_id = image.id
    shown = buyer.get(f"/catalog/images/{image_id}")
    assert shown.status_code == 200 and shown.data == png
    assert shown.headers["Content-Type"] == "image/png"
    assert tier_c_buyer.get(f"/catalog/images/{image_id}").status_code == 404


def test_staff_are_sent_to_the_console_and_strangers_to_sign_in(shop, acme, visitor):
    staff = visitor(acme)
    staff.login("sales@acme.test")
    assert staff.get("/catalog").status_code == 302
    stranger = visitor(acme).get("/catalog/search?q=mate")
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]


def test_the_pages_speak_english_too(shop, buyer, app, acme):
    buyer.post("/locale", {"locale": "en", "next": "/catalog"}, token_from="/catalog")
    page = text(buyer.get(f"/catalog/products/{shop.products['MATE60P']}"))
    assert "Dingxin Mate 60 Pro" in page and "Variants and prices" in page
    assert "In stock" in page
