"""Who may do what: the role table, checked exactly and then over HTTP.

The table below is the specification; ``ROLE_PERMISSIONS`` must match it
exactly, so widening a role is a deliberate, reviewed change to both.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest

from dinghuo.platform.auth.models import Role
from dinghuo.platform.auth.permissions import ROLE_PERMISSIONS, Permission

EVERYTHING_STAFF = {
    "tenant:read",
    "tenant:manage",
    "users:read",
    "users:manage",
    "dealers:read",
    "dealers:manage",
    "audit:read",
    "integrations:manage",
    "plugins:manage",
    "jobs:read",
    "catalog:read",
    "catalog:manage",
    "prices:read",
    "prices:manage",
    "inventory:read",
    "inventory:manage",
    "channel_stock:read",
    "orders:read",
    "orders:manage",
    "orders:review_sales",
    "orders:review_finance",
    "orders:review_warehouse",
    "shipments:manage",
    "returns:manage",
}
STAFF_READ = {
    "tenant:read",
    "users:read",
    "dealers:read",
    "jobs:read",
    "catalog:read",
    "inventory:read",
    "channel_stock:read",
    "orders:read",
}
DEALER = {"own_dealer:read", "catalog:browse", "channel_stock:report", "orders:place"}

EXPECTED: dict[str, set[str]] = {
    "owner": EVERYTHING_STAFF,
    "admin": EVERYTHING_STAFF,
    "sales": STAFF_READ
    | {"dealers:manage", "prices:read", "orders:manage", "orders:review_sales", "returns:manage"},
    "warehouse": STAFF_READ
    | {"inventory:manage", "orders:review_warehouse", "shipments:manage", "returns:manage"},
    "finance": STAFF_READ | {"audit:read", "prices:read", "prices:manage", "orders:review_finance"},
    "dealer_admin": DEALER | {"own_dealer_users:manage", "own_orders:approve"},
    "buyer": DEALER,
}


def test_every_role_is_in_the_table():
    assert set(EXPECTED) == {r.value for r in Role} == {r.value for r in ROLE_PERMISSIONS}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_role_permissions_match_the_table_exactly(role):
    assert {p.value for p in ROLE_PERMISSIONS[Role(role)]} == EXPECTED[role]


def test_permission_names_are_stable_scopes():
    assert {p.name: p.value for p in Permission} == {
        "TENANT_READ": "tenant:read",
        "TENANT_MANAGE": "tenant:manage",
        "USERS_READ": "users:read",
        "USERS_MANAGE": "users:manage",
        "DEALERS_READ": "dealers:read",
        "DEALERS_MANAGE": "dealers:manage",
        "OWN_DEALER_READ": "own_dealer:read",
        "OWN_DEALER_USERS_MANAGE": "own_dealer_users:manage",
        "AUDIT_READ": "audit:read",
        "INTEGRATIONS_MANAGE": "integrations:manage",
        "PLUGINS_MANAGE": "plugins:manage",
        "JOBS_READ": "jobs:read",
        "CATALOG_READ": "catalog:read",
        "CATALOG_MANAGE": "catalog:manage",
        "CATALOG_BROWSE": "catalog:browse",
        "PRICES_READ": "prices:read",
        "PRICES_MANAGE": "prices:manage",
        "INVENTORY_READ": "inventory:read",
        "INVENTORY_MANAGE": "inventory:manage",
        "CHANNEL_STOCK_READ": "channel_stock:read",
        "CHANNEL_STOCK_REPORT": "channel_stock:report",
        "ORDERS_READ": "orders:read",
        "ORDERS_MANAGE": "orders:manage",
        "ORDERS_REVIEW_SALES": "orders:review_sales",
        "ORDERS_REVIEW_FINANCE": "orders:review_finance",
        "ORDERS_REVIEW_WAREHOUSE": "orders:review_warehouse",
        "SHIPMENTS_MANAGE": "shipments:manage",
        "RETURNS_MANAGE": "returns:manage",
        "ORDERS_PLACE": "orders:place",
        "OWN_ORDERS_APPROVE": "own_orders:approve",
    }


def test_dealer_roles_hold_no_staff_permission():
    for role in (Role.DEALER_ADMIN, Role.BUYER):
        assert {p.value for p in ROLE_PERMISSIONS[role]} & EVERYTHING_STAFF == set()


@dataclass(frozen=True)
class Endpoint:
    """A representative call, the roles allowed to make it and the scope a client needs."""

    name: str
    method: str
    path: str
    allowed: frozenset[str]
    scope: str
    body: Any = None

    def call(self, api, world, headers: dict[str, str] | None = None):
        path = self.path.format(dealer_id=world.dealer_id)
        body = self.body(world) if callable(self.body) else self.body
        return api.request(self.method, path, json=body, headers=headers)


_counter = iter(range(10**6))


def _invitation(world) -> dict[str, Any]:
    return {
        "email": f"invitee{next(_counter)}@{world.slug}.test",
        "name": "Invitee",
        "role": "buyer",
        "dealer_id": world.dealer_id,
    }


STAFF = frozenset({"owner", "admin", "sales", "warehouse", "finance"})
MANAGERS = frozenset({"owner", "admin"})
ENDPOINTS = [
    Endpoint("tenant read", "GET", "/api/v1/tenant", STAFF, "tenant:read"),
    Endpoint(
        "tenant patch",
        "PATCH",
        "/api/v1/tenant",
        MANAGERS,
        "tenant:manage",
        {"welcome_text": "欢迎订货"},
    ),
    Endpoint("users list", "GET", "/api/v1/users", STAFF | {"dealer_admin"}, "users:read"),
    Endpoint(
        "invitation",
        "POST",
        "/api/v1/users/invitations",
        MANAGERS | {"dealer_admin"},
        "users:manage",
        _invitation,
    ),
    Endpoint(
        "invitations list",
        "GET",
        "/api/v1/users/invitations",
        MANAGERS | {"dealer_admin"},
        "users:manage",
    ),
    Endpoint("audit", "GET", "/api/v1/audit", MANAGERS | {"finance"}, "audit:read"),
    Endpoint(
        "integrations list", "GET", "/api/v1/integrations/clients", MANAGERS, "integrations:manage"
    ),
    Endpoint(
        "integration create",
        "POST",
        "/api/v1/integrations/clients",
        MANAGERS,
        "integrations:manage",
        # the one scope every holder of integrations:manage can grant
        {"name": "BI", "scopes": ["integrations:manage"]},
    ),
    Endpoint("dealers list", "GET", "/api/v1/dealers", STAFF, "dealers:read"),
]
ROLES = sorted(EXPECTED)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_allowed_or_forbidden_as_the_table_says(acme, api, role, endpoint):
    response = endpoint.call(api(acme, role), acme)
    if role in endpoint.allowed:
        assert 200 <= response.status_code < 300, (role, endpoint.name, response.json)
    else:
        assert response.status_code == 403, (role, endpoint.name, response.status_code)
        assert response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_anonymous_callers_are_401_everywhere(acme, api, endpoint):
    assert endpoint.call(api(acme), acme).status_code == 401


def test_http_allowances_agree_with_the_permission_table():
    """Staff endpoints guarded by a permission admit exactly the roles that hold it."""
    for endpoint in ENDPOINTS:
        holders = {r for r, perms in EXPECTED.items() if endpoint.scope in perms}
        assert holders <= endpoint.allowed, endpoint.name
        assert endpoint.allowed - holders <= {"dealer_admin"}, endpoint.name


def _client_token(api, client, world, scope: str) -> str:
    created = api(world, "owner").post(
        "/api/v1/integrations/clients", json={"name": f"only {scope}", "scopes": [scope]}
    )
    assert created.status_code == 201, created.json
    creds = base64.b64encode(
        f"{created.json['client_id']}:{created.json['client_secret']}".encode()
    ).decode()
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {creds}"},
        base_url=f"http://{world.host}",
    )
    assert token.status_code == 200, token.json
    return token.json["access_token"]


@pytest.mark.parametrize(
    "scope", sorted({e.scope for e in ENDPOINTS}), ids=lambda s: s.replace(":", "-")
)
def test_oauth_client_token_is_limited_to_its_scope(acme, api, client, scope):
    token = _client_token(api, client, acme, scope)
    anonymous = api(acme)
    for endpoint in ENDPOINTS:
        response = endpoint.call(anonymous, acme, headers={"Authorization": f"Bearer {token}"})
        if endpoint.scope == scope:
            assert 200 <= response.status_code < 300, (scope, endpoint.name, response.json)
        else:
            assert response.status_code == 403, (scope, endpoint.name, response.status_code)
