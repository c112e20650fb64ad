"""The server-rendered UI: brand console ``/console``, dealer portal ``/``, platform ``/platform``.

Pages call the same services as the API and are guarded by the same
permission decorator. The UI brings: a tenant-branded layout, sign-in with
the session cookie (read by :mod:`dinghuo.web`), CSRF on every form, Chinese
and English, HTML error pages for browsers, and its own assets (no CDN).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request, url_for

from dinghuo.admin_ui import i18n, security
from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.branding import current_branding
from dinghuo.admin_ui.errors import render_error_page, take_over_specific_handlers
from dinghuo.admin_ui.forms import ROLE_LABELS, LocaleForm
from dinghuo.admin_ui.guards import CONSOLE_NAV, PLATFORM_NAV, PORTAL_NAV, visible_nav
from dinghuo.platform.storage import storage_for
from dinghuo.web import current_principal

_NAV = {"console": CONSOLE_NAV, "portal": PORTAL_NAV, "platform": PLATFORM_NAV}
STATIC = Path(__file__).parent / "static"


@cache
def _asset_version(filename: str) -> str:
    return hashlib.sha256((STATIC / filename).read_bytes()).hexdigest()[:12]


def asset_url(filename: str) -> str:
    """A static file's URL with its content hash, so browsers never keep a stale copy."""
    return url_for("static", filename=filename, v=_asset_version(filename))


def _template_context() -> dict[str, Any]:
    if not has_request_context():
        return {}
    area = g.get("ui_area")
    back_to = request.full_path.rstrip("?") if request.method == "GET" else ""
    locale_form = LocaleForm(formdata=None, locale=i18n.selected_locale(), next=back_to)
    return {
        "branding": current_branding(),
        "ui_user": g.get("ui_user"),
        "principal": current_principal(),
        "area": area,
        "nav": visible_nav(_NAV[area], current_principal()) if area else [],
        "locale_form": locale_form,
        "role_labels": ROLE_LABELS,
    }


def init_app(app: Flask) -> None:
    from dinghuo.admin_ui.views import (  # noqa: F401  (each module registers its pages)
        auth,
        cart,
        catalog_console,
        catalog_console_parts,
        catalog_console_taxonomy,
        catalog_media,
        catalog_portal,
        channel_stock,
        checkout,
        console,
        dealer_approval,
        dealers,
        fulfilment,
        imports,
        inventory,
        media,
        notifications,
        orders_console,
        orders_portal,
        platform,
        portal,
        prices,
        requisition_lists,
    )

    app.extensions["dinghuo.storage"] = storage_for(app.config["SETTINGS"])
    app.extensions["dinghuo.html_error_page"] = render_error_page
    take_over_specific_handlers(app)
    i18n.init_app(app)
    security.init_app(app)
    app.register_blueprint(bp)
    app.context_processor(_template_context)
    app.jinja_env.globals["asset_url"] = asset_url
