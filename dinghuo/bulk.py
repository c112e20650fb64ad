"""Bulk upserts on PostgreSQL: ``COPY`` into a temporary table, then one ``INSERT ... SELECT``.

Every tenant table is under forced row-level security, and PostgreSQL refuses
``COPY FROM`` into such a table to the app role. A temporary table is the
session's own (no RLS there), so the rows are copied into one first, then
moved by a single ``INSERT ... SELECT ... ON CONFLICT ... DO UPDATE``, which
RLS checks (``WITH CHECK``) like any insert. Both run on the session's
connection, in its transaction: a failure anywhere leaves nothing behind.

Values go through each column's SQLAlchemy bind processing (enum names, money
in cents, JSON), and columns the rows leave out get the model's Python-side
defaults, so what lands is what a Core ``insert()`` would have written.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Row, Table

from dinghuo.db import TenantSession


def is_postgresql(session: TenantSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def copy_upsert(
    session: TenantSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert ``rows`` (all with the same keys) into ``table``; on a ``conflict`` key update
    the ``update`` columns (and those with an ``onupdate``). Returns the ``returning`` columns
    of every row written (inserted or updated)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    columns = list(rows[0])
    defaults = _defaults(table, columns)
    columns += list(defaults)
    updated = list(update) + [
        c.key
        for c in table.c
        if c.onupdate is not None and c.key not in update and c.key in columns
    ]
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    temp = quote(f"bulk_{table.name}")
    connection = session.connection()
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
        f"SELECT {names} FROM {quote(table.name)} WITH NO DATA"
    )
    extra = tuple(defaults.values())
    given = [columns[i] for i in range(len(columns) - len(extra))]
    pick = itemgetter(*given) if len(given) > 1 else (lambda row: (row[given[0]],))
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
        write = copy.write_row
        for row in rows:
            values = (*pick(row), *extra)
            write([p(v) if p else v for p, v in zip(processors, values, strict=True)])
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in updated)
        if updated
        else "DO NOTHING"
    )
    statement = (
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} FROM {temp} "
        f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) {action}"
    )
    if returning:
        statement += " RETURNING " + ", ".join(quote(c) for c in returning)
    result = connection.exec_driver_sql(statement)
    written = result.all() if returning else []
    connection.exec_driver_sql(f"DROP TABLE {temp}")
    return written


def _defaults(table: Table, given: list[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns ``given`` leaves out (evaluated once)."""
    values: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if column.key in given or default is None:
            continue
        if default.is_scalar:
            values[column.key] = default.arg
        elif default.is_callable:
            values[column.key] = default.arg(None)
    return values
