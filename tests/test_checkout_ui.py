"""The checkout page: the cart becomes one order, whatever the clicks; refusals shown in place."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

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


def orders(db, world) -> int:
    with db.transaction(world.id) as session:
        return session.scalar(select(func.count()).select_from(Order))


@pytest.fixture
def buyer(acme, shop, visitor):
    user = visitor(acme)
    user.login("buyer@acme.test", path="/login")
    user.post("/cart/add", {"text": "MATE60P-BLK-256 2\nCHG66-WHT 10"}, token_from="/cart")
    return user


def test_the_checkout_shows_the_full_breakdown_and_a_double_submit_makes_one_order(
    buyer, shop, db, acme
):
    page = text(buyer.get("/checkout"))
    assert 'href="/checkout"' in text(buyer.get("/cart"))
    fields = form_of(page)
    assert fields["address_id"] == str(shop.addresses["D001"])
    assert fields["delivery_method"] == "pickup"
    assert re.findall(r'data-line="([^"]+)"', page) == ["MATE60P-BLK-256", "CHG66-WHT"]
    for marker in ("data-list-total", "data-subtotal", "data-tax", "data-freight", "data-total"):
        assert marker in page
    fields.update(po_number="PO-77", notes="请周五前送达")
    first = buyer.post("/checkout", fields, token_from="/checkout")
    assert first.status_code == 302
    again = buyer.post("/checkout", fields, token_from="/cart")
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert re.fullmatch(r"/orders/\d+", first.headers["Location"])
    assert orders(db, acme) == 1
    order_page = text(buyer.get(first.headers["Location"]))
    assert "PO-77" in order_page
