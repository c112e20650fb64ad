"""Structured JSON logs carrying the request id and the tenant."""

from __future__ import annotations

import logging
import sys

from flask import Flask, g, has_request_context
from pythonjsonlogger.json import JsonFormatter

from dinghuo.config import Settings


class RequestContextFilter(logging.Filter):
    """Stamps each record with the request id and tenant slug of the request it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = g.get("request_id")
            tenant = g.get("tenant")
            record.tenant = tenant.slug if tenant is not None else None
        else:
            record.request_id = getattr(record, "request_id", None)
            record.tenant = getattr(record, "tenant", None)
        return True


def configure_logging(app: Flask, settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(tenant)s %(request_id)s] %(message)s")
        )
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger("dinghuo")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    root.propagate = settings.testing
    app.logger.handlers[:] = [handler]
