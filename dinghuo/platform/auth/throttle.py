"""Login throttling with Flask-Limiter (Redis-backed when Redis is configured)."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def login_key() -> str:
    """Per address and per tenant host, so one tenant's attacker cannot lock out another's users."""
    return f"{get_remote_address()}|{request.host}|{request.headers.get('X-Tenant', '')}"


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config["RATELIMIT_KEY_PREFIX"] = "dinghuo-limits"
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)


def login_limit() -> str:
    from flask import current_app

    return current_app.config["SETTINGS"].login_rate_limit
