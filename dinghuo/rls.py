"""PostgreSQL Row-Level Security: the second defence of tenant isolation.

Each tenant table gets RLS enabled *and forced* (so even the owning role
obeys it) with one policy comparing ``tenant_id`` to the transaction-local
``app.tenant_id`` setting. ``NULLIF`` turns the empty string a finished
``SET LOCAL`` leaves behind into NULL, which matches no row: fail closed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

POLICY = "tenant_isolation"
APPEND_ONLY_TABLES = ("audit_log", "stock_movements")
PRIVATE_TABLES = ("search_text_match",)
"""Tables without RLS that the app role may not touch at all (migration 0002, PostgreSQL)."""
APP_FUNCTIONS = ("dinghuo_search_match(text[])",)
"""SECURITY DEFINER functions through which the app reads a private table, for its tenant only."""


def enable_row_level_security(connection: Connection, tables: Iterable[str]) -> None:
    """Enable, force and police RLS on ``tables``; a no-op off PostgreSQL."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(text(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY'))
        connection.execute(text(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY'))
        connection.execute(text(f'DROP POLICY IF EXISTS {POLICY} ON "{table}"'))
        connection.execute(
            text(
                f'CREATE POLICY {POLICY} ON "{table}" '
                "USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int) "
                "WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int)"
            )
        )


def grant_app_role(connection: Connection, role: str) -> None:
    """Let the app's role use the tables it does not own; ledgers stay append-only.

    Private tables (no RLS) are revoked entirely: the app reads them only through
    the SECURITY DEFINER functions granted here, which bind the tenant themselves.
    """
    if connection.dialect.name != "postgresql":
        return
    quoted = connection.dialect.identifier_preparer.quote(role)
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
    connection.execute(
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
    )
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
    for table in APPEND_ONLY_TABLES:
        connection.execute(text(f'REVOKE UPDATE, DELETE ON "{table}" FROM {quoted}'))
    for table in PRIVATE_TABLES:
        if connection.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar() is not None:
            connection.execute(text(f'REVOKE ALL ON "{table}" FROM {quoted}'))
    for function in APP_FUNCTIONS:
        if connection.execute(text("SELECT to_regprocedure(:f)"), {"f": function}).scalar():
            connection.execute(text(f"GRANT EXECUTE ON FUNCTION {function} TO {quoted}"))
    connection.execute(text(f"REVOKE ALL ON alembic_version FROM {quoted}"))
    connection.execute(text(f"GRANT SELECT ON alembic_version TO {quoted}"))
