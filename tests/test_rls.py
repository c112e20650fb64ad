"""The second defence of tenant isolation: PostgreSQL Row-Level Security.

Raw SQL through the app's own role bypasses the ORM guard entirely, so these
tests show what a forgotten filter or a hand-written query would see. They
need PostgreSQL; on SQLite they skip. Under ``CI=true`` with a PostgreSQL URL
configured, an unreachable server fails the run (the ``migrated`` fixture
raises instead of skipping), so CI cannot pass by silently skipping them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import exc, text

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_engine(db):
    """The engine the app itself uses: the app role, which owns nothing."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("Row-Level Security exists only on PostgreSQL")
    return db.engine


def _bind(connection, tenant_id: int) -> None:
    connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})


def test_raw_select_with_a_tenant_bound_returns_only_that_tenants_rows(app_engine, acme, globex):
    with app_engine.begin() as connection:
        _bind(connection, acme.id)
        tenants = connection.execute(text("SELECT tenant_id FROM users")).scalars().all()
        emails = connection.execute(text("SELECT email FROM users")).scalars().all()
    assert tenants and set(tenants) == {acme.id}
    assert not any(email.endswith("@globex.test") for email in emails)


def test_raw_select_naming_another_tenant_explicitly_returns_nothing(app_engine, acme, globex):
    with app_engine.begin() as connection:
        _bind(connection, acme.id)
        rows = connection.execute(
            text("SELECT * FROM users WHERE tenant_id = :other"), {"other": globex.id}
        ).all()
    assert rows == []


def test_raw_select_with_no_tenant_bound_returns_nothing(app_engine, acme, globex):
    with app_engine.begin() as connection:
        assert connection.execute(text("SELECT * FROM users")).all() == []
        assert connection.execute(text("SELECT * FROM dealers")).all() == []


def test_the_tenant_setting_ends_with_its_transaction(app_engine, acme):
    """SET LOCAL semantics: a pooled connection never carries a tenant into the next transaction."""
    with app_engine.connect() as connection:
        with connection.begin():
            _bind(connection, acme.id)
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() > 0
        with connection.begin():
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 0


def test_insert_with_another_tenants_id_is_refused_by_the_policy(app_engine, acme, globex):
    with pytest.raises(exc.DBAPIError, match="row-level security"):
        with app_engine.begin() as connection:
            _bind(connection, acme.id)
            connection.execute(
                text(
                    "INSERT INTO dealer_groups (tenant_id, code, name) "
                    "VALUES (:tenant, 'X', 'planted')"
                ),
                {"tenant": globex.id},
            )


def test_insert_with_no_tenant_bound_is_refused_by_the_policy(app_engine, acme):
    with pytest.raises(exc.DBAPIError, match="row-level security"):
        with app_engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO dealer_groups (tenant_id, code, name) "
                    "VALUES (:tenant, 'X', 'planted')"
                ),
                {"tenant": acme.id},
            )


def test_update_and_delete_cannot_reach_another_tenants_rows(app_engine, acme, globex):
    with app_engine.begin() as connection:
        _bind(connection, acme.id)
        updated = connection.execute(
            text("UPDATE dealers SET name_zh = 'hijacked' WHERE tenant_id = :other"),
            {"other": globex.id},
        )
        deleted = connection.execute(
            text("DELETE FROM users WHERE tenant_id = :other"), {"other": globex.id}
        )
        assert updated.rowcount == 0 and deleted.rowcount == 0
    with app_engine.begin() as connection:
        _bind(connection, globex.id)
        names = connection.execute(text("SELECT name_zh FROM dealers")).scalars().all()
        users = connection.execute(text("SELECT count(*) FROM users")).scalar()
    assert "hijacked" not in names and users == len(globex.users)


def test_moving_a_row_to_another_tenant_is_refused_by_the_policy(app_engine, acme, globex):
    with pytest.raises(exc.DBAPIError, match="row-level security"):
        with app_engine.begin() as connection:
            _bind(connection, acme.id)
            connection.execute(
                text("UPDATE dealers SET tenant_id = :other WHERE id = :id"),
                {"other": globex.id, "id": acme.dealer_id},
            )
