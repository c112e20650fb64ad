"""The audit log: append-only (ORM and PostgreSQL), readable by auditors, complete."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import ProgrammingError

from dinghuo.platform.audit.models import AuditEntry, AuditLogIsAppendOnly
from dinghuo.platform.audit.service import record

AUDIT = "/api/v1/audit"


def entries(db, world, action: str | None = None) -> list[AuditEntry]:
    with db.transaction(world.id) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))


@pytest.fixture
def entry_id(acme, db) -> int:
    with db.transaction(acme.id) as session:
        entry = record(session, None, "test.event", "thing", 1)
        session.flush()
        return entry.id


def test_orm_refuses_to_change_an_entry(db, acme, entry_id):
    with pytest.raises(AuditLogIsAppendOnly), db.transaction(acme.id) as session:
        session.get(AuditEntry, entry_id).action = "test.rewritten"
    assert entries(db, acme, "test.event")


def test_orm_refuses_to_delete_an_entry(db, acme, entry_id):
    with pytest.raises(AuditLogIsAppendOnly), db.transaction(acme.id) as session:
        session.delete(session.get(AuditEntry, entry_id))
    assert entries(db, acme, "test.event")


@pytest.mark.parametrize(
    "statement",
    [update(AuditEntry).values(action="test.rewritten"), delete(AuditEntry)],
    ids=["update", "delete"],
)
def test_orm_refuses_bulk_rewrites(db, acme, entry_id, statement):
    with pytest.raises(AuditLogIsAppendOnly), db.transaction(acme.id) as session:
        session.execute(statement)
    assert entries(db, acme, "test.event")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_log SET action = 'test.rewritten'", "DELETE FROM audit_log"],
    ids=["update", "delete"],
)
def test_app_role_cannot_rewrite_the_log_in_postgresql(app, db, acme, entry_id, sql):
    if not app.config["SETTINGS"].is_postgres or not app.config["SETTINGS"].app_db_role:
        pytest.skip("needs PostgreSQL with the app role")
    with pytest.raises(ProgrammingError, match="permission denied"), db.engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(acme.id)})
        conn.execute(text(sql))
    with db.engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(acme.id)})
        assert conn.scalar(text("SELECT action FROM audit_log WHERE id = :i"), {"i": entry_id}) == (
            "test.event"
        )


def test_auditors_read_the_log_newest_first(acme, api):
    api(acme, "owner").patch("/api/v1/tenant", json={"display_name": "Acme Digital"})
    api(acme, "owner").post(
        "/api/v1/users/invitations", json={"email": "n@acme.test", "name": "N", "role": "sales"}
    )
    response = api(acme, "finance").get(AUDIT)
    assert response.status_code == 200
    actions = [e["action"] for e in response.json["items"]]
    assert actions[:2] == ["user.invite", "tenant.branding"]
    ids = [e["id"] for e in response.json["items"]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("who", ["sales", "warehouse", "dealer_admin", "buyer"])
def test_only_auditors_read_the_log(acme, api, who):
    assert api(acme, who).get(AUDIT).status_code == 403


def test_log_is_per_tenant(acme, globex, api):
    api(acme, "owner").patch("/api/v1/tenant", json={"display_name": "Acme Digital"})
    seen = api(globex, "owner").get(AUDIT, query_string={"action": "tenant.branding"})
    assert seen.json["items"] == []


def test_filters_by_action_actor_object_and_time(acme, api):
    owner, admin = acme.users["owner"].id, acme.users["admin"].id
    sales = acme.users["sales"].id
    api(acme, "owner").patch(f"/api/v1/users/{sales}", json={"is_active": False})
    api(acme, "admin").patch(f"/api/v1/users/{sales}", json={"is_active": True})
    api(acme, "admin").patch("/api/v1/tenant", json={"welcome_text": "欢迎"})
    reader = api(acme, "owner")

    def actions(**query):
        response = reader.get(AUDIT, query_string=query)
        assert response.status_code == 200, response.json
        return [e["action"] for e in response.json["items"]]

    assert actions(action="user.deactivate") == ["user.deactivate"]
    assert actions(action="user.", object_type="user") == ["user.activate", "user.deactivate"]
    assert actions(actor_id=admin, actor_type="user") == ["tenant.branding", "user.activate"]
    assert actions(actor_id=owner) == ["user.deactivate"]
    assert actions(object_type="user", object_id=str(sales)) == [
        "user.activate",
        "user.deactivate",
    ]
    now = dt.datetime.now(dt.UTC)
    assert actions(since=(now + dt.timedelta(minutes=1)).isoformat()) == []
    assert actions(until=(now - dt.timedelta(days=1)).isoformat()) == []
    window = actions(
        since=(now - dt.timedelta(minutes=5)).isoformat(),
        until=(now + dt.timedelta(minutes=5)).isoformat(),
        actor_id=admin,
    )
    assert window == ["tenant.branding", "user.activate"]
    naive = (now - dt.timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    assert actions(since=naive, actor_id=admin) == ["tenant.branding", "user.activate"]


def test_keyset_pagination_walks_every_entry_once(acme, api, db):
    with db.transaction(acme.id) as session:
        for n in range(7):
            record(session, None, "test.page", "thing", n)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"action": "test.page", "limit": 3}
        if cursor:
            query["cursor"] = cursor
        page = api(acme, "owner").get(AUDIT, query_string=query).json
        seen += [e["object_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [str(n) for n in reversed(range(7))]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"since": "yesterday"}, "since"),
        ({"actor_id": "abc"}, "actor_id"),
        ({"actor_type": "robot"}, "actor_type"),
        ({"colour": "red"}, "colour"),
        ({"action": "x" * 81}, "action"),
        ({"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}, "until"),
        ({"sort": "action"}, "sort"),
    ],
)
def test_bad_filters_are_422_naming_the_field(acme, api, query, field):
    response = api(acme, "owner").get(AUDIT, query_string=query)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_entries_carry_the_request_id(acme, api, db):
    api(acme, "owner").patch(
        "/api/v1/tenant", json={"primary_color": "#123456"}, headers={"X-Request-Id": "req-42"}
    )
    (entry,) = entries(db, acme, "tenant.branding")
    assert entry.request_id == "req-42"
    assert entry.actor_type == "user" and entry.actor_id == acme.users["owner"].id
    listed = api(acme, "owner").get(AUDIT, query_string={"action": "tenant.branding"})
    assert listed.json["items"][0]["request_id"] == "req-42"
    assert listed.json["items"][0]["details"] == {"primary_color": "#123456"}


def test_every_security_action_is_audited(acme, api, client, db):
    """Sign-in and out, invitation, (de)activation, token and client revocation, tenant changes."""
    import base64

    owner = api(acme, "owner")
    token = (
        api(acme)
        .post(
            "/api/v1/auth/login", json={"email": "admin@acme.test", "password": "correct-horse-42"}
        )
        .json["token"]
    )
    api(acme).post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    owner.post(
        "/api/v1/users/invitations", json={"email": "n@acme.test", "name": "N", "role": "sales"}
    )
    sales = acme.users["sales"].id
    owner.patch(f"/api/v1/users/{sales}", json={"is_active": False})
    owner.patch(f"/api/v1/users/{sales}", json={"is_active": True})
    own_tokens = owner.get("/api/v1/auth/tokens").json["items"]
    created = owner.post(
        "/api/v1/integrations/clients", json={"name": "ERP", "scopes": ["tenant:read"]}
    ).json
    basic = base64.b64encode(f"{created['client_id']}:{created['client_secret']}".encode())
    client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic.decode()}"},
        base_url=f"http://{acme.host}",
    )
    owner.post(f"/api/v1/integrations/clients/{created['id']}/revoke")
    owner.patch("/api/v1/tenant", json={"timezone": "Asia/Tokyo"})
    owner.delete(f"/api/v1/auth/tokens/{own_tokens[0]['id']}")

    recorded = [(e.action, e.request_id is not None) for e in entries(db, acme)]
    assert [a for a, _ in recorded if not a.startswith(("tenant.create", "dealer."))] == [
        "auth.login",
        "auth.logout",
        "user.invite",
        "user.deactivate",
        "user.activate",
        "oauth_client.create",
        "oauth.token",
        "oauth_client.revoke",
        "tenant.branding",
        "token.revoke",
    ]
    assert all(
        has_request
        for action, has_request in recorded
        if "." in action and not action.startswith(("tenant.create", "dealer."))
    )
