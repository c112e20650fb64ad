"""Sign-in, bearer tokens (bound to tenant and user, expiring, revocable), bad input, throttling."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.auth.models import ApiToken
from dinghuo.platform.auth.service import digest, issue_token
from dinghuo.platform.auth.throttle import limiter

PASSWORD = "correct-horse-42"
LOGIN = "/api/v1/auth/login"
TOKENS = "/api/v1/auth/tokens"


def login(api, world, email: str, password: str = PASSWORD, **kwargs):
    return api(world).post(LOGIN, json={"email": email, "password": password}, **kwargs)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_sign_in_returns_a_token_for_the_user(acme, api):
    response = login(api, acme, "Sales@Acme.test")
    assert response.status_code == 200, response.json
    assert response.json["token"].startswith("dht_")
    assert response.json["user"]["role"] == "sales"
    assert "password_hash" not in response.json["user"]
    me = api(acme).get("/api/v1/auth/me", headers=bearer(response.json["token"]))
    assert me.json["label"] == "sales@acme.test"


def test_sign_in_is_audited_with_the_request_id(acme, api, db):
    response = login(api, acme, "admin@acme.test", headers={"X-Request-Id": "req-login-1"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "req-login-1"
    with db.transaction(acme.id) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login"))
        assert entry.actor_id == acme.users["admin"].id
        assert entry.request_id == "req-login-1"


def test_wrong_password_unknown_user_and_inactive_user_get_identical_answers(acme, api):
    api(acme, "owner").patch(f"/api/v1/users/{acme.users['sales'].id}", json={"is_active": False})
    wrong = login(api, acme, "owner@acme.test", "wrong-password")
    unknown = login(api, acme, "nobody@acme.test", "wrong-password")
    inactive = login(api, acme, "sales@acme.test", PASSWORD)
    assert wrong.status_code == unknown.status_code == inactive.status_code == 401
    assert wrong.data == unknown.data == inactive.data
    assert wrong.headers["Content-Type"] == unknown.headers["Content-Type"]


def test_user_of_one_tenant_cannot_sign_in_at_another(acme, globex, api):
    assert login(api, globex, "owner@acme.test").status_code == 401


def test_failed_sign_in_writes_nothing(acme, api, db):
    login(api, acme, "owner@acme.test", "wrong-password")
    with db.transaction(acme.id) as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login")) is None


def test_token_of_one_tenant_is_worthless_at_another(acme, globex, api):
    token = acme.tokens["owner"]
    assert api(globex).get("/api/v1/tenant", headers=bearer(token)).status_code == 401
    assert api(globex).get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert api(acme).get("/api/v1/tenant", headers=bearer(token)).status_code == 200


def test_expired_token_is_refused(acme, api, db):
    with db.transaction(acme.id) as session:
        secret, _ = issue_token(
            session, ttl=dt.timedelta(seconds=-1), user=session.merge(acme.users["owner"])
        )
    assert api(acme).get("/api/v1/tenant", headers=bearer(secret)).status_code == 401


def test_garbage_and_missing_tokens_are_refused(acme, api):
    assert api(acme).get("/api/v1/tenant").status_code == 401
    assert api(acme).get("/api/v1/tenant", headers=bearer("dht_nope")).status_code == 401
    assert api(acme).get("/api/v1/tenant", headers={"Authorization": "Bearer "}).status_code == 401


def test_deactivated_users_tokens_are_refused_and_stay_revoked(acme, api):
    sales = acme.users["sales"].id
    assert api(acme, "sales").get("/api/v1/tenant").status_code == 200
    off = api(acme, "owner").patch(f"/api/v1/users/{sales}", json={"is_active": False})
    assert off.status_code == 200 and off.json["is_active"] is False
    assert api(acme, "sales").get("/api/v1/tenant").status_code == 401
    on = api(acme, "owner").patch(f"/api/v1/users/{sales}", json={"is_active": True})
    assert on.json["is_active"] is True
    assert api(acme, "sales").get("/api/v1/tenant").status_code == 401
    assert login(api, acme, "sales@acme.test").status_code == 200


def test_admin_cannot_deactivate_an_owner_but_an_owner_can_deactivate_an_admin(acme, api):
    owner, admin = acme.users["owner"].id, acme.users["admin"].id
    refused = api(acme, "admin").patch(f"/api/v1/users/{owner}", json={"is_active": False})
    assert refused.status_code == 403
    assert api(acme, "owner").get("/api/v1/tenant").status_code == 200
    done = api(acme, "owner").patch(f"/api/v1/users/{admin}", json={"is_active": False})
    assert done.status_code == 200


def test_nobody_deactivates_themselves(acme, api):
    owner = acme.users["owner"].id
    response = api(acme, "owner").patch(f"/api/v1/users/{owner}", json={"is_active": False})
    assert response.status_code == 409


def test_dealer_admin_manages_only_their_own_dealers_users(acme, api):
    buyer, other = acme.users["buyer"].id, acme.users["other_buyer"].id
    own = api(acme, "dealer_admin").patch(f"/api/v1/users/{buyer}", json={"is_active": False})
    assert own.status_code == 200
    foreign = api(acme, "dealer_admin").patch(f"/api/v1/users/{other}", json={"is_active": False})
    assert foreign.status_code == 404
    listed = api(acme, "dealer_admin").get("/api/v1/users")
    assert {u["dealer_id"] for u in listed.json["items"]} == {acme.dealer_id}


def test_user_of_another_tenant_is_not_found(acme, globex, api):
    other = globex.users["sales"].id
    assert api(acme, "owner").get(f"/api/v1/users/{other}").status_code == 404
    patched = api(acme, "owner").patch(f"/api/v1/users/{other}", json={"is_active": False})
    assert patched.status_code == 404


def test_logout_revokes_the_token_and_is_audited(acme, api, db):
    token = login(api, acme, "finance@acme.test").json["token"]
    assert api(acme).post("/api/v1/auth/logout", headers=bearer(token)).status_code == 204
    assert api(acme).get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert api(acme).post("/api/v1/auth/logout", headers=bearer(token)).status_code == 401
    with db.transaction(acme.id) as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.logout"))
        assert entry.actor_id == acme.users["finance"].id


def test_user_lists_their_own_tokens_without_secrets(acme, api):
    first = login(api, acme, "warehouse@acme.test").json["token"]
    listed = api(acme, "warehouse").get(TOKENS)
    assert listed.status_code == 200
    items = listed.json["items"]
    assert len(items) == 2  # the fixture's token and the sign-in
    assert items[0]["name"] == "login"  # newest first
    for item in items:
        assert set(item) == {
            "id",
            "name",
            "scopes",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        }
    assert first not in listed.get_data(as_text=True)
    others = api(acme, "owner").get(TOKENS).json["items"]
    assert {t["id"] for t in others}.isdisjoint({t["id"] for t in items})


def test_token_list_filters_by_liveness(acme, api):
    token = login(api, acme, "warehouse@acme.test").json["token"]
    api(acme).post("/api/v1/auth/logout", headers=bearer(token))
    active = api(acme, "warehouse").get(TOKENS, query_string={"active": "true"}).json["items"]
    dead = api(acme, "warehouse").get(TOKENS, query_string={"active": "false"}).json["items"]
    assert len(active) == 1 and len(dead) == 1
    assert dead[0]["revoked_at"] is not None


def test_user_revokes_their_own_token(acme, api, db):
    token = login(api, acme, "admin@acme.test").json["token"]
    with db.transaction(acme.id) as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest(token)))
    assert api(acme, "admin").delete(f"{TOKENS}/{token_id}").status_code == 204
    assert api(acme).get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    assert api(acme, "admin").get("/api/v1/auth/me").status_code == 200
    assert api(acme, "admin").delete(f"{TOKENS}/{token_id}").status_code == 204
    with db.transaction(acme.id) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke"))
        assert [e.object_id for e in entries] == [str(token_id)]


def test_another_users_or_tenants_token_is_not_found(acme, globex, api, db):
    with db.transaction(acme.id) as session:
        owner_token = session.scalar(
            select(ApiToken.id).where(ApiToken.user_id == acme.users["owner"].id)
        )
    assert api(acme, "admin").delete(f"{TOKENS}/{owner_token}").status_code == 404
    assert api(globex, "owner").delete(f"{TOKENS}/{owner_token}").status_code == 404
    assert api(acme, "owner").get("/api/v1/tenant").status_code == 200


def test_token_use_is_recorded(acme, api, db):
    api(acme, "buyer").get("/api/v1/auth/me")
    with db.transaction(acme.id) as session:
        token = session.scalar(select(ApiToken).where(ApiToken.user_id == acme.users["buyer"].id))
        assert token.last_used_at is not None


LONG = "x" * 300


@pytest.mark.parametrize(
    "path, who, body, field",
    [
        (LOGIN, None, {"email": "a@b.test", "password": "p", "remember": True}, "remember"),
        (LOGIN, None, {"email": f"{'a' * 250}@b.test", "password": "p"}, "email"),
        (LOGIN, None, {"email": "a@b.test", "password": LONG}, "password"),
        (LOGIN, None, {"email": "not-an-email", "password": "p"}, "email"),
        (LOGIN, None, {"password": "p"}, "email"),
        (
            "/api/v1/auth/invitations/accept",
            None,
            {"token": "t" * 20, "password": LONG},
            "password",
        ),
        ("/api/v1/auth/invitations/accept", None, {"token": LONG, "password": PASSWORD}, "token"),
        (
            "/api/v1/auth/invitations/accept",
            None,
            {"token": "t" * 20, "password": PASSWORD, "role": "owner"},
            "role",
        ),
        (
            "/api/v1/users/invitations",
            "owner",
            {"email": "n@acme.test", "name": LONG, "role": "sales"},
            "name",
        ),
        (
            "/api/v1/users/invitations",
            "owner",
            {"email": "n@acme.test", "name": "N", "role": "sales", "is_active": True},
            "is_active",
        ),
        (
            "/api/v1/users/invitations",
            "owner",
            {"email": "n@acme.test", "name": "N", "role": "superuser"},
            "role",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(acme, api, path, who, body, field):
    response = api(acme, who).post(path, json=body)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert field in error["message"]


def test_unknown_field_on_user_update_is_named(acme, api):
    response = api(acme, "owner").patch(
        f"/api/v1/users/{acme.users['sales'].id}", json={"is_active": False, "role": "owner"}
    )
    assert response.status_code == 422
    assert "role" in response.json["error"]["fields"]


@pytest.mark.parametrize(
    "path, who",
    [
        (LOGIN, None),
        ("/api/v1/auth/invitations/accept", None),
        ("/api/v1/users/invitations", "owner"),
        ("/api/v1/integrations/clients", "owner"),
    ],
)
def test_malformed_json_is_400(acme, api, path, who):
    response = api(acme, who).post(
        path, data='{"email": "a@b.test",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_platform_login_validates_and_answers_identically(acme, client):
    from dinghuo.platform.auth.service import create_platform_admin

    with client.application.extensions["dinghuo.db"].transaction() as session:
        create_platform_admin(session, "ops@dinghuo.test", "Ops", PASSWORD)
    url = "/api/v1/platform/auth/login"
    ok = client.post(url, json={"email": "ops@dinghuo.test", "password": PASSWORD})
    assert ok.status_code == 200
    wrong = client.post(url, json={"email": "ops@dinghuo.test", "password": "nope-nope"})
    unknown = client.post(url, json={"email": "x@dinghuo.test", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.data == unknown.data
    extra = client.post(url, json={"email": "ops@dinghuo.test", "password": "p", "otp": "1"})
    assert extra.status_code == 422 and "otp" in extra.json["error"]["fields"]
    at_tenant = client.post(
        url,
        json={"email": "ops@dinghuo.test", "password": PASSWORD},
        base_url=f"http://{acme.host}",
    )
    assert at_tenant.status_code == 404


@pytest.fixture
def strict_limit(app, monkeypatch):
    """Three sign-in attempts per minute, on a clean slate."""
    monkeypatch.setattr(app.config["SETTINGS"], "login_rate_limit", "3 per minute")
    limiter.reset()
    yield
    limiter.reset()


def test_sign_in_is_throttled_with_429_and_retry_after(acme, api, strict_limit):
    for _ in range(3):
        assert login(api, acme, "owner@acme.test", "wrong-password").status_code == 401
    refused = login(api, acme, "owner@acme.test", PASSWORD)
    assert refused.status_code == 429
    error = refused.json["error"]
    assert error["status"] == 429
    assert error["code"] == "too_many_requests"
    assert "try again in" in error["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_throttling_is_per_tenant(acme, globex, api, strict_limit):
    for _ in range(4):
        login(api, acme, "owner@acme.test", "wrong-password")
    assert login(api, globex, "owner@globex.test").status_code == 200


def test_token_endpoint_is_throttled_too(acme, client, strict_limit):
    for _ in range(3):
        client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            base_url=f"http://{acme.host}",
        )
    refused = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, base_url=f"http://{acme.host}"
    )
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


def test_a_bad_bearer_token_is_refused_before_the_request_is_read(acme, globex, api):
    foreign = api(acme)
    foreign.token = globex.tokens["buyer"]
    malformed = foreign.post("/api/v1/orders", json={"lines": "not a list"})
    assert malformed.status_code == 401, "no validation error leaks to a stranger"
    assert api(acme, "buyer").post("/api/v1/orders", json={"lines": "x"}).status_code == 422
