"""Throwaway PostgreSQL databases for a benchmark run.

An administrative connection (a superuser, or a role allowed to create roles
and databases; ``BENCH_PG_ADMIN_URL``, by default ``postgres`` on
127.0.0.1:5432) makes sure the owner and app roles exist, creates the bench
databases owned by the owner role, and drops them at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class PgTarget:
    """Where the bench databases live and which roles use them."""

    admin_url: str
    owner_role: str = "dinghuo_owner"
    app_role: str = "dinghuo_app"

    @classmethod
    def from_env(cls) -> PgTarget:
        return cls(
            admin_url=os.environ.get("BENCH_PG_ADMIN_URL", DEFAULT_ADMIN_URL),
            owner_role=os.environ.get("BENCH_PG_OWNER_ROLE", "dinghuo_owner"),
            app_role=os.environ.get("BENCH_PG_APP_ROLE", "dinghuo_app"),
        )

    def dsn(self, database: str, role: str, **extra: Any) -> str:
        """A libpq connection string to ``database`` as ``role``."""
        params = conninfo_to_dict(self.admin_url)
        params.pop("password", None)
        params.update(dbname=database, user=role, **extra)
        return make_conninfo(**params)

    def sqlalchemy_url(self, database: str, role: str, **query: str) -> str:
        params = conninfo_to_dict(self.admin_url)
        host = params.get("host", "127.0.0.1")
        port = params.get("port", "5432")
        suffix = "&".join(f"{k}={v}" for k, v in query.items())
        return f"postgresql+psycopg://{role}@{host}:{port}/{database}" + (
            f"?{suffix}" if suffix else ""
        )

    def admin(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.admin_url, autocommit=True)


def ensure_roles(target: PgTarget) -> None:
    """Create the owner and app roles when missing; neither may bypass RLS."""
    with target.admin() as conn:
        for role in (target.owner_role, target.app_role):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if exists is None:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(
                        sql.Identifier(role)
                    )
                )


def create_database(target: PgTarget, name: str, *, template: str | None = None) -> None:
    """(Re)create ``name`` owned by the owner role, optionally as a copy of ``template``."""
    drop_database(target, name)
    query = sql.SQL("CREATE DATABASE {} OWNER {}").format(
        sql.Identifier(name), sql.Identifier(target.owner_role)
    )
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with target.admin() as conn:
        conn.execute(query)


def drop_database(target: PgTarget, name: str) -> None:
    with target.admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def disable_row_level_security(target: PgTarget, database: str) -> list[str]:
    """Turn RLS off (``NO FORCE`` and ``DISABLE``) on every table of ``database`` that has it."""
    with psycopg.connect(target.dsn(database, target.owner_role), autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity "
                "ORDER BY c.relname"
            )
        ]
        for table in tables:
            conn.execute(
                sql.SQL("ALTER TABLE {} NO FORCE ROW LEVEL SECURITY").format(sql.Identifier(table))
            )
            conn.execute(
                sql.SQL("ALTER TABLE {} DISABLE ROW LEVEL SECURITY").format(sql.Identifier(table))
            )
    return tables


def analyze(target: PgTarget, database: str) -> None:
    """Fresh planner statistics, so both databases plan the measured query alike."""
    with psycopg.connect(target.dsn(database, target.owner_role), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def backend_pids(target: PgTarget, database: str, application_name: str) -> list[int]:
    """Server processes serving ``application_name`` on ``database`` (for their CPU time)."""
    with target.admin() as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (database, application_name),
        ).fetchall()
    return [row[0] for row in rows]
