"""The checkout page: the cart becomes one order, whatever the clicks; refusals shown in place."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.orders.models import Order


def text(response) -> str:
    return response.get_data(as_text=True)


def form_of(page: str) -> dict[str, str]:
    """The checkout form's fields as the page rendered them (hidden ones, chosen radios, values)."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="radio"' in tag and " checked" not in tag:
            continue
        fields[name.group(1)] = value.group(1) if value else ""
    selected = re.search(r'<option value="(\d+)" selected', page)
    if selected:
        fields["address_id"] = selected.group(1)
    return fields


def field_block(page: str, name: str) -> str:
    """The markup of one form field's block (``data-field``), with its errors."""
    match = re.search(
        rf'data-field="{name}">(.*?)</(div|fieldset)>\s*(<div|<section|</section)', page, re.S
    )
    assert match, f"no field {name}"
    return match.group(1)


def line_row(page: str, code: str) -> str:
    match = re.search(rf'<tr data-line="{code}"[^>]*>(.*?)</tr>', page, re.S)
    assert match, f"no line {code}"
    return match.group(0)


def all_orders(db, world) -> list[Order]:
    with db.transaction(world.id) as session:
        orders = list(session.scalars(select(Order).order_by(Order.id)))
        session.expunge_all()
        return orders


@pytest.fixture
def buyer(acme, shop, visitor):
    user = visitor(acme)
    user.login("buyer@acme.test", path="/login")
    user.post("/cart/add", {"text": "MATE60P-BLK-256 2\nCHG66-WHT 10"}, token_from="/cart")
    return user


def test_the_checkout_shows_the_full_breakdown_and_a_double_submit_makes_one_order(
    buyer, shop, db, acme
):
    assert 'href="/checkout"' in text(buyer.get("/cart"))
    page = text(buyer.get("/checkout"))
    fields = form_of(page)
    assert fields["address_id"] == str(shop.addresses["D001"]), "the default address is chosen"
    assert fields["delivery_method"] == "pickup"
    assert re.findall(r'data-line="([^"]+)"', page) == ["MATE60P-BLK-256", "CHG66-WHT"]
    for marker in ("data-list-total", "data-subtotal", "data-tax", "data-freight", "data-total"):
        assert marker in page
    fields.update(po_number="PO-77", notes="请周五前送达", requested_delivery_date="2099-01-15")

    first = buyer.post("/checkout", fields, token_from="/checkout")
    again = buyer.post("/checkout", fields, token_from="/cart")  # double click / re-post

    assert first.status_code == again.status_code == 302
    assert re.fullmatch(r"/orders/\d+", first.headers["Location"])
    assert again.headers["Location"] == first.headers["Location"]
    [order] = all_orders(db, acme)
    assert (order.po_number, order.notes, str(order.requested_delivery_date)) == (
        "PO-77",
        "请周五前送达",
        "2099-01-15",
    )
    assert order.created_by_id == acme.users["buyer"].id and not order.placed_by_staff
    assert f"{order.total}" == fields["goods_total"]
    assert "PO-77" in text(buyer.get(first.headers["Location"]))
    assert "data-empty-cart" in text(buyer.get("/checkout")), "the ordered lines left the cart"


def test_a_changed_price_shows_the_new_total_and_orders_nothing_until_confirmed(
    buyer, shop, db, acme
):
    fields = form_of(text(buyer.get("/checkout")))
    with db.transaction(acme.id) as session:
        session.get(Sku, shop.skus["MATE60P-BLK-256"]).base_price += Decimal("100.00")

    stale = buyer.post("/checkout", fields, token_from="/checkout")

    assert stale.status_code == 409
    page = text(stale)
    notice = re.search(r"data-stale-total>(.*?)</div>", page, re.S).group(1)
    old, new = Decimal(fields["goods_total"]), Decimal(form_of(page)["goods_total"])
    assert new == old + 200  # two phones, 100 more each
    assert f"{old:,.2f}" in notice and f"{new:,.2f}" in notice
    assert all_orders(db, acme) == []
    confirmed = buyer.post("/checkout", form_of(page), token_from="/checkout")
    assert confirmed.status_code == 302
    [order] = all_orders(db, acme)
    assert order.total == new


def test_refusals_are_shown_on_the_address_and_the_line_they_concern(buyer, shop, db, acme):
    buyer.post("/cart/add", {"text": "MATE60P-SLV-256 60"}, token_from="/cart")  # 50 in stock
    fields = form_of(text(buyer.get("/checkout")))
    fields["address_id"] = str(shop.addresses["D002"])  # another dealer's address

    refused = buyer.post("/checkout", fields, token_from="/checkout")

    assert refused.status_code == 422
    page = text(refused)
    assert "请选择该经销商的一个收货地址" in field_block(page, "ship_to_address_id")
    assert "仅有 50 件可供" in line_row(page, "MATE60P-SLV-256")
    assert "errors" not in line_row(page, "MATE60P-BLK-256")
    assert fields["po_number"] == form_of(page)["po_number"]
    assert all_orders(db, acme) == []


def test_a_sales_rep_checks_out_a_dealers_cart_from_the_console(acme, shop, visitor, db):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    cart = f"/console/order-for?dealer_id={acme.dealer_id}"
    sales.post(
        f"/console/order-for/add?dealer_id={acme.dealer_id}",
        {"text": "MATE60P-BLK-512 3"},
        token_from=cart,
    )
    checkout = f"/console/order-for/checkout?dealer_id={acme.dealer_id}"
    assert f'href="{checkout.replace("&", "&amp;")}"' in text(sales.get(cart))
    page = text(sales.get(checkout))
    assert "data-on-behalf" in page

    placed = sales.post(checkout, form_of(page), token_from=checkout)

    assert placed.status_code == 302
    [order] = all_orders(db, acme)
    assert placed.headers["Location"] == f"/console/orders/{order.id}"
    assert order.dealer_id == acme.dealer_id
    assert order.created_by_id == acme.users["sales"].id and order.placed_by_staff
