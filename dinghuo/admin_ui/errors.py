"""Errors answered to browsers: HTML pages instead of the API's JSON.

:mod:`dinghuo.api.errors` hands every error on a non-API path to
:func:`render_error_page`. Signing in is a redirect to the login page of the
part of the site asked for; a suspended tenant gets its branded "suspended"
page (403); anything else a page in the tenant's look with the status code.
"""

from __future__ import annotations

from flask import Flask, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from dinghuo.admin_ui.messages import translate
from dinghuo.api.errors import wants_json
from dinghuo.errors import DomainError, TenantSuspended, Unauthenticated
from dinghuo.web import current_tenant


def area_of_path(path: str) -> str:
    """Which part of the site a path belongs to: ``platform``, ``console`` or ``portal``."""
    if current_tenant() is None:
        return "platform"
    if path == "/console" or path.startswith("/console/"):
        return "console"
    return "portal"


def login_url(area: str, next_path: str | None = None) -> str:
    endpoint = {
        "platform": "ui.platform_login",
        "console": "ui.console_login",
        "portal": "ui.portal_login",
    }[area]
    return url_for(endpoint, next=next_path) if next_path else url_for(endpoint)


def home_url(area: str) -> str:
    endpoint = {
        "platform": "ui.platform_home",
        "console": "ui.console_home",
        "portal": "ui.portal_home",
    }[area]
    return url_for(endpoint)


def _generic_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This page does not accept that kind of request."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Wait a minute, then try again."),
    }
    return messages.get(status, _("Something went wrong on our side. Please try again later."))


def _title(status: int) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Please sign in"),
        403: _("Access denied"),
        404: _("Not found"),
        405: _("Not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("Invalid input"),
        429: _("Slow down"),
    }
    return titles.get(status, _("Error"))


def render_error_page(error: Exception) -> BaseResponse:
    area = area_of_path(request.path)
    if isinstance(error, Unauthenticated):
        next_path = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(login_url(area, next_path))
    if isinstance(error, TenantSuspended):
        body = render_template("ui/suspended.html")
        return Response(body, status=403, mimetype="text/html")
    if isinstance(error, DomainError):
        status, message = error.status, translate(error.message)
    elif isinstance(error, CSRFError):
        status = 400
        message = _(
            "This form has expired or was sent from another site. Reload the page and try again."
        )
    elif isinstance(error, HTTPException):
        status = error.code or 500
        message = _generic_message(status)
    else:
        status, message = 500, _generic_message(500)
    body = render_template(
        "ui/error.html",
        status=status,
        title=_title(status),
        message=message,
        home=home_url(area),
    )
    return Response(body, status=status, mimetype="text/html")


def take_over_specific_handlers(app: Flask) -> None:
    """Browsers get HTML also from handlers other parts registered for one error class.

    The login throttle answers 429 itself (with ``Retry-After``); on pages its
    answer is replaced by the HTML page, keeping that header.
    """
    handlers = app.error_handler_spec[None].get(429, {})
    previous = handlers.get(RateLimitExceeded)
    if previous is None:
        return

    def too_many_requests(error: RateLimitExceeded) -> BaseResponse:
        response = app.ensure_sync(previous)(error)
        if wants_json():
            return response
        page = render_error_page(error)
        if "Retry-After" in response.headers:
            page.headers["Retry-After"] = response.headers["Retry-After"]
        return page

    app.register_error_handler(RateLimitExceeded, too_many_requests)
