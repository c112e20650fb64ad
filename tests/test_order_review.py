"""The brand's review pipeline: steps in the tenant's order, each decided by its own role,
auto-approval rules, and stock reserved on approval when the tenant says so."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update
from test_order_lifecycle import held_by_order, place_order, reserved_units, set_rules

from dinghuo.core.crm.models import Dealer, PaymentTerms


def _approve(api, world, who, order_id, **body):
    return api(world, who).post(f"/api/v1/orders/{order_id}/approve", json=body)


def test_an_order_passes_each_enabled_step_decided_by_that_steps_reviewers(app, acme, shop, api):
    set_rules(app, acme, review_steps=["sales", "finance", "warehouse"])
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 3})
    order = api(acme, "owner").get(f"/api/v1/orders/{order_id}").get_json()
    assert (order["status"], order["review_step"]) == ("submitted", "sales")
    assert [r["step"] for r in order["reviews"]] == ["sales", "finance", "warehouse"]

    assert _approve(api, acme, "finance", order_id).status_code == 403
    assert _approve(api, acme, "buyer", order_id).status_code == 403
    wrong_step = _approve(api, acme, "owner", order_id, step="finance")
    assert wrong_step.status_code == 409
    assert "sales" in wrong_step.get_json()["error"]["message"]

    step = _approve(api, acme, "sales", order_id, reason="客户信誉良好").get_json()
    assert (step["status"], step["review_step"]) == ("submitted", "finance")
    assert _approve(api, acme, "sales", order_id).status_code == 403
    assert _approve(api, acme, "finance", order_id).get_json()["review_step"] == "warehouse"
    done = _approve(api, acme, "warehouse", order_id).get_json()
    assert (done["status"], done["review_step"]) == ("approved", None)
    assert done["approved_at"]
    decided = {r["step"]: (r["outcome"], r["decided_by_id"]) for r in done["reviews"]}
    assert decided == {
        "sales": ("approved", acme.users["sales"].id),
        "finance": ("approved", acme.users["finance"].id),
        "warehouse": ("approved", acme.users["warehouse"].id),
    }
    assert _approve(api, acme, "owner", order_id).status_code == 409

    timeline = api(acme, "owner").get(f"/api/v1/orders/{order_id}/timeline").get_json()
    assert [e["details"].get("step") for e in timeline if e["kind"] == "review"] == [
        "sales",
        "finance",
        "warehouse",
    ]
    assert timeline[1]["message"] == "客户信誉良好"


def test_a_rejection_needs_a_reason_ends_the_order_and_releases_its_stock(app, acme, shop, api):
    set_rules(app, acme, review_steps=["sales", "finance"])
    sku = shop.skus["MATE60P-SLV-256"]
    order_id = place_order(app, acme, shop, {"MATE60P-SLV-256": 20})
    _approve(api, acme, "sales", order_id)
    assert reserved_units(app, acme, sku) == 20

    silent = api(acme, "finance").post(f"/api/v1/orders/{order_id}/reject", json={})
    assert silent.status_code == 422
    assert "reason" in silent.get_json()["error"]["fields"]

    rejected = api(acme, "finance").post(
        f"/api/v1/orders/{order_id}/reject", json={"reason": "账期逾期未付"}
    )
    assert rejected.status_code == 200
    body = rejected.get_json()
    assert (body["status"], body["review_step"]) == ("rejected", None)
    assert {r["step"]: r["outcome"] for r in body["reviews"]} == {
        "sales": "approved",
        "finance": "rejected",
    }
    assert reserved_units(app, acme, sku) == 0
    dealer_view = api(acme, "buyer").get(f"/api/v1/orders/{order_id}/timeline").get_json()
    assert dealer_view[-1]["message"] == "账期逾期未付"


def test_no_review_steps_approve_an_order_at_once(app, acme, shop, api):
    set_rules(app, acme, review_steps=[])
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 1})
    order = api(acme, "buyer").get(f"/api/v1/orders/{order_id}").get_json()
    assert order["status"] == "approved"
    assert order["reviews"] == []


def test_auto_approval_by_tier_only_on_account_and_within_credit(app, acme, shop, api):
    set_rules(app, acme, review_steps=["sales", "finance"], auto_approve_tiers=["A"])
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.execute(
            update(Dealer)
            .where(Dealer.id == acme.dealer_id)
            .values(credit_limit=Decimal("50000"), payment_terms=PaymentTerms.NET30)
        )

    prepaid = place_order(app, acme, shop, {"MATE60P-BLK-256": 1}, payment_terms="prepaid")
    within = place_order(app, acme, shop, {"MATE60P-BLK-256": 2})
    other_tier = place_order(app, acme, shop, {"MATE60P-BLK-256": 1}, dealer="D002")

    owner = api(acme, "owner")
    status = {i: owner.get(f"/api/v1/orders/{i}").get_json() for i in (prepaid, within)}
    assert status[prepaid]["status"] == "submitted"
    assert status[within]["status"] == "approved"
    assert {(r["outcome"], r["rule"]) for r in status[within]["reviews"]} == {
        ("auto_approved", "tier A, within credit")
    }
    assert owner.get(f"/api/v1/orders/{other_tier}").get_json()["status"] == "submitted"


def test_auto_approval_by_total_can_ignore_credit(app, acme, shop, api):
    set_rules(
        app,
        acme,
        auto_approve_max_total="10000",
        auto_approve_within_credit_only=False,
    )
    small = place_order(app, acme, shop, {"MATE60P-BLK-256": 1}, dealer="D002")
    large = place_order(app, acme, shop, {"MATE60P-BLK-256": 10}, dealer="D002")
    owner = api(acme, "owner")
    small_order = owner.get(f"/api/v1/orders/{small}").get_json()
    assert small_order["status"] == "approved"
    assert small_order["reviews"][0]["rule"] == "total ≤ 10000"
    assert owner.get(f"/api/v1/orders/{large}").get_json()["status"] == "submitted"
    timeline = owner.get(f"/api/v1/orders/{small}/timeline").get_json()
    assert timeline[-1]["message"] == "Auto-approved: total ≤ 10000."
    assert timeline[-1]["actor_type"] == "system"


def test_reserving_on_approval_holds_nothing_until_approved_and_refuses_short_stock(
    app, acme, shop, api
):
    set_rules(app, acme, reserve_stock_on="approval")
    sku = shop.skus["MATE60P-SLV-512"]  # 8 in GZ only
    first = place_order(app, acme, shop, {"MATE60P-SLV-512": 6})
    second = place_order(app, acme, shop, {"MATE60P-SLV-512": 5})
    assert reserved_units(app, acme, sku) == 0

    assert _approve(api, acme, "sales", first).get_json()["status"] == "approved"
    assert held_by_order(app, acme, first) == {"MATE60P-SLV-512": 6}

    short = _approve(api, acme, "sales", second)
    assert short.status_code == 409
    body = short.get_json()
    assert "lines.0.quantity" in body["error"]["fields"]
    assert "MATE60P-SLV-512" in body["error"]["message"]
    order = api(acme, "owner").get(f"/api/v1/orders/{second}").get_json()
    assert (order["status"], order["review_step"]) == ("submitted", "sales")
    assert reserved_units(app, acme, sku) == 6
