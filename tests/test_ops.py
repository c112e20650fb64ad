"""Operations: probes, structured logs, request ids, and the documented configuration."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from pydantic_core import PydanticUndefined

from dinghuo.app import create_app
from dinghuo.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


# --- probes -------------------------------------------------------------------


def test_healthz_answers_without_a_tenant_or_credentials(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_answers_on_a_tenant_host_too(client, acme):
    assert client.get("/healthz", base_url="http://acme.localhost").status_code == 200


def test_readyz_is_ready_when_its_services_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok"
    assert response.json["checks"]["database"] == "ok"


@pytest.fixture
def logging_restored():
    """create_app() configures the shared ``dinghuo`` logger; put it back afterwards."""
    logger = logging.getLogger("dinghuo")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[0], saved[1], saved[2]


@pytest.fixture
def other_app(settings, tmp_path, logging_restored):
    """A second app built from the test settings with some of them changed."""
    made = []

    def make(**changes):
        changed = settings.model_copy(update={"instance_dir": tmp_path, **changes})
        app = create_app(changed)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["dinghuo.db"].dispose()


def test_readyz_is_503_when_the_database_is_unreachable(other_app, tmp_path):
    app = other_app(database_url=f"sqlite:///{tmp_path}/missing-dir/dinghuo.db", redis_url=None)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"].startswith("error")


def test_readyz_is_503_when_redis_is_unreachable(other_app):
    app = other_app(redis_url="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("error")


# --- request ids and logs ---------------------------------------------------------


def test_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-Id": "req-abc-123"})
    assert response.headers["X-Request-Id"] == "req-abc-123"


def test_request_id_is_made_when_the_client_sends_none(client):
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/healthz").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_request_id_is_echoed_on_errors_too(client, acme):
    response = client.get(
        "/api/v1/tenant", base_url="http://nobody.localhost", headers={"X-Request-Id": "r-404"}
    )
    assert response.status_code == 404
    assert response.headers["X-Request-Id"] == "r-404"


def test_an_overlong_request_id_is_cut(client):
    response = client.get("/healthz", headers={"X-Request-Id": "x" * 500})
    assert response.headers["X-Request-Id"] == "x" * 64


def test_json_logs_carry_the_request_id_and_the_tenant(other_app, acme, capsys):
    app = other_app(log_json=True)

    @app.get("/api/v1/ops-test/log")
    def log_something():
        logging.getLogger("dinghuo.ops_test").warning("stock checked")
        return {"ok": True}

    capsys.readouterr()
    response = app.test_client().get(
        "/api/v1/ops-test/log",
        base_url="http://acme.localhost",
        headers={"X-Request-Id": "log-req-7"},
    )
    assert response.status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    record = next(line for line in lines if line.get("message") == "stock checked")
    assert record["request_id"] == "log-req-7"
    assert record["tenant"] == "acme"
    assert record["level"] == "WARNING"
    assert record["logger"] == "dinghuo.ops_test"


# --- the configuration reference in README.md ---------------------------------------


def _readme_variables() -> dict[str, str]:
    """``DINGHUO_X`` -> the default cell of its row in the README's configuration table."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"`DINGHUO_[A-Z0-9_]+`", cells[0]):
            rows[cells[0].strip("`")] = cells[1]
    return rows


def _documented_default(value: object) -> str | None:
    """How the README writes a default; None where it is computed (a path, a factory)."""
    if value is PydanticUndefined or isinstance(value, Path):
        return None
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def test_every_setting_is_documented_in_the_readme():
    documented = _readme_variables()
    names = {f"DINGHUO_{name.upper()}" for name in Settings.model_fields}
    assert sorted(names - set(documented)) == [], "add these to README.md's configuration table"
    assert sorted(set(documented) - names) == [], "README.md documents settings that do not exist"


def test_the_readme_states_each_settings_default():
    documented = _readme_variables()
    wrong = []
    for name, field in Settings.model_fields.items():
        expected = _documented_default(field.default)
        cell = documented.get(f"DINGHUO_{name.upper()}")
        if expected is not None and cell != expected:
            wrong.append(f"DINGHUO_{name.upper()}: README says {cell}, the default is {expected}")
    assert wrong == [], "\n".join(wrong)


# --- behind a reverse proxy -------------------------------------------------------


def test_behind_a_trusted_proxy_the_forwarded_host_picks_the_tenant(other_app, acme):
    app = other_app(proxy_hops=1, secure_cookies=True)
    response = app.test_client().get(
        "/api/v1/tenant",
        base_url="http://10.0.0.5",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "acme.localhost",
            "Authorization": f"Bearer {acme.tokens['owner']}",
        },
    )
    assert response.status_code == 200
    assert response.json["slug"] == "acme"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_without_proxy_hops_forwarded_headers_are_ignored(client, acme):
    response = client.get(
        "/api/v1/tenant",
        base_url="http://10.0.0.5",
        headers={
            "X-Forwarded-Host": "acme.localhost",
            "Authorization": f"Bearer {acme.tokens['owner']}",
        },
    )
    assert response.status_code == 404
