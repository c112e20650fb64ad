"""Catalog search on SQLite and PostgreSQL alike: matching, filters, facets, sorts, pages, who sees what."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from dinghuo.core.catalog.models import (
    DealerSkuCode,
    Product,
    ProductSpec,
    ProductStatus,
    ProductTag,
    Sku,
    SpecAttribute,
    Tag,
)
from dinghuo.core.catalog.search import index_products
from dinghuo.core.inventory.models import StockLevel, Warehouse

URL = "/api/v1/catalog/search"


@pytest.fixture
def indexed(app, acme, catalog):
    """Acme's catalog with tags, specs, stock and a dealer's own code, all indexed."""
    db = app.extensions["dinghuo.db"]
    with db.transaction(acme.id) as session:
        phones = catalog.categories["PHONE"]
        screen = SpecAttribute(category_id=phones, code="screen", name_zh="屏幕", name_en="Screen")
        new, g5 = Tag(name="新品"), Tag(name="5G")
        warehouse = Warehouse(code="WH1", name="主仓")
        session.add_all([screen, new, g5, warehouse])
        session.flush()
        mate, fold = catalog.products["MATE60P"], catalog.products["X7"]
        session.add_all(
            [
                ProductSpec(product_id=mate, attribute_id=screen.id, value="6.82"),
                ProductSpec(product_id=fold, attribute_id=screen.id, value="7.8"),
                ProductTag(product_id=mate, tag_id=g5.id),
                ProductTag(product_id=fold, tag_id=new.id),
                ProductTag(product_id=fold, tag_id=g5.id),
                StockLevel(
                    warehouse_id=warehouse.id, sku_id=catalog.skus["MATE60P-BLK-512"], on_hand=5
                ),
                StockLevel(
                    warehouse_id=warehouse.id,
                    sku_id=catalog.skus["MATE60P-SLV-256"],
                    on_hand=3,
                    reserved=3,
                ),
                DealerSkuCode(
                    dealer_id=acme.dealer_id, sku_id=catalog.skus["CHG66-WHT"], code="MY-CHG 01"
                ),
            ]
        )
        index_products(session, catalog.products.values())
    return catalog


def codes(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [hit["sku_code"] for hit in response.get_json()["items"]]


MATE = {"MATE60P-BLK-256", "MATE60P-BLK-512", "MATE60P-SLV-256", "MATE60P-SLV-512"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("mate60", MATE),
        ("Mate 60 Pro", MATE),
        ("ｍａｔｅ６０", MATE),
        ("雅丹黑", {"MATE60P-BLK-256", "MATE60P-BLK-512"}),
        ("12+512", {"MATE60P-BLK-512", "MATE60P-SLV-512"}),
        ("雅丹黑 12+512", {"MATE60P-BLK-512"}),
        ("ALN-AL00", MATE),
        ("aln-al00", MATE),
        ("69414872001", {"CHG66-WHT"}),
        ("chg66-wht", {"CHG66-WHT"}),
        ("折叠", {"X7-BLK-1T"}),
        ("充电", {"CHG66-WHT"}),
        ("X7", {"X7-BLK-1T"}),
        ("配件", {"CHG66-WHT"}),
        ("6.82", MATE),
        ("5g", MATE | {"X7-BLK-1T"}),
        ("nothing-like-this", set()),
        ("100%", set()),
        ("_", set()),
    ],
)
def test_staff_find_skus_by_chinese_mixed_and_code_queries(api, acme, indexed, query, expected):
    assert set(codes(api(acme, "owner").get(URL, query_string={"q": query}))) == expected


def test_a_dealer_finds_skus_by_its_own_codes(api, acme, indexed):
    buyer = api(acme, "buyer")
    assert codes(buyer.get(URL, query_string={"q": "my-chg01"})) == ["CHG66-WHT"]
    assert codes(buyer.get(URL, query_string={"q": "MY-CHG 01"})) == ["CHG66-WHT"]
    assert codes(api(acme, "other_buyer").get(URL, query_string={"q": "my-chg01"})) == []
    assert codes(api(acme, "owner").get(URL, query_string={"q": "my-chg01"})) == []


def test_filters_narrow_hits_and_categories_include_descendants(api, acme, indexed):
    owner = api(acme, "owner")
    digital = indexed.categories["DIGITAL"]
    assert len(codes(owner.get(URL, query_string={"category_id": digital}))) == 6
    accessories = indexed.categories["ACC"]
    assert codes(owner.get(URL, query_string={"category_id": accessories})) == ["CHG66-WHT"]
    assert codes(owner.get(URL, query_string={"category_id": 999999})) == []
    assert len(codes(owner.get(URL, query_string={"brand_id": indexed.brands["DX"]}))) == 6
    assert codes(owner.get(URL, query_string={"tag": "新品"})) == ["X7-BLK-1T"]
    assert codes(owner.get(URL, query_string={"spec": "screen:7.8"})) == ["X7-BLK-1T"]
    both = owner.get(URL, query_string={"spec": "screen:6.82", "q": "雅丹黑", "tag": "5G"})
    assert set(codes(both)) == {"MATE60P-BLK-256", "MATE60P-BLK-512"}
    assert codes(owner.get(URL, query_string={"in_stock": "true"})) == ["MATE60P-BLK-512"]
    out = codes(owner.get(URL, query_string={"in_stock": "false"}))
    assert len(out) == 5 and "MATE60P-SLV-256" in out


def test_facets_count_every_hit_not_only_the_page(api, acme, indexed):
    body = api(acme, "owner").get(URL, query_string={"q": "鼎新", "limit": 1}).get_json()
    facets = body["facets"]
    assert body["total"] == 6 and len(body["items"]) == 1 and body["next_cursor"]
    assert {(f["code"], f["count"]) for f in facets["categories"]} == {("PHONE", 5), ("ACC", 1)}
    assert [(f["name"], f["count"]) for f in facets["brands"]] == [("鼎新", 6)]
    assert [(f["name"], f["count"]) for f in facets["tags"]] == [("5G", 5), ("新品", 1)]
    [screen] = facets["specs"]
    assert screen["code"] == "screen" and screen["name_zh"] == "屏幕"
    assert [(v["name"], v["count"]) for v in screen["values"]] == [("6.82", 4), ("7.8", 1)]
    assert facets["in_stock"] == 1


def test_status_is_a_staff_filter_and_dealers_see_only_active(app, api, acme, indexed):
    db = app.extensions["dinghuo.db"]
    with db.transaction(acme.id) as session:
        session.execute(
            update(Product)
            .where(Product.id == indexed.products["CHG66"])
            .values(status=ProductStatus.DRAFT)
        )
        session.execute(
            update(Sku)
            .where(Sku.id == indexed.skus["MATE60P-SLV-512"])
            .values(status=ProductStatus.DISCONTINUED)
        )
        index_products(session, indexed.products.values())
    owner = api(acme, "owner")
    assert codes(owner.get(URL, query_string={"status": "draft"})) == ["CHG66-WHT"]
    assert codes(owner.get(URL, query_string={"status": "discontinued"})) == ["MATE60P-SLV-512"]
    assert len(codes(owner.get(URL))) == 6
    buyer = api(acme, "buyer")
    seen = codes(buyer.get(URL))
    assert "CHG66-WHT" not in seen and "MATE60P-SLV-512" not in seen and len(seen) == 4
    refused = buyer.get(URL, query_string={"status": "draft"})
    assert refused.status_code == 422 and "status" in refused.get_json()["error"]["fields"]


def test_a_hidden_product_is_absent_from_a_dealers_hits_and_facets(api, acme, indexed):
    tier_a = api(acme, "buyer").get(URL, query_string={"q": "x7"}).get_json()
    assert [hit["sku_code"] for hit in tier_a["items"]] == ["X7-BLK-1T"]
    tier_c = api(acme, "other_buyer").get(URL, query_string={"q": "鼎新"}).get_json()
    assert "X7-BLK-1T" not in [hit["sku_code"] for hit in tier_c["items"]]
    assert tier_c["total"] == 5
    assert [(f["name"], f["count"]) for f in tier_c["facets"]["tags"]] == [("5G", 4)]
    assert [v["name"] for v in tier_c["facets"]["specs"][0]["values"]] == ["6.82"]


def test_dealers_see_their_price_and_stock_staff_the_base_price(api, acme, indexed):
    query = {"q": "MATE60P-BLK-512"}
    [mine] = api(acme, "buyer").get(URL, query_string=query).get_json()["items"]
    assert mine["price"]["unit_price"] == "6599.00" and mine["price"]["source"] == "base"
    assert mine["base_price"] is None and mine["available"] == 5
    assert mine["variant"] == {"颜色": "雅丹黑", "内存": "12+512G"}
    [staff] = api(acme, "owner").get(URL, query_string=query).get_json()["items"]
    assert staff["price"] is None and staff["base_price"] == "6599.00"
    assert staff["product_id"] == indexed.products["MATE60P"] and staff["main_image_id"] is None


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("price", "CHG66-WHT", "X7-BLK-1T"),
        ("-price", "X7-BLK-1T", "CHG66-WHT"),
    ],
)
def test_price_sort_pages_through_every_hit_once(api, acme, indexed, sort, first, last):
    owner = api(acme, "owner")
    seen, cursor = [], None
    while True:
        args = {"sort": sort, "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = owner.get(URL, query_string=args).get_json()
        seen += [hit["sku_code"] for hit in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 6
    assert seen[0] == first and seen[-1] == last


def test_sales_newest_and_relevance_sorts(app, api, acme, indexed):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.execute(
            update(Sku).where(Sku.id == indexed.skus["CHG66-WHT"]).values(sales_qty=500)
        )
    owner = api(acme, "owner")
    assert codes(owner.get(URL, query_string={"sort": "sales"}))[0] == "CHG66-WHT"
    assert len(codes(owner.get(URL, query_string={"sort": "newest"}))) == 6
    by_code = codes(owner.get(URL, query_string={"q": "mate60p-slv-512"}))
    assert by_code == ["MATE60P-SLV-512"]
    ranked = codes(owner.get(URL, query_string={"q": "dx"}))
    assert len(ranked) == 6
    pages, cursor = [], None
    while True:
        args = {"q": "鼎新", "limit": 4} | ({"cursor": cursor} if cursor else {})
        body = owner.get(URL, query_string=args).get_json()
        pages.append([hit["sku_code"] for hit in body["items"]])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert [len(page) for page in pages] == [4, 2]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"sort": "cheapest"}, "sort"),
        ({"status": "gone"}, "status"),
        ({"in_stock": "maybe"}, "in_stock"),
        ({"category_id": "x"}, "category_id"),
        ({"brand_id": -1}, "brand_id"),
        ({"spec": "screen"}, "spec"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(api, acme, indexed, args, field):
    response = api(acme, "owner").get(URL, query_string=args)
    assert response.status_code == 422, response.get_json()
    assert field in str(response.get_json()), response.get_json()


def test_a_cursor_of_another_sort_is_refused(api, acme, indexed):
    owner = api(acme, "owner")
    cursor = owner.get(URL, query_string={"sort": "price", "limit": 1}).get_json()["next_cursor"]
    response = owner.get(URL, query_string={"sort": "sales", "cursor": cursor})
    assert response.status_code == 422 and "cursor" in str(response.get_json())


def test_search_never_crosses_tenants(app, api, acme, globex, indexed):
    from fixtures_catalog import seed_catalog

    other = seed_catalog(app, globex)
    with app.extensions["dinghuo.db"].transaction(globex.id) as session:
        index_products(session, other.products.values())
    theirs = api(globex, "owner").get(URL, query_string={"q": "mate60"}).get_json()
    assert {hit["sku_id"] for hit in theirs["items"]} == {other.skus[code] for code in MATE}
    ours = api(acme, "owner").get(URL, query_string={"q": "mate60"}).get_json()
    assert {hit["sku_id"] for hit in ours["items"]} == {indexed.skus[code] for code in MATE}
    assert ours["facets"]["categories"][0]["id"] == indexed.categories["PHONE"]


def test_search_needs_a_catalog_permission(api, acme, indexed):
    assert api(acme).get(URL).status_code == 401
