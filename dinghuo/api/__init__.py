"""The REST API: flask-smorest under ``/api/v1``, OpenAPI 3 at ``/api/openapi.json``.

Docs (Swagger UI) at ``/api/docs`` with assets from the ``swagger-ui-bundle``
package, served by the app: no CDN.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, send_from_directory
from flask_smorest import Api
from flask_smorest.spec.plugins import integerconverter2paramschema
from marshmallow import Schema, fields
from sqlalchemy.exc import DataError
from swagger_ui_bundle import swagger_ui_path
from werkzeug.routing import IntegerConverter

from dinghuo.api.errors import error_body
from dinghuo.api.errors import init_app as init_errors

API_PREFIX = "/api/v1"
MAX_ID = 2**31 - 1  # ids are INTEGER columns (docs/decisions/0002-single-column-ids.md)


class IdConverter(IntegerConverter):
    """``<int:...>`` bounded to what a database id can be, so a larger number is a 404.

    Unbounded, ``/dealers/9223372036854775808`` reached the database and failed
    with a 500: PostgreSQL refuses to cast it to INTEGER, SQLite to bind it.
    """

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class ErrorDetailSchema(Schema):
    status = fields.Integer(required=True, metadata={"description": "The HTTP status."})
    code = fields.String(
        required=True, metadata={"description": "Machine-readable, e.g. not_found."}
    )
    message = fields.String(required=True, metadata={"description": "For people."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        required=True,
        metadata={"description": "Reasons by input field name; empty when no field is at fault."},
    )


class ErrorSchema(Schema):
    """The one error format (dinghuo.api.errors), as the OpenAPI document states it."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class DinghuoApi(Api):
    """Answers HTTP errors in the platform's one error format, and documents it."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):  # type: ignore[override]
        return self._app.extensions["dinghuo.api_error_handler"](error)


def _unstorable_value(_error: DataError) -> Response:
    """Input the database cannot store is the client's mistake, not a 500.

    A number beyond INTEGER or a NUL character in text passes marshmallow and
    only fails in PostgreSQL; the request's transaction is rolled back.
    """
    response = jsonify(
        error_body(
            422,
            "validation_error",
            "A value cannot be stored: a number is out of range or a text holds a NUL character.",
        )
    )
    response.status_code = 422
    return response


def init_app(app: Flask) -> Api:
    app.url_map.converters["int"] = IdConverter
    app.register_error_handler(DataError, _unstorable_value)
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
    api.register_converter(IdConverter, integerconverter2paramschema)
    api._app = app

    @app.route("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str):
        return send_from_directory(swagger_ui_path, filename, max_age=86400)

    from dinghuo.api.routes import register_blueprints

    register_blueprints(api)
    return api
