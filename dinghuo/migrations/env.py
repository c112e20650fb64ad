"""Alembic environment: migrations run as the owning role, never as the app."""

from __future__ import annotations

from alembic import context
from alembic.operations import ops
from sqlalchemy import ForeignKeyConstraint

import dinghuo.models  # noqa: F401  (registers every table)
from dinghuo.db import Base, make_engine, tenant_tables

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


def _add_cyclic_foreign_keys_after_tables(script: ops.MigrationScript) -> None:
    """Move ``use_alter`` foreign keys out of ``create_table`` into separate steps.

    ``op.create_table`` silently drops them (SQLAlchemy leaves them for an ALTER
    that Alembic never emits), so on PostgreSQL a cycle such as users.dealer_id
    / dealers.sales_rep_id would lose one side; SQLite would keep it inline and
    hide the loss. They are added once every table exists, and dropped first.
    """
    added, dropped = [], []
    for op in script.upgrade_ops.ops:
        if not isinstance(op, ops.CreateTableOp):
            continue
        deferred = [
            item for item in op.columns if isinstance(item, ForeignKeyConstraint) and item.use_alter
        ]
        op.columns = [item for item in op.columns if not any(item is d for d in deferred)]
        for constraint in deferred:
            fk = ops.CreateForeignKeyOp.from_constraint(constraint)
            added.append(ops.ModifyTableOps(op.table_name, [fk]))
            dropped.append(ops.ModifyTableOps(op.table_name, [fk.reverse()]))
    script.upgrade_ops.ops.extend(added)
    script.downgrade_ops.ops[:0] = dropped


def _run(connection) -> None:
    def list_new_tenant_tables(_context, _revision, directives) -> None:
        """Autogenerate fills NEW_TENANT_TABLES, so a new tenant table gets RLS."""
        for script in directives:
            _add_cyclic_foreign_keys_after_tables(script)
        scoped = set(tenant_tables())
        created = [
            op.table_name
            for script in directives
            for op in script.upgrade_ops.ops
            if isinstance(op, ops.CreateTableOp) and op.table_name in scoped
        ]
        config.attributes["new_tenant_tables"] = repr(sorted(created))

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        process_revision_directives=list_new_tenant_tables,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `dinghuo db upgrade`")
run_migrations_online()
