"""One error format for every 4xx and 5xx answer of the API.

``{"error": {"status": 422, "code": "validation_error", "message": "...",
"fields": {"slug": ["Must be lowercase letters, digits or dashes."]}}}``
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from dinghuo.errors import DomainError


def error_body(
    status: int, code: str, message: str, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "fields": fields or {}}}


def _flatten_webargs(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs nests messages by location (json, query); users know only field names."""
    fields: dict[str, Any] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update(location_messages)
        else:
            fields.setdefault("_schema", []).extend(location_messages)
    return fields


def _browser_page(error: Exception) -> Response | None:
    """Browsers outside the API get the UI's HTML page (when the UI is installed)."""
    render = current_app.extensions.get("dinghuo.html_error_page")
    if render is None or wants_json():
        return None
    return render(error)


def _http_error(error: HTTPException) -> tuple[Response, int] | Response:
    if (page := _browser_page(error)) is not None:
        return page
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    fields = _flatten_webargs(data.get("messages", {})) if "messages" in data else {}
    if status == 422:
        code, message = "validation_error", _summarise(fields) or "The input is not valid."
    elif status == 400 and fields:
        code, message = "bad_request", _summarise(fields)
    else:
        code = (error.name or "error").lower().replace(" ", "_")
        message = error.description or error.name
    response = jsonify(error_body(status, code, message, fields))
    response.status_code = status
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def _summarise(fields: dict[str, Any]) -> str:
    parts = []
    for name, reasons in fields.items():
        if isinstance(reasons, list):
            text = "; ".join(str(r) for r in reasons)
            parts.append(text if name == "_schema" else f"{name}: {text}")
        else:
            parts.append(f"{name}: invalid")
    return " / ".join(parts)


def _domain_error(error: DomainError) -> Response:
    if (page := _browser_page(error)) is not None:
        return page
    response = jsonify(error_body(error.status, error.code, error.message, error.fields))
    response.status_code = error.status
    return response


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/oauth/", "/platform/api/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.extensions["dinghuo.api_error_handler"] = _http_error
