"""The stock API: warehouses, movements, levels, the ledger, reservations, replenishment."""

from __future__ import annotations

import pytest

API = "/api/v1"


@pytest.fixture
def stock(acme, api, catalog):
    """Warehouse SH with 10 of the 256G black phone, received by the warehouse user."""
    warehouse_user = api(acme, "warehouse")
    created = warehouse_user.post(f"{API}/warehouses", json={"code": "sh", "name": "上海仓"})
    assert created.status_code == 201, created.json
    warehouse = created.json["id"]
    sku = catalog.skus["MATE60P-BLK-256"]
    received = warehouse_user.post(
        f"{API}/stock/receipts",
        json={"warehouse_id": warehouse, "sku_id": sku, "quantity": 10, "reason": "PO-1"},
    )
    assert received.status_code == 201, received.json
    return {"warehouse": warehouse, "sku": sku}


def test_warehouse_codes_are_unique_and_a_used_warehouse_is_deactivated_not_deleted(
    acme, api, stock
):
    owner = api(acme, "owner")
    duplicate = owner.post(f"{API}/warehouses", json={"code": "SH", "name": "again"})
    assert duplicate.status_code == 422
    assert list(duplicate.json["error"]["fields"]) == ["code"]

    refused = owner.delete(f"{API}/warehouses/{stock['warehouse']}")
    assert refused.status_code == 409
    assert "deactivate" in refused.json["error"]["message"]
    patched = owner.patch(f"{API}/warehouses/{stock['warehouse']}", json={"is_active": False})
    assert patched.status_code == 200 and patched.json["is_active"] is False
    listed = owner.get(f"{API}/warehouses", query_string={"active": "false"}).json["items"]
    assert [w["code"] for w in listed] == ["SH"]


def test_sales_reads_stock_but_cannot_move_it(acme, api, stock):
    sales = api(acme, "sales")
    assert sales.get(f"{API}/stock").status_code == 200
    refused = sales.post(
        f"{API}/stock/receipts",
        json={"warehouse_id": stock["warehouse"], "sku_id": stock["sku"], "quantity": 1},
    )
    assert refused.status_code == 403
    assert api(acme, "buyer").get(f"{API}/stock").status_code == 403


def test_negative_adjustment_beyond_available_is_a_409_naming_the_numbers_and_changes_nothing(
    acme, api, stock
):
    owner = api(acme, "owner")
    body = {"warehouse_id": stock["warehouse"], "sku_id": stock["sku"], "reason": "damaged"}
    refused = owner.post(f"{API}/stock/adjustments", json={**body, "quantity": -11})
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "insufficient_stock"
    assert "requested 11, available 10, on hand 10" in error["message"]

    no_reason = owner.post(f"{API}/stock/adjustments", json={**body, "quantity": -1, "reason": ""})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]

    done = owner.post(f"{API}/stock/adjustments", json={**body, "quantity": -4})
    assert done.status_code == 201
    assert (done.json["kind"], done.json["on_hand_after"], done.json["reason"]) == (
        "adjustment",
        6,
        "damaged",
    )
    returned = owner.post(
        f"{API}/stock/adjustments", json={**body, "quantity": 1, "kind": "return", "reason": "RMA"}
    )
    assert returned.status_code == 201 and returned.json["kind"] == "return"


def test_levels_filter_by_sku_code_and_warehouse(acme, api, stock, catalog):
    owner = api(acme, "owner")
    owner.post(
        f"{API}/stock/receipts",
        json={
            "warehouse_id": stock["warehouse"],
            "sku_id": catalog.skus["CHG66-WHT"],
            "quantity": 5,
        },
    )
    items = owner.get(f"{API}/stock", query_string={"sku_code": "mate60p"}).json["items"]
    assert [(i["sku_code"], i["on_hand"], i["available"]) for i in items] == [
        ("MATE60P-BLK-256", 10, 10)
    ]
    every = owner.get(f"{API}/stock", query_string={"warehouse_id": stock["warehouse"]})
    assert len(every.json["items"]) == 2


def test_stock_count_sets_on_hand_and_the_ledger_pages_and_filters(acme, api, stock):
    owner = api(acme, "owner")
    counted = owner.post(
        f"{API}/stock/counts",
        json={
            "counts": [{"warehouse_id": stock["warehouse"], "sku_id": stock["sku"], "on_hand": 7}],
            "reason": "cycle count",
        },
    )
    assert counted.status_code == 200 and counted.json == {"movements": 1}

    first = owner.get(f"{API}/stock/movements", query_string={"limit": 1})
    assert first.json["items"][0]["kind"] == "stock_count"
    assert first.json["items"][0]["on_hand_delta"] == -3
    second = owner.get(
        f"{API}/stock/movements", query_string={"limit": 1, "cursor": first.json["next_cursor"]}
    )
    assert second.json["items"][0]["kind"] == "receipt"
    receipts = owner.get(f"{API}/stock/movements", query_string={"kind": "receipt"}).json
    assert [m["reason"] for m in receipts["items"]] == ["PO-1"]
    one = owner.get(f"{API}/stock/movements/{receipts['items'][0]['id']}")
    assert one.status_code == 200 and one.json["actor_label"]


def test_reservations_reserve_release_commit_only_while_active(acme, api, stock):
    owner = api(acme, "owner")
    body = {
        "sku_id": stock["sku"],
        "quantity": 4,
        "reference_type": "order_line",
        "reference_id": "77",
    }
    created = owner.post(f"{API}/stock/reservations", json=body)
    assert created.status_code == 201 and created.json["status"] == "active"
    again = owner.post(f"{API}/stock/reservations", json=body)
    assert again.json["id"] == created.json["id"]

    too_many = owner.post(
        f"{API}/stock/reservations", json={**body, "reference_id": "78", "quantity": 7}
    )
    assert too_many.status_code == 409 and "available 6" in too_many.json["error"]["message"]

    reservation = created.json["id"]
    shipped = owner.post(f"{API}/stock/reservations/{reservation}/commit", json={})
    assert shipped.status_code == 200 and shipped.json["status"] == "committed"
    assert owner.post(f"{API}/stock/reservations/{reservation}/release", json={}).status_code == 409
    level = owner.get(f"{API}/stock", query_string={"sku_id": stock["sku"]}).json["items"][0]
    assert (level["on_hand"], level["reserved"]) == (6, 0)


def test_reorder_policy_alerts_and_suggestions(acme, api, stock):
    owner = api(acme, "owner")
    policy = owner.get(f"{API}/stock/reorder-policies/{stock['sku']}")
    assert policy.status_code == 200 and policy.json["reorder_point"] == 0
    patched = owner.patch(
        f"{API}/stock/reorder-policies/{stock['sku']}", json={"manual_reorder_point": 15}
    )
    assert patched.status_code == 200 and patched.json["reorder_point"] == 15

    alerts = owner.get(f"{API}/stock/alerts", query_string={"status": "open"}).json["items"]
    assert [(a["sku_code"], a["available"], a["reorder_point"]) for a in alerts] == [
        ("MATE60P-BLK-256", 10, 15)
    ]
    assert owner.get(f"{API}/stock/alerts/{alerts[0]['id']}").status_code == 200
    suggestions = owner.get(f"{API}/stock/suggestions").json["items"]
    assert [(s["sku_id"], s["suggested_qty"]) for s in suggestions] == [(stock["sku"], 5)]
    below = owner.get(f"{API}/stock", query_string={"below_reorder_point": "true"}).json["items"]
    assert [level["sku_id"] for level in below] == [stock["sku"]]

    bad = owner.patch(f"{API}/stock/reorder-policies/{stock['sku']}", json={"lead_time_days": -1})
    assert bad.status_code == 422 and "lead_time_days" in bad.json["error"]["fields"]
