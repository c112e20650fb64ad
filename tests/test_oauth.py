"""OAuth2 for integrations: clients registered by tenant admins, client-credentials tokens."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select

from dinghuo.platform.auth.models import ApiToken, OAuthClient
from dinghuo.platform.auth.service import digest

CLIENTS = "/api/v1/integrations/clients"


def register(api, world, scopes: list[str], who: str = "owner") -> dict[str, Any]:
    response = api(world, who).post(CLIENTS, json={"name": "ERP connector", "scopes": scopes})
    assert response.status_code == 201, response.json
    return response.json


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def request_token(client, world, creds: dict[str, Any], scope: str | None = None, **kwargs: Any):
    data = {"grant_type": "client_credentials", **kwargs.pop("data", {})}
    if scope is not None:
        data["scope"] = scope
    headers = kwargs.pop("headers", None)
    if headers is None:
        headers = basic(creds["client_id"], creds["client_secret"])
    return client.post(
        "/oauth/token", data=data, headers=headers, base_url=f"http://{world.host}", **kwargs
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_registers_client_and_sees_the_secret_once(acme, api, db):
    created = register(api, acme, ["users:read", "tenant:read"], who="admin")
    assert created["client_id"].startswith("dhc_")
    assert created["client_secret"].startswith("dhs_")
    assert created["scopes"] == ["tenant:read", "users:read"]

    listed = api(acme, "admin").get(CLIENTS)
    assert listed.status_code == 200
    assert [c["client_id"] for c in listed.json["items"]] == [created["client_id"]]
    assert "client_secret" not in listed.json["items"][0]
    one = api(acme, "admin").get(f"{CLIENTS}/{created['id']}")
    assert one.status_code == 200 and "client_secret" not in one.json

    with db.transaction(acme.id) as session:
        row = session.scalar(select(OAuthClient))
        assert row.client_secret_hash == digest(created["client_secret"])
        assert created["client_secret"] not in row.client_secret_hash


def test_client_credentials_token_with_basic_auth_reads_within_its_scopes(acme, api, client):
    creds = register(api, acme, ["users:read"])
    response = request_token(client, acme, creds)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "users:read"
    assert body["expires_in"] == 3600
    assert response.headers["Cache-Control"] == "no-store"

    token = body["access_token"]
    users = api(acme).get("/api/v1/users", headers=bearer(token))
    assert users.status_code == 200
    assert api(acme).get("/api/v1/tenant", headers=bearer(token)).status_code == 403
    me = api(acme).get("/api/v1/auth/me", headers=bearer(token))
    assert me.json["kind"] == "client"
    assert me.json["permissions"] == ["users:read"]


def test_client_secret_post_is_accepted(acme, api, client):
    creds = register(api, acme, ["tenant:read"])
    response = request_token(
        client,
        acme,
        creds,
        headers={},
        data={"client_id": creds["client_id"], "client_secret": creds["client_secret"]},
    )
    assert response.status_code == 200, response.json
    tenant = api(acme).get("/api/v1/tenant", headers=bearer(response.json["access_token"]))
    assert tenant.status_code == 200


def test_token_is_stored_as_api_token_with_scopes_and_expiry(acme, api, client, db):
    creds = register(api, acme, ["users:read", "tenant:read"])
    token = request_token(client, acme, creds, scope="tenant:read").json["access_token"]
    with db.transaction(acme.id) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
        assert row.user_id is None
        assert row.client_id == creds["id"]
        assert row.scopes == ["tenant:read"]
        assert 3500 < (row.expires_at - row.created_at).total_seconds() <= 3600


def test_narrower_scope_request_limits_the_token(acme, api, client):
    creds = register(api, acme, ["users:read", "tenant:read"])
    response = request_token(client, acme, creds, scope="tenant:read")
    assert response.json["scope"] == "tenant:read"
    token = response.json["access_token"]
    assert api(acme).get("/api/v1/tenant", headers=bearer(token)).status_code == 200
    assert api(acme).get("/api/v1/users", headers=bearer(token)).status_code == 403


@pytest.mark.parametrize("scope", ["users:manage", "tenant:read users:manage", "no-such:scope"])
def test_scope_beyond_the_clients_is_invalid_scope(acme, api, client, scope):
    creds = register(api, acme, ["tenant:read"])
    response = request_token(client, acme, creds, scope=scope)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_scope"


def test_wrong_secret_and_unknown_client_are_the_same_invalid_client(acme, api, client):
    creds = register(api, acme, ["tenant:read"])
    wrong = request_token(client, acme, {**creds, "client_secret": "dhs_wrong"})
    unknown = request_token(client, acme, {**creds, "client_id": "dhc_nobody"})
    posted_unknown = request_token(
        client,
        acme,
        creds,
        headers={},
        data={"client_id": "dhc_nobody", "client_secret": "x"},
    )
    for response in (wrong, unknown, posted_unknown):
        assert response.status_code == 401
        assert response.json["error"] == "invalid_client"
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert wrong.data == unknown.data == posted_unknown.data


def test_no_credentials_is_invalid_client(acme, client):
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        base_url=f"http://{acme.host}",
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


@pytest.mark.parametrize("grant_type", ["password", "authorization_code", "refresh_token", ""])
def test_other_grants_are_unsupported(acme, api, client, grant_type):
    creds = register(api, acme, ["tenant:read"])
    response = request_token(client, acme, creds, data={"grant_type": grant_type})
    assert response.status_code == 400
    assert response.json["error"] == "unsupported_grant_type"


def test_client_of_one_tenant_is_unknown_at_another(acme, globex, api, client):
    creds = register(api, acme, ["tenant:read"])
    response = request_token(client, globex, creds)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    via_header = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**basic(creds["client_id"], creds["client_secret"]), "X-Tenant": "globex"},
        base_url="http://localhost",
    )
    assert via_header.status_code == 401


def test_token_endpoint_resolves_tenant_by_header_on_base_domain(acme, api, client):
    creds = register(api, acme, ["tenant:read"])
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**basic(creds["client_id"], creds["client_secret"]), "X-Tenant": "acme"},
        base_url="http://localhost",
    )
    assert response.status_code == 200, response.json
    token = response.json["access_token"]
    tenant = client.get(
        "/api/v1/tenant", headers={**bearer(token), "X-Tenant": "acme"}, base_url="http://localhost"
    )
    assert tenant.status_code == 200 and tenant.json["slug"] == "acme"


def test_base_domain_without_tenant_knows_no_client(acme, api, client):
    creds = register(api, acme, ["tenant:read"])
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(creds["client_id"], creds["client_secret"]),
        base_url="http://localhost",
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_client_token_is_worthless_at_another_tenant(acme, globex, api, client):
    creds = register(api, acme, ["tenant:read"])
    token = request_token(client, acme, creds).json["access_token"]
    assert api(globex).get("/api/v1/tenant", headers=bearer(token)).status_code == 401


def test_revoking_client_kills_its_tokens_and_its_credentials(acme, api, client):
    creds = register(api, acme, ["tenant:read"])
    token = request_token(client, acme, creds).json["access_token"]
    revoked = api(acme, "owner").post(f"{CLIENTS}/{creds['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"] is not None
    assert api(acme).get("/api/v1/tenant", headers=bearer(token)).status_code == 401
    again = request_token(client, acme, creds)
    assert again.status_code == 401 and again.json["error"] == "invalid_client"


def test_delete_revokes_the_client(acme, api, client):
    creds = register(api, acme, ["tenant:read"])
    token = request_token(client, acme, creds).json["access_token"]
    assert api(acme, "owner").delete(f"{CLIENTS}/{creds['id']}").status_code == 204
    assert api(acme).get("/api/v1/tenant", headers=bearer(token)).status_code == 401
    listed = api(acme, "owner").get(CLIENTS, query_string={"revoked": "true"})
    assert [c["id"] for c in listed.json["items"]] == [creds["id"]]
    assert api(acme, "owner").get(CLIENTS, query_string={"revoked": "false"}).json["items"] == []


def test_another_tenants_client_is_not_found(acme, globex, api):
    creds = register(api, acme, ["tenant:read"])
    assert api(globex, "owner").get(f"{CLIENTS}/{creds['id']}").status_code == 404
    assert api(globex, "owner").delete(f"{CLIENTS}/{creds['id']}").status_code == 404
    assert api(globex, "owner").get(CLIENTS).json["items"] == []


def test_admin_cannot_grant_scopes_they_do_not_hold(acme, api):
    response = api(acme, "owner").post(
        CLIENTS, json={"name": "x", "scopes": ["own_dealer:read", "tenant:read"]}
    )
    assert response.status_code == 403
    assert "own_dealer:read" in response.json["error"]["fields"]["scopes"][0]
    assert "tenant:read" not in response.json["error"]["fields"]["scopes"][0]


def test_client_with_integrations_scope_cannot_escalate(acme, api, client):
    creds = register(api, acme, ["integrations:manage", "tenant:read"])
    token = request_token(client, acme, creds).json["access_token"]
    escalate = api(acme).post(
        CLIENTS, json={"name": "y", "scopes": ["users:manage"]}, headers=bearer(token)
    )
    assert escalate.status_code == 403
    narrower = api(acme).post(
        CLIENTS, json={"name": "y", "scopes": ["tenant:read"]}, headers=bearer(token)
    )
    assert narrower.status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "scopes": ["bogus:scope"]}, "scopes"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["tenant:read"]}, "name"),
        ({"name": "   ", "scopes": ["tenant:read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["tenant:read"]}, "name"),
        ({"name": "x", "scopes": ["tenant:read"], "secret": "mine"}, "secret"),
        ({"scopes": ["tenant:read"]}, "name"),
    ],
)
def test_bad_client_registration_is_422_naming_the_field(acme, api, body, field):
    response = api(acme, "owner").post(CLIENTS, json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


@pytest.mark.parametrize("who", ["sales", "warehouse", "finance", "dealer_admin", "buyer"])
def test_only_integration_managers_manage_clients(acme, api, who):
    assert api(acme, who).get(CLIENTS).status_code == 403
    response = api(acme, who).post(CLIENTS, json={"name": "x", "scopes": ["tenant:read"]})
    assert response.status_code == 403


def test_token_endpoint_refuses_get(acme, client):
    response = client.get("/oauth/token", base_url=f"http://{acme.host}")
    assert response.status_code == 405


def test_client_lists_and_revokes_its_own_tokens(acme, api, client):
    creds = register(api, acme, ["tenant:read"])
    first = request_token(client, acme, creds).json["access_token"]
    second = request_token(client, acme, creds).json["access_token"]
    listed = api(acme).get("/api/v1/auth/tokens", headers=bearer(first))
    assert listed.status_code == 200
    assert len(listed.json["items"]) == 2
    oldest = listed.json["items"][-1]["id"]
    assert (
        api(acme).delete(f"/api/v1/auth/tokens/{oldest}", headers=bearer(second)).status_code == 204
    )
    assert api(acme).get("/api/v1/tenant", headers=bearer(first)).status_code == 401
    assert api(acme).get("/api/v1/tenant", headers=bearer(second)).status_code == 200


def test_custom_domain_needs_https(acme, api, client, db):
    from dinghuo.platform.tenants.models import TenantDomain

    with db.transaction() as session:
        session.add(
            TenantDomain(
                tenant_id=acme.id,
                hostname="b2b.acme-brand.com",
                verification_token="t",
                verified=True,
            )
        )
    creds = register(api, acme, ["tenant:read"])
    headers = basic(creds["client_id"], creds["client_secret"])
    data = {"grant_type": "client_credentials"}
    plain = client.post(
        "/oauth/token", data=data, headers=headers, base_url="http://b2b.acme-brand.com"
    )
    assert plain.status_code == 400
    assert plain.json["error"] == "insecure_transport"
    secure = client.post(
        "/oauth/token", data=data, headers=headers, base_url="https://b2b.acme-brand.com"
    )
    assert secure.status_code == 200, secure.json
