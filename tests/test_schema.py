"""The schema as migrated is the schema the models describe, and tenant tables are policed.

Migrations are the only way the schema is made (``dinghuo db upgrade``), so a
model change without a regenerated migration must fail here, on SQLite and on
PostgreSQL alike. On PostgreSQL every tenant table must also carry the second
defence: Row-Level Security enabled and forced, with the tenant_isolation
policy, and the app's role must own none of them (an owner could turn RLS off).
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Index, UniqueConstraint, text

import dinghuo.models  # noqa: F401  (every table registered)
from dinghuo.core.catalog.models import SearchDocument
from dinghuo.db import Base, TenantScoped, tenant_tables
from dinghuo.rls import POLICY, PRIVATE_TABLES

# Tables with a tenant_id that are deliberately not TenantScoped, and why.
NOT_TENANT_SCOPED = {
    "tenant_domains": "read before any tenant is known, to resolve the request's tenant",
}

# Tables outside the models that hold tenant rows WITHOUT RLS (PostgreSQL), and why.
# The app role must hold no privilege on them; it reaches them only through a
# SECURITY DEFINER function that filters by the bound tenant itself.
PRIVATE_TENANT_TABLES = {
    "search_text_match": "the search text mirror: RLS would keep its trigram index out of plans;"
    " read through dinghuo_search_match (docs/decisions/0003)",
}


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    """Leave out the search text index (pg_trgm / FTS5), made per backend by migration 0002."""
    return not (name or "").startswith(SearchDocument.SEARCH_BACKEND_OBJECTS)


def test_migrations_at_head_match_the_models(owner_engine):
    with owner_engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "target_metadata": Base.metadata,
                "include_object": _modelled,
            },
        )
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == [], (
        "the models and migrations/versions disagree; add a revision with `dinghuo db revision -m ...`:\n"
        + "\n".join(repr(d) for d in diffs)
    )


def test_every_table_with_a_tenant_id_is_tenant_scoped():
    scoped = set(tenant_tables())
    unscoped = sorted(
        table.name
        for table in Base.metadata.sorted_tables
        if "tenant_id" in table.c and table.name not in scoped
    )
    assert unscoped == sorted(NOT_TENANT_SCOPED), (
        "a table with tenant_id must inherit TenantScoped (or be listed in "
        f"NOT_TENANT_SCOPED with the reason): {unscoped}"
    )


def test_composite_keys_of_tenant_tables_start_with_tenant_id():
    """tenant_id first: the indexes serve per-tenant queries and survive sharding by tenant."""
    wrong = []
    for mapper in Base.registry.mappers:
        if not issubclass(mapper.class_, TenantScoped):
            continue
        table = mapper.local_table
        keys = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        keys += [i for i in table.indexes if isinstance(i, Index)]
        for key in keys:
            columns = [c.name for c in key.columns]
            if len(columns) > 1 and columns[0] != "tenant_id":
                wrong.append(f"{table.name}{tuple(columns)}")
    assert wrong == [], f"put tenant_id first in these composite keys: {wrong}"


@pytest.fixture
def postgres(owner_engine):
    if owner_engine.dialect.name != "postgresql":
        pytest.skip("Row-Level Security exists only on PostgreSQL")
    return owner_engine


@pytest.mark.postgres
def test_every_tenant_table_has_row_level_security_enabled_and_forced(postgres):
    with postgres.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        ).all()
    state = {name: (enabled, forced) for name, enabled, forced in rows}
    missing = [t for t in tenant_tables() if state.get(t) != (True, True)]
    assert missing == [], f"RLS not enabled and forced on: {missing}"


@pytest.mark.postgres
def test_every_tenant_table_has_the_tenant_isolation_policy(postgres):
    with postgres.connect() as connection:
        policies = {
            table: (qual, check)
            for table, qual, check in connection.execute(
                text(
                    "SELECT tablename, qual, with_check FROM pg_policies "
                    "WHERE schemaname = current_schema() AND policyname = :policy"
                ),
                {"policy": POLICY},
            )
        }
    for table in tenant_tables():
        assert table in policies, f"{table} has no {POLICY} policy"
        qual, check = policies[table]
        for clause in (qual, check):
            assert "tenant_id" in clause and "app.tenant_id" in clause, (table, clause)
            assert "NULLIF" in clause.upper(), f"{table}: policy must fail closed via NULLIF"


@pytest.mark.postgres
def test_the_app_role_owns_no_table_and_cannot_bypass_rls(postgres, db):
    with db.engine.connect() as connection:
        app_role, superuser, bypass = connection.execute(
            text(
                "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                "WHERE rolname = current_user"
            )
        ).one()
    assert not superuser and not bypass, f"the app connects as {app_role}, which bypasses RLS"
    with postgres.connect() as connection:
        owned = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE tableowner = :role"), {"role": app_role}
        ).scalars()
        owned = list(owned)
        owner = connection.execute(text("SELECT current_user")).scalar()
    assert owned == [], f"the app role {app_role} owns {owned}; tables belong to the owner"
    assert owner != app_role, "tests must migrate as an owner role distinct from the app role"


@pytest.mark.postgres
def test_tenant_rows_outside_rls_are_only_the_private_tables(postgres, db):
    """Any table with a tenant_id but no forced RLS is listed, and the app cannot touch it."""
    with postgres.connect() as connection:
        unpoliced = connection.execute(
            text(
                "SELECT c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
            )
        ).scalars()
        unpoliced = set(unpoliced) - set(NOT_TENANT_SCOPED)
    assert unpoliced == set(PRIVATE_TENANT_TABLES) == set(PRIVATE_TABLES)
    with db.engine.connect() as connection:
        for table in PRIVATE_TENANT_TABLES:
            granted = connection.execute(
                text(
                    "SELECT has_table_privilege(current_user, :t, "
                    "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')"
                ),
                {"t": table},
            ).scalar()
            assert granted is False, f"the app role holds a privilege on {table}"
