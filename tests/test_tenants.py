"""Tenants: onboarding, slugs, resolution by host, custom domain or X-Tenant, suspension."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from dinghuo import cli
from dinghuo.platform.tenants.models import Tenant

NEW_TENANT = {
    "slug": "huaxin",
    "name": "华信电子 Huaxin Electronics",
    "owner_email": "boss@huaxin.test",
    "owner_password": "huaxin-owner-pw",
}


def _tenant_count(owner_engine) -> int:
    with owner_engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM tenants")).scalar()


def _at(caller, host: str):
    """The same credentials, sent to another host (the base domain, a custom domain)."""
    caller.base_url = f"http://{host}"
    return caller


# --- onboarding ---------------------------------------------------------------


def test_platform_operator_onboards_a_tenant_whose_owner_can_sign_in(platform_api, api, acme):
    response = platform_api.post("/api/v1/platform/tenants", json=NEW_TENANT)
    assert response.status_code == 201, response.json
    assert response.json["slug"] == "huaxin"
    assert response.json["status"] == "active"
    assert response.json["currency"] == "CNY" and response.json["timezone"] == "Asia/Shanghai"

    tenant_api = _at(api(acme), "huaxin.localhost")
    login = tenant_api.post(
        "/api/v1/auth/login",
        json={"email": NEW_TENANT["owner_email"], "password": NEW_TENANT["owner_password"]},
    )
    assert login.status_code == 200, login.json
    assert login.json["user"]["role"] == "owner"


def test_onboarding_is_audited_in_the_new_tenant(platform_api, db):
    response = platform_api.post("/api/v1/platform/tenants", json=NEW_TENANT)
    assert response.status_code == 201
    from dinghuo.platform.audit.models import AuditEntry

    with db.session(response.json["id"]) as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "tenant.create" in actions


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("Bad Slug!", "lowercase"),
        ("ab", "3"),
        ("9lives", "letter"),
        ("trailing-", "letter"),
        ("www", "reserved"),
        ("platform", "reserved"),
        ("api", "reserved"),
    ],
)
def test_invalid_or_reserved_slug_is_refused_naming_the_slug(
    platform_api, owner_engine, slug, reason
):
    before = _tenant_count(owner_engine)
    response = platform_api.post("/api/v1/platform/tenants", json={**NEW_TENANT, "slug": slug})
    assert response.status_code == 422, response.json
    assert "slug" in response.json["error"]["fields"]
    assert reason.lower() in " ".join(response.json["error"]["fields"]["slug"]).lower()
    assert _tenant_count(owner_engine) == before


def test_taken_slug_is_refused_naming_the_slug(platform_api, acme, owner_engine):
    before = _tenant_count(owner_engine)
    response = platform_api.post("/api/v1/platform/tenants", json={**NEW_TENANT, "slug": "acme"})
    assert response.status_code == 422
    assert response.json["error"]["fields"]["slug"] == ["This slug is already taken."]
    assert _tenant_count(owner_engine) == before


def test_onboarding_needs_a_platform_operator(api, acme):
    anonymous = _at(api(acme), "localhost")
    response = anonymous.post("/api/v1/platform/tenants", json=NEW_TENANT)
    assert response.status_code == 401


def test_cli_creates_a_tenant_with_its_owner(app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(
        cli.main,
        [
            "tenants",
            "create",
            "--slug",
            "huaxin",
            "--name",
            NEW_TENANT["name"],
            "--owner-email",
            NEW_TENANT["owner_email"],
            "--owner-password",
            NEW_TENANT["owner_password"],
        ],
    )
    assert result.exit_code == 0, result.output
    assert "tenant huaxin" in result.output
    client = app.test_client()
    login = client.post(
        "/api/v1/auth/login",
        base_url="http://huaxin.localhost",
        json={"email": NEW_TENANT["owner_email"], "password": NEW_TENANT["owner_password"]},
    )
    assert login.status_code == 200, login.json


def test_cli_onboarding_is_one_transaction(app, db, monkeypatch, owner_engine):
    """The owner fails (password too short) after the tenant row was written: neither stays."""
    monkeypatch.setattr(cli, "_app", lambda: app)
    before = _tenant_count(owner_engine)
    result = CliRunner().invoke(
        cli.main,
        [
            "tenants",
            "create",
            "--slug",
            "huaxin",
            "--name",
            "Huaxin",
            "--owner-email",
            "boss@huaxin.test",
            "--owner-password",
            "short",
        ],
    )
    assert result.exit_code != 0
    assert "password" in result.output
    assert _tenant_count(owner_engine) == before
    with db.session() as session:
        assert session.scalar(select(func.count(Tenant.id)).where(Tenant.slug == "huaxin")) == 0


def test_cli_refuses_a_reserved_slug(app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(
        cli.main,
        [
            "tenants",
            "create",
            "--slug",
            "admin",
            "--name",
            "x",
            "--owner-email",
            "a@b.test",
            "--owner-password",
            "long-enough-pw",
        ],
    )
    assert result.exit_code != 0
    assert "slug" in result.output and "reserved" in result.output


# --- resolution -----------------------------------------------------------------


def test_unknown_tenant_host_is_a_json_404(client, acme):
    response = client.get("/api/v1/tenant", base_url="http://nobody.localhost")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["error"]["code"] == "not_found"


def test_nested_subdomain_is_not_a_tenant(client, acme):
    response = client.get("/api/v1/tenant", base_url="http://x.acme.localhost")
    assert response.status_code == 404


def test_tenant_is_chosen_by_x_tenant_on_the_base_domain(api, acme, client):
    caller = _at(api(acme, "owner"), "localhost")
    response = caller.get("/api/v1/tenant", headers={"X-Tenant": "acme"})
    assert response.status_code == 200, response.json
    assert response.json["slug"] == "acme"


def test_x_tenant_naming_no_tenant_is_a_404(api, acme):
    caller = _at(api(acme, "owner"), "localhost")
    assert caller.get("/api/v1/tenant", headers={"X-Tenant": "nobody"}).status_code == 404


def test_x_tenant_cannot_switch_away_from_the_hosts_tenant(api, acme, globex):
    response = api(acme, "owner").get("/api/v1/tenant", headers={"X-Tenant": "globex"})
    assert response.status_code == 404


def test_x_tenant_with_another_tenants_token_is_unauthenticated(api, acme, globex):
    caller = _at(api(globex, "owner"), "localhost")
    assert caller.get("/api/v1/tenant", headers={"X-Tenant": "acme"}).status_code == 401


def test_custom_domain_resolves_only_once_verified(api, acme, platform_api):
    owner = api(acme, "owner")
    added = owner.post("/api/v1/tenant/domains", json={"hostname": "Order.Acme-Brand.com"})
    assert added.status_code == 201, added.json
    assert added.json["hostname"] == "order.acme-brand.com"
    assert added.json["verified"] is False

    on_domain = _at(api(acme, "owner"), "order.acme-brand.com")
    assert on_domain.get("/api/v1/tenant").status_code == 404

    verified = platform_api.post(
        f"/api/v1/platform/tenants/{acme.id}/domains/{added.json['id']}/verify"
    )
    assert verified.status_code == 200, verified.json
    response = on_domain.get("/api/v1/tenant")
    assert response.status_code == 200, response.json
    assert response.json["slug"] == "acme"


def test_a_domain_cannot_be_claimed_twice(api, acme, globex):
    assert (
        api(acme, "owner").post("/api/v1/tenant/domains", json={"hostname": "shop.example.com"})
    ).status_code == 201
    taken = api(globex, "owner").post(
        "/api/v1/tenant/domains", json={"hostname": "shop.example.com"}
    )
    assert taken.status_code == 422
    assert "hostname" in taken.json["error"]["fields"]


def test_another_tenants_domain_is_not_verified_through_this_tenant(
    api, acme, globex, platform_api
):
    added = api(acme, "owner").post("/api/v1/tenant/domains", json={"hostname": "b2b.acme.cn"})
    response = platform_api.post(
        f"/api/v1/platform/tenants/{globex.id}/domains/{added.json['id']}/verify"
    )
    assert response.status_code == 404


# --- suspension ---------------------------------------------------------------


def test_suspended_tenant_answers_403_with_the_reason_to_everyone(api, acme, platform_api):
    suspended = platform_api.post(
        f"/api/v1/platform/tenants/{acme.id}/suspend", json={"reason": "unpaid invoice"}
    )
    assert suspended.status_code == 200, suspended.json
    assert suspended.json["status"] == "suspended"
    assert suspended.json["suspended_reason"] == "unpaid invoice"

    for caller in (api(acme, "owner"), api(acme, "buyer"), api(acme)):
        response = caller.get("/api/v1/tenant")
        assert response.status_code == 403
        assert response.json["error"]["code"] == "tenant_suspended"
        assert "suspended" in response.json["error"]["message"]
        assert "Acme" in response.json["error"]["message"]


def test_reactivated_tenant_works_again(api, acme, platform_api):
    platform_api.post(f"/api/v1/platform/tenants/{acme.id}/suspend", json={"reason": "x"})
    activated = platform_api.post(f"/api/v1/platform/tenants/{acme.id}/activate", json={})
    assert activated.status_code == 200
    assert activated.json["suspended_reason"] is None
    assert api(acme, "owner").get("/api/v1/tenant").status_code == 200


def test_suspending_one_tenant_leaves_the_others_alone(api, acme, globex, platform_api):
    platform_api.post(f"/api/v1/platform/tenants/{acme.id}/suspend", json={"reason": "x"})
    assert api(globex, "owner").get("/api/v1/tenant").status_code == 200


def test_platform_lists_tenants_by_status(platform_api, acme, globex):
    platform_api.post(f"/api/v1/platform/tenants/{globex.id}/suspend", json={"reason": "x"})
    everyone = platform_api.get("/api/v1/platform/tenants")
    assert [t["slug"] for t in everyone.json["items"]] == ["acme", "globex"]
    suspended = platform_api.get("/api/v1/platform/tenants", query_string={"status": "suspended"})
    assert [t["slug"] for t in suspended.json["items"]] == ["globex"]
    paged = platform_api.get("/api/v1/platform/tenants", query_string={"limit": 1})
    assert [t["slug"] for t in paged.json["items"]] == ["acme"]
    rest = platform_api.get(
        "/api/v1/platform/tenants",
        query_string={"limit": 1, "cursor": paged.json["next_cursor"]},
    )
    assert [t["slug"] for t in rest.json["items"]] == ["globex"]
    assert rest.json["next_cursor"] is None


def test_x_tenant_picks_the_tenant_on_an_address_that_names_none(client, acme):
    response = client.get(
        "/api/v1/tenant",
        base_url="http://127.0.0.1:5000",
        headers={"X-Tenant": "acme", "Authorization": f"Bearer {acme.tokens['owner']}"},
    )
    assert response.status_code == 200
    assert response.json["slug"] == "acme"


def test_an_address_that_names_no_tenant_is_a_404_without_x_tenant(client, acme):
    assert client.get("/api/v1/tenant", base_url="http://127.0.0.1:5000").status_code == 404
