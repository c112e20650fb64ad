"""The REST API: flask-smorest under ``/api/v1``, OpenAPI 3 at ``/api/openapi.json``.

Docs (Swagger UI) at ``/api/docs`` with assets from the ``swagger-ui-bundle``
package, served by the app: no CDN.
"""

from __future__ import annotations

from flask import Flask, send_from_directory
from flask_smorest import Api
from swagger_ui_bundle import swagger_ui_path

from dinghuo.api.errors import init_app as init_errors

API_PREFIX = "/api/v1"


class DinghuoApi(Api):
    """Answers HTTP errors in the platform's one error format."""

    def handle_http_exception(self, error):  # type: ignore[override]
        return self._app.extensions["dinghuo.api_error_handler"](error)


def init_app(app: Flask) -> Api:
    app.config.update(
        API_TITLE="Dinghuo",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Multi-tenant B2B ordering. Every call names its tenant by "
                "host (`acme.example.com`) or the `X-Tenant` header. See docs/api.md."
            },
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                }
            },
            "security": [{"bearer": []}],
        },
    )
    init_errors(app)
    api = DinghuoApi(app)
    api._app = app

    @app.route("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    from dinghuo.api.routes import register_blueprints

    register_blueprints(api)
    return api
