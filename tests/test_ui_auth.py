"""Signing in and out of the console and the portal with the session cookie."""

from __future__ import annotations

import pytest

from dinghuo.platform.auth.throttle import limiter


def test_staff_sign_in_to_the_console_and_see_it(acme, visitor):
    staff = visitor(acme)
    response = staff.login("owner@acme.test")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console"
    page = staff.get("/console")
    assert page.status_code == 200
    assert "Acme 数码" in page.get_data(as_text=True)


def test_wrong_password_shows_the_form_again_with_an_error(acme, visitor):
    staff = visitor(acme)
    response = staff.login("owner@acme.test", "not-the-password")
    assert response.status_code == 401
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert staff.get("/console").status_code == 302


def test_anonymous_visitor_is_sent_to_the_right_login_page(acme, visitor):
    anonymous = visitor(acme)
    console = anonymous.get("/console/users?x=1")
    assert console.status_code == 302
    assert console.headers["Location"] == "/console/login?next=/console/users?x%3D1"
    portal = anonymous.get("/")
    assert portal.status_code == 302
    assert portal.headers["Location"] == "/login?next=/"


def test_after_sign_in_the_page_asked_for_opens(acme, visitor):
    staff = visitor(acme)
    response = staff.post(
        "/console/login",
        {"email": "admin@acme.test", "password": "correct-horse-42", "next": "/console/users"},
        token_from="/console/login",
    )
    assert response.headers["Location"] == "/console/users"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", "/"])
def test_sign_in_never_redirects_off_site_or_out_of_the_console(acme, visitor, target):
    staff = visitor(acme)
    response = staff.post(
        "/console/login",
        {"email": "admin@acme.test", "password": "correct-horse-42", "next": target},
        token_from="/console/login",
    )
    assert response.headers["Location"] == "/console"


def test_dealer_signing_in_at_the_console_lands_in_the_portal(acme, visitor):
    buyer = visitor(acme)
    response = buyer.login("buyer@acme.test", path="/console/login")
    assert response.headers["Location"] == "/"
    assert buyer.get("/").status_code == 200
    console = buyer.get("/console")
    assert console.status_code == 302 and console.headers["Location"] == "/"
    assert buyer.get("/console/users").headers["Location"] == "/"


def test_staff_cannot_enter_the_portal_as_a_dealer(acme, visitor):
    staff = visitor(acme)
    refused = staff.login("owner@acme.test", path="/login")
    assert refused.status_code == 403
    assert "品牌员工请登录管理后台" in refused.get_data(as_text=True)
    assert staff.get("/console").status_code == 302, "refused at the portal means not signed in"
    staff.login("owner@acme.test")
    portal = staff.get("/")
    assert portal.status_code == 302 and portal.headers["Location"] == "/console"


def test_suspended_dealers_users_cannot_sign_in(acme, visitor, db):
    from dinghuo.core.crm.service import suspend_dealer

    with db.transaction(acme.id) as session:
        suspend_dealer(session, None, acme.dealer_id, "unpaid invoices")
    assert visitor(acme).login("buyer@acme.test", path="/login").status_code == 401


def test_sign_in_starts_a_fresh_session(acme, visitor):
    staff = visitor(acme)
    with staff.client.session_transaction(base_url=staff.base_url) as session:
        session["planted"] = "by an attacker"
        session["locale"] = "en"
    staff.login("owner@acme.test")
    with staff.client.session_transaction(base_url=staff.base_url) as session:
        assert "planted" not in session
        assert session["user_id"] == acme.users["owner"].id
        assert session["tenant_id"] == acme.id
        assert session["locale"] == "en", "the language chosen before signing in is kept"


def test_sign_out_ends_the_session(acme, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    response = staff.post("/logout", token_from="/console")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login"
    assert staff.get("/console").status_code == 302
    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    assert buyer.post("/logout", token_from="/").headers["Location"] == "/login"
    assert buyer.get("/").status_code == 302


def test_sign_out_by_get_is_not_possible(acme, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    assert staff.get("/logout").status_code == 405
    assert staff.get("/console").status_code == 200


def test_a_cookie_of_one_tenant_is_worthless_at_another(acme, globex, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    cookie = staff.client.get_cookie("session", domain=acme.host)
    thief = visitor(globex)
    thief.client.set_cookie("session", cookie.value, domain=globex.host)
    assert thief.get("/console").status_code == 302
    assert thief.get("/console/users").headers["Location"].startswith("/console/login")
    api = thief.get("/api/v1/auth/me")
    assert api.status_code == 401


def test_a_deactivated_users_session_stops_working(acme, visitor, db):
    from dinghuo.platform.auth.service import principal_for_user, set_user_active

    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    with db.transaction(acme.id) as session:
        owner = principal_for_user(acme.users["owner"])
        set_user_active(session, owner, acme.users["buyer"].id, False)
    assert buyer.get("/").status_code == 302


def test_forms_without_the_csrf_token_are_refused(acme, visitor):
    staff = visitor(acme)
    response = staff.client.post(
        "/console/login",
        base_url=staff.base_url,
        data={"email": "owner@acme.test", "password": "correct-horse-42"},
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "表单已过期" in response.get_data(as_text=True)
    staff.login("owner@acme.test")
    forged = staff.client.post(
        "/console/users",
        base_url=staff.base_url,
        data={"csrf_token": "forged", "email": "x@acme.test", "name": "X", "role": "sales"},
    )
    assert forged.status_code == 400


def test_a_token_from_another_session_is_refused(acme, visitor):
    attacker = visitor(acme)
    token = attacker.csrf_token("/console/login")
    victim = visitor(acme)
    victim.login("owner@acme.test")
    response = victim.client.post("/logout", base_url=victim.base_url, data={"csrf_token": token})
    assert response.status_code == 400
    assert victim.get("/console").status_code == 200


def test_the_api_with_a_bearer_token_needs_no_csrf_token(acme, api):
    response = api(acme).post(
        "/api/v1/auth/login", json={"email": "owner@acme.test", "password": "correct-horse-42"}
    )
    assert response.status_code == 200
    invite = api(acme, "owner").post(
        "/api/v1/users/invitations",
        json={"email": "new@acme.test", "name": "New", "role": "sales"},
    )
    assert invite.status_code == 201, invite.json


def test_the_api_called_with_the_session_cookie_needs_the_csrf_token(acme, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    forged = staff.client.post(
        "/api/v1/users/invitations",
        base_url=staff.base_url,
        json={"email": "new@acme.test", "name": "New", "role": "sales"},
    )
    assert forged.status_code == 400
    assert forged.is_json
    allowed = staff.client.post(
        "/api/v1/users/invitations",
        base_url=staff.base_url,
        json={"email": "new@acme.test", "name": "New", "role": "sales"},
        headers={"X-CSRFToken": staff.csrf_token("/console")},
    )
    assert allowed.status_code == 201, allowed.json


def test_login_attempts_are_throttled(acme, visitor, app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "login_rate_limit", "3 per minute")
    limiter.reset()
    try:
        staff = visitor(acme)
        statuses = [staff.login("owner@acme.test", "wrong-password").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        blocked = staff.login("owner@acme.test")
        assert blocked.status_code == 429
        assert blocked.mimetype == "text/html"
        assert "尝试次数过多" in blocked.get_data(as_text=True)
    finally:
        limiter.reset()


def test_pages_answer_html_errors_and_the_api_json(acme, visitor, api):
    staff = visitor(acme)
    staff.login("warehouse@acme.test")
    forbidden = staff.get("/console/settings")
    assert forbidden.status_code == 403
    assert forbidden.mimetype == "text/html"
    assert "无权访问" in forbidden.get_data(as_text=True)
    missing = staff.get("/console/nowhere")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert api(acme, "owner").get("/api/v1/nowhere").is_json


def test_pages_forbid_framing_and_inline_script(acme, visitor):
    page = visitor(acme).get("/console/login")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<style nonce="{nonce}">' in page.get_data(as_text=True)


def test_platform_pages_do_not_exist_on_a_tenants_host(acme, visitor):
    assert visitor(acme).get("/platform/login").status_code == 404
    assert visitor(acme).get("/platform").status_code == 404


def test_tenant_pages_do_not_exist_on_the_base_domain(app, visitor):
    base = visitor()
    assert base.get("/console").status_code == 404
    assert base.get("/login").status_code == 404
    assert base.get("/").headers["Location"] == "/platform"
