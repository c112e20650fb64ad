"""The floor: ``GET /api/v1/users`` written by hand on psycopg, no framework.

It does the same work Dinghuo does for that request, each step as one plain
SQL statement on a per-thread connection (no pool, no ORM, no Flask): resolve
the tenant from the ``Host`` subdomain, bind it for Row-Level Security with
``set_config(..., true)``, check the bearer token and its user (filtered by
tenant, as Dinghuo's ORM guard filters them), read the first page of users
ordered by email then id, and answer the same JSON (items and a keyset
``next_cursor`` encoded as Dinghuo encodes it). Served by the same gunicorn
settings as Dinghuo, it shows what the stack costs over the minimum.

Configured by ``BENCH_RAW_DSN`` (a libpq connection string for the app role)
and ``DINGHUO_BASE_DOMAIN``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import psycopg

DSN = os.environ.get("BENCH_RAW_DSN", "")
BASE_DOMAIN = os.environ.get("DINGHUO_BASE_DOMAIN", "localhost").lower()
# Enum columns hold the member *names* (SQLAlchemy's non-native Enum); the API shows values.
USERS_READ_ROLES = frozenset({"OWNER", "ADMIN", "SALES", "WAREHOUSE", "FINANCE"})

TENANT_SQL = "SELECT id, status FROM tenants WHERE slug = %s"
BIND_SQL = "SELECT set_config('app.tenant_id', %s, true)"
TOKEN_SQL = (
    "SELECT u.role, u.is_active, t.revoked_at IS NULL AND t.expires_at > now() "
    "FROM api_tokens t JOIN users u ON u.id = t.user_id "
    "WHERE t.token_hash = %s AND t.tenant_id = %s AND u.tenant_id = %s"
)
USERS_SQL = (
    "SELECT id, email, name, role, dealer_id, is_active, locale, created_at, last_login_at "
    "FROM users WHERE tenant_id = %s ORDER BY email, id LIMIT %s"
)
USER_FIELDS = (
    "id",
    "email",
    "name",
    "role",
    "dealer_id",
    "is_active",
    "locale",
    "created_at",
    "last_login_at",
)

_local = threading.local()

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _connection() -> psycopg.Connection[Any]:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = psycopg.connect(DSN)
        _local.conn = conn
    return conn


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _cursor(email: str, user_id: int) -> str:
    raw = json.dumps(["email", email, user_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _answer(start_response: StartResponse, status: str, payload: dict[str, Any]) -> Iterable[bytes]:
    body = json.dumps(payload, separators=(",", ":")).encode() + b"\n"
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _error(start_response: StartResponse, status: str, message: str) -> Iterable[bytes]:
    return _answer(start_response, status, {"error": {"message": message}})


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI entry point: ``gunicorn bench.raw_wsgi:app``."""
    if environ["PATH_INFO"] != "/api/v1/users" or environ["REQUEST_METHOD"] != "GET":
        return _error(start_response, "404 NOT FOUND", "Not found.")
    hostname = environ.get("HTTP_HOST", "").split(":", 1)[0].lower().rstrip(".")
    slug = hostname.removesuffix("." + BASE_DOMAIN)
    if slug == hostname or "." in slug:
        return _error(start_response, "404 NOT FOUND", "No tenant at this address.")
    try:
        limit = int(parse_qs(environ.get("QUERY_STRING", "")).get("limit", ["50"])[0])
    except ValueError:
        limit = 0
    if not 1 <= limit <= 200:
        return _error(start_response, "422 UNPROCESSABLE ENTITY", "limit: 1-200.")
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if not authorization.lower().startswith("bearer "):
        return _error(start_response, "401 UNAUTHORIZED", "Sign in first.")
    token_hash = hashlib.sha256(authorization[7:].strip().encode()).hexdigest()

    conn = _connection()
    try:
        with conn.cursor() as cur:
            tenant = cur.execute(TENANT_SQL, (slug,)).fetchone()
            if tenant is None:
                conn.rollback()
                return _error(start_response, "404 NOT FOUND", "No tenant at this address.")
            if tenant[1] != "ACTIVE":
                conn.rollback()
                return _error(start_response, "403 FORBIDDEN", "This tenant is suspended.")
            cur.execute(BIND_SQL, (str(tenant[0]),))
            principal = cur.execute(TOKEN_SQL, (token_hash, tenant[0], tenant[0])).fetchone()
            if principal is None or not principal[1] or not principal[2]:
                conn.rollback()
                return _error(start_response, "401 UNAUTHORIZED", "Sign in first.")
            if principal[0] not in USERS_READ_ROLES:
                conn.rollback()
                return _error(start_response, "403 FORBIDDEN", "This needs users:read.")
            rows = cur.execute(USERS_SQL, (tenant[0], limit + 1)).fetchall()
        conn.commit()
    except psycopg.Error:
        conn.close()
        raise
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor(rows[-1][1], rows[-1][0])
    items = []
    for row in rows:
        item = dict(zip(USER_FIELDS, row, strict=True))
        item["role"] = item["role"].lower()
        item["created_at"] = _iso(item["created_at"])
        item["last_login_at"] = _iso(item["last_login_at"])
        items.append(item)
    return _answer(start_response, "200 OK", {"items": items, "next_cursor": next_cursor})
