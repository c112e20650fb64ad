"""Login throttling with Flask-Limiter (Redis-backed when Redis is configured).

Sign-in, invitation acceptance and the OAuth2 token endpoint share one limit
(``DINGHUO_LOGIN_RATE_LIMIT``) per address and tenant. A refusal is a 429 in
the API's one error format with a ``Retry-After`` header.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from dinghuo.api.errors import error_body, wants_json

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def login_key() -> str:
    """Per address and per tenant host, so one tenant's attacker cannot lock out another's users."""
    return f"{get_remote_address()}|{request.host}|{request.headers.get('X-Tenant', '')}"


def login_limit() -> str:
    return current_app.config["SETTINGS"].login_rate_limit


def _retry_after_seconds() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _too_many_requests(error: RateLimitExceeded) -> Response:
    seconds = _retry_after_seconds()
    message = f"Too many attempts; try again in {seconds} seconds."
    if wants_json():
        response = jsonify(error_body(429, "too_many_requests", message))
    else:
        response = Response(message, mimetype="text/plain")
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config["RATELIMIT_KEY_PREFIX"] = "dinghuo-limits"
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
