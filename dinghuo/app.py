"""``create_app()``: the one place where the platform is assembled."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dinghuo.config import Settings, load_settings
from dinghuo.db import Database
from dinghuo.logging import configure_logging


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build the app; with no argument it configures itself from ``DINGHUO_*``.

    ``gunicorn 'dinghuo.app:create_app()'`` serves the platform.
    """
    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(__name__, static_folder="admin_ui/static", static_url_path="/static")
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    configure_logging(app, settings)
    if settings.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.proxy_hops,
            x_proto=settings.proxy_hops,
            x_host=settings.proxy_hops,
        )
    settings.instance_dir.mkdir(parents=True, exist_ok=True)

    from dinghuo.platform.auth import passwords

    passwords.configure(settings.password_hash_time_cost, settings.password_hash_memory_kib)

    app.extensions["dinghuo.db"] = Database(settings.database_url)

    from dinghuo.platform.jobs import init_app as init_jobs

    init_jobs(app)

    from dinghuo import web
    from dinghuo.api import init_app as init_api
    from dinghuo.health import init_app as init_health
    from dinghuo.platform.auth.oauth import init_app as init_oauth
    from dinghuo.platform.auth.throttle import init_app as init_throttle
    from dinghuo.plugins.manager import init_app as init_plugins

    web.init_app(app)
    init_plugins(app)
    init_throttle(app)
    init_api(app)
    init_oauth(app)
    init_health(app)

    from dinghuo.admin_ui import init_app as init_ui

    init_ui(app)

    @app.errorhandler(404)
    def _not_found(error: Any):
        return app.extensions["dinghuo.api_error_handler"](error)

    app.json.sort_keys = False  # type: ignore[attr-defined]
    return app
