"""Price lists over the API: lists, assignments, items, previews, who may do what."""

from __future__ import annotations

import pytest
from fixtures_catalog import seed_catalog
from sqlalchemy import select

from dinghuo.core.pricing.models import PriceList, PriceListItem
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.events.models import OutboxEvent

PHONE = "MATE60P-BLK-256"  # base 5999.00
CHARGER = "CHG66-WHT"  # base 99.00


def new_list(**overrides):
    body = {"code": "tier-a", "name": "A 级经销价", "priority": 10}
    body.update(overrides)
    return body


def assert_field_error(response, field, status=422):
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"], response.json


@pytest.fixture
def owner(api, acme):
    return api(acme, "owner")


@pytest.fixture
def tier_a(owner, catalog):
    """A tier-A list with a phone price and two breaks."""
    created = owner.post("/api/v1/price-lists", json=new_list())
    assert created.status_code == 201, created.json
    list_id = created.json["id"]
    assigned = owner.put(
        f"/api/v1/price-lists/{list_id}/assignments",
        json={"assignments": [{"scope": "tier", "value": "a"}]},
    )
    assert assigned.status_code == 200, assigned.json
    bulk = owner.put(
        f"/api/v1/price-lists/{list_id}/items",
        json={
            "items": [
                {"sku_code": PHONE, "price": "5600.00"},
                {"sku_code": PHONE, "min_qty": 10, "price": "5400"},
            ]
        },
    )
    assert bulk.status_code == 200, bulk.json
    return list_id


def flatten(fields, prefix=""):
    """Field paths of an error, whether the schema (nested) or the service (dotted) named them."""
    if isinstance(fields, dict):
        return {p for k, v in fields.items() for p in flatten(v, f"{prefix}{k}.")}
    return {prefix.rstrip(".")}


def row_counts(db, tenant_id):
    with db.transaction(tenant_id) as session:
        return (
            len(list(session.scalars(select(PriceList.id)))),
            len(list(session.scalars(select(PriceListItem.id)))),
        )


# --- price lists ------------------------------------------------------------------------------


def test_finance_creates_a_price_list_with_validity_and_priority(api, acme):
    response = api(acme, "finance").post(
        "/api/v1/price-lists",
        json=new_list(valid_from="2026-06-01", valid_to="2026-06-30", kind="list"),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["code"], body["priority"], body["kind"], body["is_active"]) == (
        "TIER-A",
        10,
        "list",
        True,
    )
    assert (body["valid_from"], body["valid_to"], body["currency"]) == (
        "2026-06-01",
        "2026-06-30",
        "CNY",
    )
    assert body["assignments"] == []


def test_price_list_codes_are_unique_per_tenant_only(api, acme, globex):
    assert api(acme, "owner").post("/api/v1/price-lists", json=new_list()).status_code == 201
    again = api(acme, "owner").post("/api/v1/price-lists", json=new_list(code="TIER-A"))
    assert_field_error(again, "code")
    assert api(globex, "owner").post("/api/v1/price-lists", json=new_list()).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_from": "2026-07-01", "valid_to": "2026-06-30"}, "valid_to"),
        ({"code": "bad code!"}, "code"),
        ({"priority": -1}, "priority"),
        ({"kind": "secret"}, "kind"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_price_lists_are_refused_naming_the_field(owner, acme, db, overrides, field):
    assert_field_error(owner.post("/api/v1/price-lists", json=new_list(**overrides)), field)
    assert row_counts(db, acme.id) == (0, 0)


def test_changing_a_list_checks_dates_against_the_stored_ones(owner, tier_a):
    owner.patch(f"/api/v1/price-lists/{tier_a}", json={"valid_to": "2026-06-30"})
    bad = owner.patch(f"/api/v1/price-lists/{tier_a}", json={"valid_from": "2026-07-01"})
    assert_field_error(bad, "valid_to")
    good = owner.patch(
        f"/api/v1/price-lists/{tier_a}", json={"priority": 5, "is_active": False, "name": "新名"}
    )
    assert good.status_code == 200, good.json
    assert (good.json["priority"], good.json["is_active"], good.json["name"]) == (5, False, "新名")


def test_listing_filters_and_pages(owner, tier_a):
    owner.post("/api/v1/price-lists", json=new_list(code="SPRING", name="春季促销"))
    owner.post("/api/v1/price-lists", json=new_list(code="OFF", is_active=False))
    codes = [p["code"] for p in owner.get("/api/v1/price-lists").json["items"]]
    assert codes == ["OFF", "SPRING", "TIER-A"]
    assert [p["code"] for p in owner.get("/api/v1/price-lists?q=春季").json["items"]] == ["SPRING"]
    active = owner.get("/api/v1/price-lists?is_active=false").json["items"]
    assert [p["code"] for p in active] == ["OFF"]
    first = owner.get("/api/v1/price-lists?limit=2").json
    second = owner.get(f"/api/v1/price-lists?limit=2&cursor={first['next_cursor']}").json
    assert [p["code"] for p in first["items"] + second["items"]] == codes


def test_deleting_a_list_removes_its_items_and_dealers_fall_back(owner, tier_a, acme, api, catalog):
    assert owner.delete(f"/api/v1/price-lists/{tier_a}").status_code == 204
    assert owner.get(f"/api/v1/price-lists/{tier_a}").status_code == 404
    price = api(acme, "buyer").get(f"/api/v1/my/prices?sku_id={catalog.skus[PHONE]}").json[0]
    assert (price["unit_price"], price["source"]) == ("5999.00", "base")


# --- assignments ------------------------------------------------------------------------------


def test_assignments_name_tiers_groups_and_dealers_of_this_tenant(owner, tier_a, acme, globex, api):
    group = owner.post("/api/v1/dealer-groups", json={"code": "KEY", "name": "重点"}).json
    foreign = api(globex, "owner").post("/api/v1/dealer-groups", json={"code": "G", "name": "G"})
    url = f"/api/v1/price-lists/{tier_a}/assignments"
    good = owner.put(
        url,
        json={
            "assignments": [
                {"scope": "tier", "value": "vip"},
                {"scope": "group", "value": str(group["id"])},
                {"scope": "dealer", "value": str(acme.dealer_id)},
                {"scope": "tier", "value": "VIP"},
            ]
        },
    )
    assert good.status_code == 200, good.json
    assert sorted((a["scope"], a["value"]) for a in good.json) == [
        ("dealer", str(acme.dealer_id)),
        ("group", str(group["id"])),
        ("tier", "VIP"),
    ]
    for bad in (
        {"scope": "tier", "value": "not a tier"},
        {"scope": "group", "value": str(foreign.json["id"])},
        {"scope": "dealer", "value": str(globex.dealer_id)},
        {"scope": "dealer", "value": "abc"},
    ):
        assert_field_error(owner.put(url, json={"assignments": [bad]}), "assignments.0.value")
    assert len(owner.get(url).json) == 3


def test_a_contract_list_is_assigned_to_exactly_one_dealer(owner, acme):
    contract = owner.post("/api/v1/price-lists", json=new_list(code="C-D001", kind="contract"))
    url = f"/api/v1/price-lists/{contract.json['id']}/assignments"
    two = [
        {"scope": "dealer", "value": str(acme.dealer_id)},
        {"scope": "dealer", "value": str(acme.other_dealer_id)},
    ]
    assert_field_error(owner.put(url, json={"assignments": two}), "assignments")
    tier = [{"scope": "tier", "value": "A"}]
    assert_field_error(owner.put(url, json={"assignments": tier}), "assignments")
    assert_field_error(owner.put(url, json={"assignments": []}), "assignments")
    assert owner.put(url, json={"assignments": two[:1]}).status_code == 200


def test_a_list_with_tier_assignments_cannot_become_a_contract(owner, tier_a):
    bad = owner.patch(f"/api/v1/price-lists/{tier_a}", json={"kind": "contract"})
    assert_field_error(bad, "assignments")


# --- items --------------------------------------------------------------------------------


def test_items_are_added_changed_and_deleted(owner, tier_a, catalog):
    url = f"/api/v1/price-lists/{tier_a}/items"
    added = owner.post(url, json={"sku_id": catalog.skus[CHARGER], "min_qty": 10, "price": "89.5"})
    assert added.status_code == 201, added.json
    assert (added.json["sku_code"], added.json["min_qty"], added.json["price"]) == (
        CHARGER,
        10,
        "89.50",
    )
    item_url = f"{url}/{added.json['id']}"
    changed = owner.patch(item_url, json={"price": "88", "min_qty": 20})
    assert (changed.json["price"], changed.json["min_qty"]) == ("88.00", 20)
    assert owner.get(item_url).json["price"] == "88.00"
    assert len(owner.get(url).json["items"]) == 3
    assert len(owner.get(f"{url}?sku_id={catalog.skus[PHONE]}").json["items"]) == 2
    assert owner.delete(item_url).status_code == 204
    assert owner.get(item_url).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku_id": 999999, "price": "1.00"}, "sku_id"),
        ({"price": "1.00"}, "sku_id"),
        ({"sku_id": "PHONE", "price": "-1"}, "price"),
        ({"sku_id": "PHONE", "price": "1.001"}, "price"),
        ({"sku_id": "PHONE", "price": 1.5}, "price"),
        ({"sku_id": "PHONE", "price": "abc"}, "price"),
        ({"sku_id": "PHONE", "price": "1", "min_qty": 0}, "min_qty"),
        ({"sku_id": "PHONE", "price": "5600", "min_qty": 1}, "min_qty"),
    ],
)
def test_bad_items_are_refused_naming_the_field(owner, tier_a, catalog, acme, db, body, field):
    if body.get("sku_id") == "PHONE":
        body = {**body, "sku_id": catalog.skus[PHONE]}
    before = row_counts(db, acme.id)
    assert_field_error(owner.post(f"/api/v1/price-lists/{tier_a}/items", json=body), field)
    assert row_counts(db, acme.id) == before


def test_another_tenants_sku_is_unknown(owner, tier_a, app, globex):
    foreign = seed_catalog(app, globex).skus[PHONE]
    bad = owner.post(f"/api/v1/price-lists/{tier_a}/items", json={"sku_id": foreign, "price": "1"})
    assert_field_error(bad, "sku_id")


def test_bulk_upsert_adds_updates_and_reports(owner, tier_a, catalog):
    url = f"/api/v1/price-lists/{tier_a}/items"
    result = owner.put(
        url,
        json={
            "items": [
                {"sku_code": PHONE, "price": "5600.00"},
                {"sku_id": catalog.skus[PHONE], "min_qty": 10, "price": "5350"},
                {"sku_code": CHARGER.lower(), "min_qty": 10, "price": "90"},
            ]
        },
    )
    assert result.json == {"created": 1, "updated": 1, "unchanged": 1}
    prices = {(i["sku_code"], i["min_qty"]): i["price"] for i in owner.get(url).json["items"]}
    assert prices == {(PHONE, 1): "5600.00", (PHONE, 10): "5350.00", (CHARGER, 10): "90.00"}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"sku_code": "NOPE", "price": "1"}, "items.1.sku_code"),
        ({"sku_id": 999999, "price": "1"}, "items.1.sku_id"),
        ({"sku_code": CHARGER, "price": "1.234"}, "items.1.price"),
        ({"sku_code": CHARGER}, "items.1.price"),
        ({"price": "1"}, "items.1.sku_id"),
        ({"sku_code": CHARGER, "min_qty": 100, "price": "81"}, "items.1.min_qty"),
    ],
)
def test_a_bad_bulk_row_changes_nothing_and_is_named(owner, tier_a, acme, db, row, field):
    before = row_counts(db, acme.id)
    first = {"sku_code": CHARGER, "min_qty": 100, "price": "80"}
    response = owner.put(f"/api/v1/price-lists/{tier_a}/items", json={"items": [first, row]})
    assert response.status_code == 422, response.json
    assert field in flatten(response.json["error"]["fields"]), response.json
    assert row_counts(db, acme.id) == before


def test_an_item_of_another_list_is_not_found_through_this_one(owner, tier_a, catalog):
    other = owner.post("/api/v1/price-lists", json=new_list(code="OTHER")).json["id"]
    item = owner.get(f"/api/v1/price-lists/{tier_a}/items").json["items"][0]
    assert owner.get(f"/api/v1/price-lists/{other}/items/{item['id']}").status_code == 404
    assert owner.delete(f"/api/v1/price-lists/{other}/items/{item['id']}").status_code == 404


# --- previews ---------------------------------------------------------------------------------


def test_staff_preview_a_dealers_prices_with_the_source(api, acme, tier_a, catalog):
    phone = catalog.skus[PHONE]
    sales = api(acme, "sales")
    url = f"/api/v1/price-lists/preview?dealer_id={acme.dealer_id}&sku_id={phone}"
    one = sales.get(url).json[0]
    assert (one["unit_price"], one["source"], one["price_list_code"]) == (
        "5600.00",
        "tier",
        "TIER-A",
    )
    assert one["breaks"] == [
        {"min_qty": 1, "unit_price": "5600.00"},
        {"min_qty": 10, "unit_price": "5400.00"},
    ]
    bulk = sales.get(f"{url}&sku_id={catalog.skus[CHARGER]}&quantity=12").json
    assert [(p["unit_price"], p["source"]) for p in bulk] == [
        ("5400.00", "tier"),
        ("99.00", "base"),
    ]
    other = sales.get(
        f"/api/v1/price-lists/preview?dealer_id={acme.other_dealer_id}&sku_id={phone}"
    )
    assert other.json[0]["source"] == "base"
    past = sales.get(f"{url}&on=2020-01-01")
    assert past.status_code == 200 and past.json[0]["msrp"] == "6499.00"


def test_preview_refuses_unknown_skus_and_other_tenants_dealers(owner, acme, globex, tier_a):
    bad_sku = owner.get(f"/api/v1/price-lists/preview?dealer_id={acme.dealer_id}&sku_id=999999")
    assert_field_error(bad_sku, "sku_id")
    foreign = owner.get(f"/api/v1/price-lists/preview?dealer_id={globex.dealer_id}&sku_id=1")
    assert foreign.status_code == 404


def test_dealers_see_their_own_prices_but_never_lists(api, acme, tier_a, catalog):
    phone = catalog.skus[PHONE]
    mine = api(acme, "buyer").get(f"/api/v1/my/prices?sku_id={phone}&quantity=10")
    assert mine.status_code == 200, mine.json
    assert mine.json[0]["unit_price"] == "5400.00"
    assert "price_list_id" not in mine.json[0] and "price_list_code" not in mine.json[0]
    theirs = api(acme, "other_buyer").get(f"/api/v1/my/prices?sku_id={phone}").json[0]
    assert theirs["unit_price"] == "5999.00"
    assert api(acme, "buyer").get("/api/v1/price-lists").status_code == 403
    preview = f"/api/v1/price-lists/preview?dealer_id={acme.other_dealer_id}&sku_id={phone}"
    assert api(acme, "buyer").get(preview).status_code == 403


def test_dealers_get_no_price_for_products_hidden_from_them(api, acme, catalog):
    launch = catalog.skus["X7-BLK-1T"]  # visible to tier A only
    assert api(acme, "buyer").get(f"/api/v1/my/prices?sku_id={launch}").status_code == 200
    hidden = api(acme, "other_buyer").get(f"/api/v1/my/prices?sku_id={launch}")
    assert_field_error(hidden, "sku_id")


def test_prices_need_a_signed_in_user(api, acme, catalog):
    phone = catalog.skus[PHONE]
    assert api(acme).get(f"/api/v1/my/prices?sku_id={phone}").status_code == 401
    assert api(acme).get("/api/v1/price-lists").status_code == 401
    assert api(acme, "owner").get(f"/api/v1/my/prices?sku_id={phone}").status_code == 403


# --- permissions, isolation, audit ------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "sales", "finance"])
def test_staff_with_prices_read_see_lists(api, acme, tier_a, role):
    assert api(acme, role).get(f"/api/v1/price-lists/{tier_a}").status_code == 200


def test_warehouse_cannot_read_and_sales_cannot_change_prices(api, acme, tier_a):
    assert api(acme, "warehouse").get("/api/v1/price-lists").status_code == 403
    sales = api(acme, "sales")
    assert sales.post("/api/v1/price-lists", json=new_list(code="X")).status_code == 403
    assert sales.patch(f"/api/v1/price-lists/{tier_a}", json={"priority": 1}).status_code == 403
    items = f"/api/v1/price-lists/{tier_a}/items"
    assert sales.put(items, json={"items": []}).status_code == 403
    assert sales.delete(f"/api/v1/price-lists/{tier_a}").status_code == 403


def test_another_tenants_lists_are_not_found(api, globex, tier_a):
    other = api(globex, "owner")
    assert other.get(f"/api/v1/price-lists/{tier_a}").status_code == 404
    assert other.get(f"/api/v1/price-lists/{tier_a}/items").status_code == 404
    assert other.delete(f"/api/v1/price-lists/{tier_a}").status_code == 404
    assert other.get("/api/v1/price-lists").json["items"] == []


def test_changes_are_audited_and_announced(owner, tier_a, acme, db):
    owner.patch(f"/api/v1/price-lists/{tier_a}", json={"priority": 3})
    with db.transaction(acme.id) as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "price_list")
                .order_by(AuditEntry.id)
            )
        )
        events = list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "price_list.updated")
                .order_by(OutboxEvent.id)
            )
        )
    assert actions == [
        "price_list.create",
        "price_list.assignments",
        "price_list.items.upsert",
        "price_list.update",
    ]
    assert [e.payload["change"] for e in events] == ["created", "assignments", "items", "updated"]
    assert {e.aggregate_id for e in events} == {str(tier_a)}


def test_ids_too_large_for_the_database_are_refused_by_name(owner, acme, tier_a):
    huge = 2**63
    preview = owner.get(f"/api/v1/price-lists/preview?dealer_id={acme.dealer_id}&sku_id={huge}")
    assert preview.status_code == 422 and "sku_id" in preview.json["error"]["fields"]
    item = owner.post(f"/api/v1/price-lists/{tier_a}/items", json={"sku_id": huge, "price": "1"})
    assert_field_error(item, "sku_id")
