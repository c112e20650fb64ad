"""Liveness (``/healthz``) and readiness (``/readyz``) probes."""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from sqlalchemy import text


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        checks: dict[str, str] = {}
        try:
            with current_app.extensions["dinghuo.db"].engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["database"] = f"error: {type(exc).__name__}"
        settings = current_app.config["SETTINGS"]
        if settings.redis_url:
            from dinghuo.platform.jobs.queue import redis_connection

            try:
                redis_connection(settings.redis_url).ping()
                checks["redis"] = "ok"
            except Exception as exc:  # noqa: BLE001
                checks["redis"] = f"error: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return jsonify(status="ok" if ready else "unavailable", checks=checks), (
            200 if ready else 503
        )
