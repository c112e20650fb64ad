"""The cart: adding by code, paste and upload, live prices, problems per line, on behalf."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import event, update

from dinghuo.core.catalog.models import ProductStatus, Sku
from dinghuo.core.crm.models import Dealer
from dinghuo.core.orders import cart as carts
from dinghuo.core.orders.line_rules import validate_lines
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user


def _cart(api, world, who="buyer", **query):
    response = api(world, who).get("/api/v1/cart", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def _lines(body):
    return {line["sku_code"]: line for line in body["lines"]}


def test_buyer_adds_codes_and_sees_the_cart_priced_with_stock_and_problems(api, acme, shop):
    buyer = api(acme, "buyer")
    response = buyer.post(
        "/api/v1/cart/items",
        json={
            "items": [
                {"code": "mate60p-blk-256", "quantity": 2},
                {"code": "CHG66-WHT", "quantity": 5},
                {"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1},
                {"code": "MATE60P-SLV-512"},
            ]
        },
    )
    assert response.status_code == 200, response.json
    body = _cart(api, acme)
    lines = _lines(body)
    assert [line["sku_code"] for line in body["lines"]] == [
        "MATE60P-BLK-256",
        "CHG66-WHT",
        "MATE60P-SLV-512",
    ]
    phone = lines["MATE60P-BLK-256"]
    assert phone["quantity"] == 3
    assert phone["available"] == 220
    assert phone["problem"] is None and phone["stale"] is False
    assert Decimal(phone["net"]) == Decimal(phone["unit_price"]) * 3
    # A missing quantity means the minimum; under the MOQ is accepted and flagged.
    assert lines["MATE60P-SLV-512"]["quantity"] == 1
    assert lines["CHG66-WHT"]["problem"]["code"] == "below_moq"
    assert body["problems"] == [lines["CHG66-WHT"]["problem"]]
    assert body["count"] == 3 and body["units"] == 9
    assert Decimal(body["total"]) == sum(Decimal(line["net"]) for line in body["lines"])
    assert Decimal(body["tax_total"]) > 0 and body["prices_include_tax"] is True


def test_refused_items_are_each_named_and_nothing_is_added(api, acme, shop, app):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.execute(
            update(Sku)
            .where(Sku.id == shop.skus["MATE60P-SLV-256"])
            .values(status=ProductStatus.DISCONTINUED)
        )
    response = api(acme, "other_buyer").post(
        "/api/v1/cart/items",
        json={
            "items": [
                {"code": "MATE60P-BLK-256", "quantity": 1},
                {"code": "NOPE-1", "quantity": 1},
                {"code": "X7-BLK-1T", "quantity": 1},  # tier A only; D002 is tier C
                {"code": "MATE60P-SLV-256", "quantity": 1},
            ]
        },
    )
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    assert fields["items.1.code"] == ["Unknown code: NOPE-1."]
    assert fields["items.2.code"] == ["Unknown code: X7-BLK-1T."]
    assert "no longer sold" in fields["items.3.code"][0]
    assert "items.0.code" not in fields
    assert _cart(api, acme, "other_buyer")["lines"] == []

    too_many = api(acme, "buyer").post(
        "/api/v1/cart/items", json={"items": [{"code": "MATE60P-BLK-256", "quantity": 100001}]}
    )
    assert too_many.status_code == 422
    assert "items.0.quantity" in too_many.json["error"]["fields"]


def test_pasted_lines_from_excel_and_chinese_input_are_read(api, acme, shop):
    buyer = api(acme, "buyer")
    pasted = "编码\t数量\nMATE60P-BLK-256\t3\n\nchg66-wht，20\n6941487200023 2.0\n"
    response = buyer.post("/api/v1/cart/items", json={"text": pasted})
    assert response.status_code == 200, response.json
    assert {code: line["quantity"] for code, line in _lines(response.json).items()} == {
        "MATE60P-BLK-256": 3,
        "CHG66-WHT": 20,
        "MATE60P-BLK-512": 2,  # by barcode
    }
    bad = buyer.post("/api/v1/cart/items", json={"text": "MATE60P-BLK-256 1\nWHAT 2\nX7-BLK-1T x"})
    assert bad.status_code == 422
    assert bad.json["error"]["fields"] == {
        "text.2": ["Unknown code: WHAT."],
        "text.3": ["Quantity must be a whole number above zero."],
    }
    assert _lines(_cart(api, acme))["MATE60P-BLK-256"]["quantity"] == 3


def test_an_uploaded_sheet_adds_its_rows_and_names_bad_rows(api, acme, shop):
    buyer = api(acme, "buyer")
    sheet = "商品名称,SKU,数量\n手机,MATE60P-SLV-256,4\n充电器,CHG66-WHT,30\n".encode()
    response = buyer.post(
        "/api/v1/cart/upload",
        data={"file": (io.BytesIO(sheet), "order.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.json
    assert {c: line["quantity"] for c, line in _lines(response.json).items()} == {
        "MATE60P-SLV-256": 4,
        "CHG66-WHT": 30,
    }
    bad = buyer.post(
        "/api/v1/cart/upload",
        data={"file": (io.BytesIO(b"code,qty\nMATE60P-SLV-256,1\nZZZ,1\n"), "o.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert bad.json["error"]["fields"] == {"file.3": ["Unknown code: ZZZ."]}


def test_quantities_change_lines_go_and_the_cart_empties(api, acme, shop):
    buyer = api(acme, "buyer")
    phone, charger = shop.skus["MATE60P-BLK-256"], shop.skus["CHG66-WHT"]
    buyer.post("/api/v1/cart/items", json={"items": [{"sku_id": phone}, {"sku_id": charger}]})
    changed = buyer.put(f"/api/v1/cart/lines/{phone}", json={"quantity": 7})
    assert changed.status_code == 200
    assert _lines(changed.json)["MATE60P-BLK-256"]["quantity"] == 7
    not_multiple = buyer.put(f"/api/v1/cart/lines/{charger}", json={"quantity": 15})
    assert _lines(not_multiple.json)["CHG66-WHT"]["problem"]["code"] == "not_multiple"
    assert buyer.put(f"/api/v1/cart/lines/{charger}", json={"quantity": 0}).json["count"] == 1
    missing = shop.skus["MATE60P-SLV-256"]
    assert buyer.put(f"/api/v1/cart/lines/{missing}", json={"quantity": 1}).status_code == 404
    assert buyer.delete(f"/api/v1/cart/lines/{missing}").status_code == 404
    assert buyer.delete(f"/api/v1/cart/lines/{phone}").status_code == 204
    buyer.post("/api/v1/cart/items", json={"items": [{"sku_id": phone}]})
    assert buyer.delete("/api/v1/cart").status_code == 204
    assert _cart(api, acme)["lines"] == []


def test_a_price_change_flags_the_line_until_the_user_accepts_it(api, acme, shop, app):
    buyer = api(acme, "buyer")
    phone = shop.skus["MATE60P-BLK-512"]
    buyer.post("/api/v1/cart/items", json={"items": [{"sku_id": phone, "quantity": 1}]})
    before = _lines(_cart(api, acme))["MATE60P-BLK-512"]
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.execute(update(Sku).where(Sku.id == phone).values(base_price=Decimal("6399.00")))
    body = _cart(api, acme)
    line = _lines(body)["MATE60P-BLK-512"]
    assert body["stale"] is True and line["stale"] is True
    assert line["seen_unit_price"] == before["unit_price"]
    assert line["unit_price"] != before["unit_price"]
    accepted = buyer.post("/api/v1/cart/seen")
    assert accepted.status_code == 200 and accepted.json["stale"] is False
    assert _cart(api, acme)["stale"] is False


def test_sales_order_on_behalf_in_their_own_cart_for_that_dealer(api, acme, shop):
    phone = shop.skus["MATE60P-BLK-256"]
    sales = api(acme, "sales")
    assert sales.get("/api/v1/cart").json["error"]["fields"] == {
        "dealer_id": ["Choose the dealer to order for."]
    }
    added = sales.post(
        "/api/v1/cart/items",
        query_string={"dealer_id": acme.dealer_id},
        json={"items": [{"sku_id": phone, "quantity": 4}]},
    )
    assert added.status_code == 200, added.json
    assert added.json["dealer_id"] == acme.dealer_id
    # The dealer's own buyer has their own cart; the rep's work does not land in it.
    assert _cart(api, acme)["lines"] == []
    assert _cart(api, acme, "sales", dealer_id=acme.dealer_id)["count"] == 1
    # A buyer cannot reach another dealer's cart; staff without orders:manage cannot order.
    assert (
        api(acme, "buyer")
        .get("/api/v1/cart", query_string={"dealer_id": acme.other_dealer_id})
        .status_code
        == 404
    )
    assert (
        api(acme, "warehouse")
        .get("/api/v1/cart", query_string={"dealer_id": acme.dealer_id})
        .status_code
        == 403
    )


def test_line_rules_report_every_problem_in_line_order(app, acme, shop):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        dealer = session.get(Dealer, acme.other_dealer_id)
        problems = validate_lines(
            session,
            dealer,
            [
                (shop.skus["MATE60P-BLK-256"], 1),
                (shop.skus["X7-BLK-1T"], 1),
                (shop.skus["CHG66-WHT"], 25),
                (shop.skus["CHG66-WHT"], 5),
                (999999, 1),
                (shop.skus["MATE60P-BLK-256"], -2),
            ],
        )
    assert [(p.line_no, p.path, p.code) for p in problems] == [
        (2, "lines.1.sku_id", "unknown_sku"),
        (3, "lines.2.quantity", "not_multiple"),
        (4, "lines.3.quantity", "below_moq"),
        (5, "lines.4.sku_id", "unknown_sku"),
        (6, "lines.5.quantity", "bad_quantity"),
    ]
    assert problems[0].sku_code == ""  # a hidden SKU's code is not revealed


@pytest.fixture
def many_skus(app, acme, shop):
    """200 more active SKUs of the charger's product, each in stock."""
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        product_id = session.get(Sku, shop.skus["CHG66-WHT"]).product_id
        skus = [
            Sku(
                product_id=product_id,
                code=f"BULK-{n:04d}",
                variant={"颜色": f"色{n}"},
                base_price=Decimal("10.00"),
                msrp=Decimal("15.00"),
                position=10 + n,
            )
            for n in range(200)
        ]
        session.add_all(skus)
        session.flush()
        return [sku.id for sku in skus]


def test_viewing_a_cart_takes_the_same_queries_for_3_lines_as_for_200(app, acme, many_skus):
    def queries_to_view(count: int) -> int:
        with app.extensions["dinghuo.db"].transaction(acme.id) as session:
            actor = principal_for_user(session.get(User, acme.users["buyer"].id))
            carts.clear(session, actor)
            items = [{"sku_id": sku_id, "quantity": 2} for sku_id in many_skus[:count]]
            carts.add_items(session, actor, items)
            statements: list[str] = []
            engine = session.get_bind()
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                view = carts.get_cart(session, actor)
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            assert view.count == count and view.priced.lines[-1].sku.product.name_zh
            return len(statements)

    assert queries_to_view(3) == queries_to_view(200)
