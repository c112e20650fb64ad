"""Platform operators' pages on the base domain: tenants, onboarding, suspension."""

from __future__ import annotations

import re

import pytest

from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.tenants.models import Tenant, TenantStatus

PASSWORD = "correct-horse-42"


@pytest.fixture
def operator(platform_admin, visitor):
    ops = visitor()
    response = ops.login("ops@dinghuo.test", path="/platform/login")
    assert response.headers["Location"] == "/platform"
    return ops


def text(response) -> str:
    return response.get_data(as_text=True)


def test_platform_pages_need_an_operator(app, platform_admin, visitor):
    anonymous = visitor()
    assert anonymous.get("/platform").headers["Location"] == "/platform/login?next=/platform"
    refused = anonymous.login("ops@dinghuo.test", "wrong-password", path="/platform/login")
    assert refused.status_code == 401


def test_a_tenant_users_credentials_do_not_open_the_platform(acme, visitor):
    assert visitor().login("owner@acme.test", path="/platform/login").status_code == 401


def test_operators_see_every_tenant_with_its_status(acme, globex, operator):
    page = text(operator.get("/platform"))
    assert 'data-tenant="acme"' in page and 'data-tenant="globex"' in page
    assert "http://acme.localhost/console" in page


def test_operators_create_a_tenant_whose_owner_can_sign_in(app, operator, visitor, db):
    response = operator.post(
        "/platform/tenants/new",
        {
            "slug": "initech",
            "name": "Initech 科技",
            "owner_name": "Bill",
            "owner_email": "bill@initech.test",
            "owner_password": "initech-pass-1",
            "locale": "en",
        },
        token_from="/platform/tenants/new",
    )
    assert response.status_code == 302, text(response)
    assert 'data-tenant="initech"' in text(operator.get("/platform"))
    with db.transaction() as session:
        tenant = session.query(Tenant).filter_by(slug="initech").one()
        assert tenant.locale == "en"
    owner = visitor()
    owner.host, owner.base_url = "initech.localhost", "http://initech.localhost"
    assert owner.login("bill@initech.test", "initech-pass-1").headers["Location"] == "/console"


def test_tenant_creation_errors_show_next_to_their_fields(acme, operator, db):
    response = operator.post(
        "/platform/tenants/new",
        {
            "slug": "acme",
            "name": "Again",
            "owner_email": "not-an-email",
            "owner_password": "short",
            "locale": "zh-CN",
        },
        token_from="/platform/tenants/new",
    )
    assert response.status_code == 422
    page = text(response)
    assert re.search(r'id="field-owner_email".*?<ul class="errors"', page, re.S)
    assert re.search(r'id="field-owner_password".*?<ul class="errors"', page, re.S)
    taken = operator.post(
        "/platform/tenants/new",
        {
            "slug": "acme",
            "name": "Again",
            "owner_email": "x@again.test",
            "owner_password": "long-enough-1",
            "locale": "zh-CN",
        },
        token_from="/platform/tenants/new",
    )
    assert taken.status_code == 422
    assert re.search(r'id="field-slug".*?此标识已被占用', text(taken), re.S)
    reserved = operator.post(
        "/platform/tenants/new",
        {
            "slug": "console",
            "name": "X",
            "owner_email": "x@x.test",
            "owner_password": "long-enough-1",
            "locale": "zh-CN",
        },
        token_from="/platform/tenants/new",
    )
    assert re.search(r'id="field-slug".*?此名称为保留名称', text(reserved), re.S)
    with db.transaction() as session:
        assert session.query(Tenant).count() == 1


def test_suspending_and_reactivating_a_tenant_with_a_reason(acme, operator, visitor, db):
    response = operator.post(
        f"/platform/tenants/{acme.id}/suspend", {"reason": "账单逾期"}, token_from="/platform"
    )
    assert response.status_code == 302
    page = text(operator.get("/platform"))
    assert "账单逾期" in page
    assert visitor(acme).get("/console/login").status_code == 403
    operator.post(
        f"/platform/tenants/{acme.id}/activate", {"reason": "paid"}, token_from="/platform"
    )
    assert visitor(acme).get("/console/login").status_code == 200
    with db.transaction(acme.id) as session:
        assert session.get(Tenant, acme.id).status == TenantStatus.ACTIVE
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[-2:] == ["tenant.suspended", "tenant.active"]


def test_status_changes_need_the_csrf_token(acme, operator, db):
    response = operator.client.post(
        f"/platform/tenants/{acme.id}/suspend", base_url=operator.base_url, data={"reason": "x"}
    )
    assert response.status_code == 400
    with db.transaction() as session:
        assert session.get(Tenant, acme.id).status == TenantStatus.ACTIVE


def test_an_unknown_tenant_id_is_not_found(app, operator):
    assert (
        operator.post("/platform/tenants/999/suspend", {}, token_from="/platform").status_code
        == 404
    )


def test_operators_sign_out(operator):
    assert operator.post("/platform/logout", token_from="/platform").headers["Location"] == (
        "/platform/login"
    )
    assert operator.get("/platform").status_code == 302
