"""Requisition lists and reorder: saved lines go back into the cart, minus what is no longer sold."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from dinghuo.core.catalog.models import ProductStatus, Sku
from dinghuo.core.orders.models import Order, OrderLine
from dinghuo.core.orders.states import OrderStatus


def _discontinue(app, acme, sku_id):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.execute(
            update(Sku).where(Sku.id == sku_id).values(status=ProductStatus.DISCONTINUED)
        )


def test_dealer_keeps_lists_that_every_buyer_of_the_dealer_can_use(api, acme, shop, app):
    buyer, admin = api(acme, "buyer"), api(acme, "dealer_admin")
    created = buyer.post(
        "/api/v1/requisition-lists",
        json={
            "name": "每周补货",
            "items": [
                {"code": "MATE60P-BLK-256", "quantity": 5},
                {"code": "CHG66-WHT", "quantity": 20},
                {"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1},
            ],
        },
    )
    assert created.status_code == 201, created.json
    list_id = created.json["id"]
    assert [(i["sku_code"], i["quantity"]) for i in created.json["items"]] == [
        ("MATE60P-BLK-256", 6),
        ("CHG66-WHT", 20),
    ]
    # The dealer admin sees it too; a second list with the same name is refused.
    page = admin.get("/api/v1/requisition-lists").json
    assert [(row["name"], row["item_count"]) for row in page["items"]] == [("每周补货", 2)]
    clash = admin.post("/api/v1/requisition-lists", json={"name": "每周补货"})
    assert clash.status_code == 422 and "name" in clash.json["error"]["fields"]
    bad = admin.post(
        "/api/v1/requisition-lists", json={"name": "x", "items": [{"code": "NOPE", "quantity": 1}]}
    )
    assert bad.json["error"]["fields"] == {"items.0.code": ["Unknown code: NOPE."]}

    renamed = admin.patch(
        f"/api/v1/requisition-lists/{list_id}",
        json={"name": "月度补货", "items": [{"code": "MATE60P-SLV-256", "quantity": 2}]},
    )
    assert renamed.status_code == 200
    assert renamed.json["name"] == "月度补货"
    assert [i["sku_code"] for i in renamed.json["items"]] == ["MATE60P-SLV-256"]

    # Another dealer's buyer: the list does not exist for them.
    other = api(acme, "other_buyer")
    assert other.get(f"/api/v1/requisition-lists/{list_id}").status_code == 404
    assert other.post(f"/api/v1/requisition-lists/{list_id}/add-to-cart").status_code == 404
    assert other.delete(f"/api/v1/requisition-lists/{list_id}").status_code == 404
    assert other.get("/api/v1/requisition-lists").json["items"] == []

    assert buyer.delete(f"/api/v1/requisition-lists/{list_id}").status_code == 204
    assert buyer.get(f"/api/v1/requisition-lists/{list_id}").status_code == 404


def test_adding_a_list_to_the_cart_skips_and_names_what_is_no_longer_sold(api, acme, shop, app):
    buyer = api(acme, "buyer")
    list_id = buyer.post(
        "/api/v1/requisition-lists",
        json={
            "name": "门店",
            "items": [
                {"code": "MATE60P-BLK-256", "quantity": 2},
                {"code": "MATE60P-SLV-256", "quantity": 3},
            ],
        },
    ).json["id"]
    _discontinue(app, acme, shop.skus["MATE60P-SLV-256"])
    shown = buyer.get(f"/api/v1/requisition-lists/{list_id}").json
    assert shown["items"][1]["problem"]["code"] == "not_orderable"

    buyer.post("/api/v1/cart/items", json={"items": [{"code": "MATE60P-BLK-256", "quantity": 1}]})
    added = buyer.post(f"/api/v1/requisition-lists/{list_id}/add-to-cart")
    assert added.status_code == 200, added.json
    assert added.json["added"] == 1
    assert [p["sku_code"] for p in added.json["skipped"]] == ["MATE60P-SLV-256"]
    assert [(line["sku_code"], line["quantity"]) for line in added.json["cart"]["lines"]] == [
        ("MATE60P-BLK-256", 3)
    ]


def test_the_cart_is_saved_as_a_list(api, acme, shop):
    buyer = api(acme, "buyer")
    buyer.post("/api/v1/cart/items", json={"text": "MATE60P-BLK-256 2\nCHG66-WHT 10"})
    saved = buyer.post("/api/v1/requisition-lists", json={"name": "上次", "from_cart": True})
    assert saved.status_code == 201
    assert [(i["sku_code"], i["quantity"]) for i in saved.json["items"]] == [
        ("MATE60P-BLK-256", 2),
        ("CHG66-WHT", 10),
    ]
    assert buyer.get("/api/v1/cart").json["count"] == 2  # the cart is left as it was
    buyer.delete("/api/v1/cart")
    empty = buyer.post("/api/v1/requisition-lists", json={"name": "空", "from_cart": True})
    assert empty.status_code == 422


def test_reorder_puts_a_past_orders_lines_in_the_cart(api, acme, shop, app):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        order = Order(
            number="SO-000009",
            dealer_id=acme.dealer_id,
            status=OrderStatus.COMPLETED,
            created_by_id=acme.users["buyer"].id,
            total=Decimal("100"),
        )
        session.add(order)
        session.flush()
        for line_no, code, quantity in ((1, "MATE60P-BLK-512", 2), (2, "MATE60P-SLV-256", 1)):
            session.add(
                OrderLine(
                    order_id=order.id,
                    line_no=line_no,
                    sku_id=shop.skus[code],
                    sku_code=code,
                    name=code,
                    quantity=quantity,
                    unit_price=Decimal("50"),
                )
            )
        order_id = order.id
    _discontinue(app, acme, shop.skus["MATE60P-SLV-256"])

    again = api(acme, "buyer").post(f"/api/v1/orders/{order_id}/reorder")
    assert again.status_code == 200, again.json
    assert [line["sku_code"] for line in again.json["cart"]["lines"]] == ["MATE60P-BLK-512"]
    assert again.json["skipped"][0]["code"] == "not_orderable"
    # Another dealer's buyer cannot see the order; a sales rep reorders into their own cart.
    assert api(acme, "other_buyer").post(f"/api/v1/orders/{order_id}/reorder").status_code == 404
    rep = api(acme, "sales").post(f"/api/v1/orders/{order_id}/reorder")
    assert rep.status_code == 200 and rep.json["cart"]["dealer_id"] == acme.dealer_id
