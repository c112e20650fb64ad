"""The console's order pages: the review queue per step, the filtered list, the order page
with its price breakdown and actions, and the ordering rules in Settings."""

from __future__ import annotations

from decimal import Decimal

from test_order_lifecycle import place_order, set_rules

from dinghuo.platform.tenants.business import business_settings


def _signed_in(visitor, world, role):
    browser = visitor(world)
    browser.login(f"{role}@{world.slug}.test")
    return browser


def test_reviewers_see_their_step_and_approve_from_the_order_page(app, acme, shop, visitor):
    set_rules(app, acme, review_steps=["sales", "finance"])
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 2, "CHG66-WHT": 20})
    number = f"SO-{order_id:06d}"

    sales = _signed_in(visitor, acme, "sales")
    queue = sales.get("/console/orders/review").get_data(as_text=True)
    assert 'data-step="sales"' in queue and 'data-step="finance"' not in queue
    assert f'data-order="{number}"' in queue

    page = sales.get(f"/console/orders/{order_id}").get_data(as_text=True)
    assert 'data-line="MATE60P-BLK-256"' in page and 'data-line="CHG66-WHT"' in page
    assert "data-totals" in page and 'data-action="approve"' in page
    assert 'data-action="complete"' not in page

    response = sales.post(
        f"/console/orders/{order_id}/approve",
        {"step": "sales", "reason": ""},
        token_from=f"/console/orders/{order_id}",
    )
    assert response.status_code == 302
    page = sales.get(f"/console/orders/{order_id}").get_data(as_text=True)
    assert 'data-review-step="finance"' in page
    assert 'data-action="approve"' not in page
    assert f'data-order="{number}"' not in sales.get("/console/orders/review").get_data(
        as_text=True
    )

    finance = _signed_in(visitor, acme, "finance")
    refused = finance.post(
        f"/console/orders/{order_id}/reject",
        {"step": "finance", "reason": ""},
        token_from=f"/console/orders/{order_id}",
    )
    assert refused.status_code == 302
    page = finance.get(f"/console/orders/{order_id}").get_data(as_text=True)
    assert "reason: Required." in page
    finance.post(
        f"/console/orders/{order_id}/reject",
        {"step": "finance", "reason": "信用额度已满"},
        token_from=f"/console/orders/{order_id}",
    )
    page = finance.get(f"/console/orders/{order_id}").get_data(as_text=True)
    assert 'data-status="rejected"' in page and "信用额度已满" in page


def test_the_order_list_filters_by_status_dealer_amount_and_text(app, acme, shop, visitor):
    small = place_order(app, acme, shop, {"MATE60P-BLK-256": 1})
    large = place_order(app, acme, shop, {"MATE60P-BLK-256": 10}, dealer="D002")
    owner = _signed_in(visitor, acme, "owner")
    small_no, large_no = f"SO-{small:06d}", f"SO-{large:06d}"

    def listed(query: str) -> set[str]:
        html = owner.get(f"/console/orders?{query}").get_data(as_text=True)
        return {n for n in (small_no, large_no) if f'data-order="{n}"' in html}

    assert listed("") == {small_no, large_no}
    assert listed(f"dealer_id={acme.other_dealer_id}") == {large_no}
    assert listed("min_total=20000") == {large_no}
    assert listed("max_total=20000") == {small_no}
    assert listed("status=approved") == set()
    assert listed(f"q={small_no}") == {small_no}
    assert listed("q=D002") == {large_no}
    assert listed("date_from=2000-01-01&date_to=2000-12-31") == set()
    assert owner.get("/console/orders?min_total=abc&date_from=x").status_code == 200


def test_staff_cancel_from_the_order_page_and_dealers_are_sent_away(app, acme, shop, visitor):
    order_id = place_order(app, acme, shop, {"MATE60P-BLK-256": 3})
    owner = _signed_in(visitor, acme, "owner")
    owner.post(
        f"/console/orders/{order_id}/cancel",
        {"reason": "重复下单"},
        token_from=f"/console/orders/{order_id}",
    )
    page = owner.get(f"/console/orders/{order_id}").get_data(as_text=True)
    assert 'data-status="cancelled"' in page and "重复下单" in page
    assert "data-order-actions" not in page

    buyer = _signed_in(visitor, acme, "buyer")
    assert buyer.get(f"/console/orders/{order_id}").status_code == 302
    warehouse = _signed_in(visitor, acme, "warehouse")
    assert warehouse.get("/console/orders/999999").status_code == 404


def test_ordering_rules_are_set_in_the_settings_form(app, acme, visitor):
    owner = _signed_in(visitor, acme, "owner")
    page = owner.get("/console/settings").get_data(as_text=True)
    assert 'name="review_steps"' in page and 'name="reserve_stock_on"' in page
    response = owner.post(
        "/console/settings/business",
        {
            "overstock_days_of_cover": "60",
            "demand_window_days": "90",
            "default_lead_time_days": "7",
            "service_level": "0.95",
            "review_days": "30",
            "reserve_stock_on": "approval",
            "review_steps": ["warehouse", "sales"],
            "auto_approve_tiers": "A, B",
            "auto_approve_max_total": "5000",
            "tax_rate": "0.09",
            "prices_include_tax": "y",
            "order_number_prefix": "dh",
        },
        token_from="/console/settings",
    )
    assert response.status_code == 302
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        rules = business_settings(session)
    assert rules.reserve_stock_on == "approval"
    assert rules.review_steps == ["sales", "warehouse"]
    assert rules.auto_approve_tiers == ["A", "B"]
    assert rules.auto_approve_max_total == Decimal("5000")
    assert rules.auto_approve_within_credit_only is False
    assert rules.backorders_allowed is False
    assert rules.tax_rate == Decimal("0.09")
    assert rules.order_number_prefix == "DH"

    bad = owner.post(
        "/console/settings/business",
        {"reserve_stock_on": "submission", "order_number_prefix": "D1", "tax_rate": "0.13"},
        token_from="/console/settings",
    )
    assert bad.status_code == 422
    assert "order_number_prefix" in bad.get_data(as_text=True) or "PREFIX" in bad.get_data(
        as_text=True
    )
