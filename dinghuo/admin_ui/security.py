"""CSRF, security headers and the session cookie's sign-in and sign-out.

CSRF: every unsafe request carries a Flask-WTF token, except calls to the JSON
API (``/api/``, ``/oauth/``) that are not authenticated by the session cookie:
bearer tokens and client credentials cannot be forged by another site, but a
browser's cookie can, so a cookie-authenticated API call needs the token too
(in the ``X-CSRFToken`` header).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

API_PREFIXES = ("/api/", "/oauth/")
SESSION_IDENTITY_KEYS = ("user_id", "platform_admin_id")
KEPT_ACROSS_SIGN_IN = ("locale",)


def _cookie_authenticated() -> bool:
    return "Authorization" not in request.headers and any(
        key in session for key in SESSION_IDENTITY_KEYS
    )


def _check_csrf() -> None:
    if request.method not in current_app.config["WTF_CSRF_METHODS"] or request.endpoint is None:
        return
    if request.path.startswith(API_PREFIXES) and not _cookie_authenticated():
        return
    csrf.protect()


def csp_nonce() -> str:
    """A fresh nonce per response, for the one inline ``<style>`` carrying the brand colour."""
    nonce = g.get("ui_csp_nonce")
    if nonce is None:
        nonce = g.ui_csp_nonce = secrets.token_urlsafe(16)
    return nonce


def _security_headers(response: Response) -> Response:
    """Lock down pages this UI rendered (the API's Swagger page keeps its own rules)."""
    nonce = g.get("ui_csp_nonce")
    if nonce is None:
        return response
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; "
        f"style-src 'self' 'nonce-{nonce}'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def sign_in(**identity: int) -> None:
    """Start a fresh session for this identity (no fixation: nothing of the old one survives).

    Only the language chosen before signing in is carried over.
    """
    kept = {key: session[key] for key in KEPT_ACROSS_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    session.update(identity)


def sign_out() -> None:
    sign_in()


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path of this site, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    csrf.init_app(app)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
