"""The console's price pages: lists, create/edit with assignments, items, preview."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from dinghuo.core.pricing.models import PriceList, PriceListItem

PHONE = "MATE60P-BLK-256"


def text(response) -> str:
    return response.get_data(as_text=True)


def list_codes(response) -> list[str]:
    return re.findall(r'data-price-list="([^"]+)"', text(response))


def list_form(**overrides) -> dict[str, object]:
    return {
        "code": "tier-a",
        "name": "A 级经销价",
        "kind": "list",
        "priority": "10",
        "valid_from": "",
        "valid_to": "",
        "is_active": "y",
        "tiers": "a",
        "dealer_codes": "",
        **overrides,
    }


@pytest.fixture
def finance(acme, visitor):
    staff = visitor(acme)
    staff.login("finance@acme.test")
    return staff


@pytest.fixture
def tier_a(finance, acme, db, catalog) -> int:
    response = finance.post("/console/prices/new", list_form(), token_from="/console/prices/new")
    assert response.status_code == 302, text(response)
    with db.transaction(acme.id) as session:
        return session.scalar(select(PriceList.id).where(PriceList.code == "TIER-A"))


def items(db, world, list_id) -> list[tuple[int, int, Decimal]]:
    with db.transaction(world.id) as session:
        rows = session.execute(
            select(PriceListItem.sku_id, PriceListItem.min_qty, PriceListItem.price)
            .where(PriceListItem.price_list_id == list_id)
            .order_by(PriceListItem.sku_id, PriceListItem.min_qty)
        )
        return [tuple(row) for row in rows]


def test_a_price_list_is_created_with_assignments_and_listed(finance, tier_a, acme, db):
    page = finance.get("/console/prices")
    assert page.status_code == 200
    assert list_codes(page) == ["TIER-A"]
    assert "A 级经销价" in text(page) and "A 级" in text(page)
    with db.transaction(acme.id) as session:
        price_list = session.get(PriceList, tier_a)
        assert [(a.scope.value, a.value) for a in price_list.assignments] == [("tier", "A")]
        assert price_list.priority == 10


def test_the_console_nav_links_prices_for_staff_who_may_read_them(finance, acme, visitor):
    assert 'href="/console/prices"' in text(finance.get("/console"))
    warehouse = visitor(acme)
    warehouse.login("warehouse@acme.test")
    assert 'href="/console/prices"' not in text(warehouse.get("/console"))
    assert warehouse.get("/console/prices").status_code == 403


def test_bad_list_input_is_shown_next_to_the_fields_and_saves_nothing(finance, acme, db):
    response = finance.post(
        "/console/prices/new",
        list_form(valid_from="2026-07-01", valid_to="2026-06-01", dealer_codes="NOPE"),
        token_from="/console/prices/new",
    )
    assert response.status_code == 422
    assert re.search(r'id="field-dealer_codes".*?NOPE', text(response), re.S)
    dates = finance.post(
        "/console/prices/new",
        list_form(valid_from="2026-07-01", valid_to="2026-06-01"),
        token_from="/console/prices/new",
    )
    assert dates.status_code == 422
    assert re.search(r'id="field-valid_to".*?class="errors"', text(dates), re.S)
    bad_tier = finance.post(
        "/console/prices/new", list_form(tiers="A, not-a-tier"), token_from="/console/prices/new"
    )
    assert re.search(r'id="field-tiers".*?class="errors"', text(bad_tier), re.S)
    with db.transaction(acme.id) as session:
        assert session.scalar(select(PriceList.id)) is None


def test_a_list_becomes_a_contract_for_one_dealer(finance, tier_a, acme, db):
    path = f"/console/prices/{tier_a}"
    two = finance.post(
        path,
        list_form(code="TIER-A", kind="contract", tiers="", dealer_codes="D001, D002"),
        token_from=path,
    )
    assert two.status_code == 422
    one = finance.post(
        path,
        list_form(code="TIER-A", kind="contract", tiers="", dealer_codes="d001"),
        token_from=path,
    )
    assert one.status_code == 302, text(one)
    with db.transaction(acme.id) as session:
        price_list = session.get(PriceList, tier_a)
        assert price_list.kind.value == "contract"
        assert [(a.scope.value, a.value) for a in price_list.assignments] == [
            ("dealer", str(acme.dealer_id))
        ]
    assert 'value="D001"' in text(finance.get(path))


def test_items_are_added_edited_pasted_and_removed(finance, tier_a, acme, db, catalog):
    path = f"/console/prices/{tier_a}/items"
    added = finance.post(
        path, {"sku_code": PHONE.lower(), "min_qty": "1", "price": "5600"}, token_from=path
    )
    assert added.status_code == 302, text(added)
    phone = catalog.skus[PHONE]
    assert items(db, acme, tier_a) == [(phone, 1, Decimal("5600.00"))]
    pasted = finance.post(
        f"{path}/bulk",
        {"rows": f"{PHONE}\t10\t5400\n{PHONE}, 1, 5590.00\n\nCHG66-WHT 10 89"},
        token_from=path,
    )
    assert pasted.status_code == 302, text(pasted)
    assert len(items(db, acme, tier_a)) == 3
    page = text(finance.get(path))
    assert page.count(f'data-sku="{PHONE}"') == 2 and "5590.00" in page
    with db.transaction(acme.id) as session:
        item_id = session.scalar(
            select(PriceListItem.id).where(
                PriceListItem.sku_id == phone, PriceListItem.min_qty == 10
            )
        )
    edited = finance.post(f"{path}/{item_id}", {"min_qty": "20", "price": "5300"}, token_from=path)
    assert edited.status_code == 302, text(edited)
    assert (phone, 20, Decimal("5300.00")) in items(db, acme, tier_a)
    removed = finance.post(f"{path}/{item_id}/delete", {}, token_from=path)
    assert removed.status_code == 302
    assert len(items(db, acme, tier_a)) == 2


def test_bad_item_input_names_the_field_or_the_line_and_saves_nothing(finance, tier_a, acme, db):
    path = f"/console/prices/{tier_a}/items"
    unknown = finance.post(
        path, {"sku_code": "NOPE", "min_qty": "1", "price": "1"}, token_from=path
    )
    assert unknown.status_code == 422
    assert re.search(r'id="field-sku_code".*?NOPE', text(unknown), re.S)
    cents = finance.post(
        path, {"sku_code": PHONE, "min_qty": "1", "price": "1.005"}, token_from=path
    )
    assert re.search(r'id="field-price".*?class="errors"', text(cents), re.S)
    pasted = finance.post(
        f"{path}/bulk", {"rows": f"{PHONE}, 1, 5600\n{PHONE}, 5, -1"}, token_from=path
    )
    assert pasted.status_code == 422
    assert re.search(r"第 2 行|Line 2", text(pasted))
    assert items(db, acme, tier_a) == []


def test_sales_may_look_but_not_change(acme, visitor, tier_a):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    assert sales.get(f"/console/prices/{tier_a}/items").status_code == 200
    page = text(sales.get(f"/console/prices/{tier_a}"))
    assert "disabled" in page
    path = f"/console/prices/{tier_a}/items"
    refused = sales.post(path, {"sku_code": PHONE, "min_qty": "1", "price": "1"}, token_from=path)
    assert refused.status_code == 403


def test_preview_shows_what_a_dealer_pays_and_why(finance, tier_a, catalog):
    path = f"/console/prices/{tier_a}/items"
    finance.post(f"{path}/bulk", {"rows": f"{PHONE}, 1, 5600\n{PHONE}, 10, 5400"}, token_from=path)
    tier_a_dealer = text(
        finance.get(
            f"/console/prices/preview?dealer_code=D001&sku_codes={PHONE},CHG66-WHT&quantity=10"
        )
    )
    assert re.search(r'data-sku="MATE60P-BLK-256".*?5,400\.00.*?TIER-A', tier_a_dealer, re.S)
    assert re.search(r'data-sku="CHG66-WHT".*?99\.00', tier_a_dealer, re.S)
    tier_c_dealer = text(finance.get(f"/console/prices/preview?dealer_code=D002&sku_codes={PHONE}"))
    assert "5,999.00" in tier_c_dealer and "TIER-A" not in tier_c_dealer
    unknown = finance.get("/console/prices/preview?dealer_code=D404&sku_codes=X")
    assert unknown.status_code == 422 and "D404" in text(unknown)


def test_another_tenants_list_is_not_found(tier_a, globex, visitor):
    other = visitor(globex)
    other.login("owner@globex.test")
    assert other.get(f"/console/prices/{tier_a}").status_code == 404
    assert other.get(f"/console/prices/{tier_a}/items").status_code == 404
