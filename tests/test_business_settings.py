"""A tenant's business rules: defaults until changed, bounded, changed only by managers."""

from __future__ import annotations

URL = "/api/v1/tenant/business-settings"


def test_a_new_tenant_starts_with_the_documented_defaults(acme, api):
    response = api(acme, "sales").get(URL)
    assert response.status_code == 200
    assert response.json == {
        "overstock_days_of_cover": 60,
        "demand_window_days": 90,
        "default_lead_time_days": 7,
        "service_level": 0.95,
        "review_days": 30,
    }


def test_an_admin_changes_one_rule_and_the_others_keep_their_values(acme, globex, api):
    response = api(acme, "admin").patch(URL, json={"overstock_days_of_cover": 45})
    assert response.status_code == 200
    assert response.json["overstock_days_of_cover"] == 45
    assert response.json["review_days"] == 30
    assert api(acme, "owner").get(URL).json["overstock_days_of_cover"] == 45
    assert api(globex, "owner").get(URL).json["overstock_days_of_cover"] == 60


def test_a_value_out_of_bounds_is_refused_by_name_and_changes_nothing(acme, api):
    owner = api(acme, "owner")
    response = owner.patch(URL, json={"service_level": 1.5})
    assert response.status_code == 422
    assert "service_level" in response.json["error"]["fields"]
    assert owner.get(URL).json["service_level"] == 0.95


def test_an_unknown_rule_is_refused(acme, api):
    response = api(acme, "owner").patch(URL, json={"free_shipping": True})
    assert response.status_code == 422
    assert "free_shipping" in response.json["error"]["fields"]


def test_only_managers_change_the_rules(acme, api):
    response = api(acme, "sales").patch(URL, json={"review_days": 10})
    assert response.status_code == 403
    assert api(acme, "buyer").get(URL).status_code == 403
