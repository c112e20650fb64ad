"""The built-in webhooks plugin against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dinghuo.platform.events.service import dispatch_pending, emit, pending_events
from dinghuo.plugins import webhooks


@dataclass
class Receiver:
    """What the tenant's endpoint saw, and what it answers next."""

    url: str
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    location: str | None = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/dinghuo"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def inline_jobs(app, monkeypatch):
    """Deliveries run inline after commit (the Redis path is tested in test_events)."""
    monkeypatch.setattr(app.config["SETTINGS"], "redis_url", None)


@pytest.fixture
def allow_loopback(monkeypatch):
    monkeypatch.setenv(webhooks.ALLOW_PRIVATE_ENV, "1")


def enable_webhooks(api, world, url: str, **extra: Any):
    response = api(world, "owner").put(
        "/api/v1/plugins/webhooks",
        json={"enabled": True, "settings": {"url": url, "secret": "whsec-test", **extra}},
    )
    assert response.status_code == 200, response.json
    return response


def test_each_event_is_posted_as_signed_json(db, acme, api, receiver, allow_loopback):
    enable_webhooks(api, acme, receiver.url)
    with db.transaction(acme.id) as session:
        event = emit(
            session, "order.submitted", "order", 42, {"total": "1299.00", "sku": "华为 P60"}
        )
    [request] = receiver.requests
    assert request["path"] == "/hooks/dinghuo"
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers[webhooks.EVENT_HEADER] == "order.submitted"
    assert headers[webhooks.DELIVERY_HEADER] == str(event.id)
    assert webhooks.verify("whsec-test", headers[webhooks.SIGNATURE_HEADER], request["body"])
    assert not webhooks.verify("other-secret", headers[webhooks.SIGNATURE_HEADER], request["body"])
    assert not webhooks.verify(
        "whsec-test", headers[webhooks.SIGNATURE_HEADER], request["body"] + b" "
    )
    body = json.loads(request["body"])
    assert body["id"] == event.id
    assert body["type"] == "order.submitted"
    assert body["tenant"] == {"id": acme.id, "slug": "acme", "name": "Acme 数码"}
    assert body["aggregate"] == {"type": "order", "id": "42"}
    assert body["payload"] == {"total": "1299.00", "sku": "华为 P60"}
    assert body["attempt"] == 1


def test_the_signature_is_hmac_sha256_over_timestamp_and_body():
    import hashlib
    import hmac
    import time

    body = b'{"id":1}'
    stamp = str(int(time.time()))
    expected = hmac.new(b"s3cret", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert webhooks.sign("s3cret", stamp, body) == expected
    assert webhooks.verify("s3cret", f"t={stamp},v1={expected}", body)
    stale = str(int(time.time()) - 3600)
    assert not webhooks.verify(
        "s3cret", f"t={stale},v1={webhooks.sign('s3cret', stale, body)}", body
    )


def test_a_failing_receiver_makes_the_outbox_retry_until_it_answers(
    db, acme, api, receiver, allow_loopback, plugin_host
):
    enable_webhooks(api, acme, receiver.url)
    receiver.status = 503
    with db.transaction(acme.id) as session:
        emit(session, "stock.low", "sku", "P60-256", {"on_hand": 2})
    with db.transaction(acme.id) as session:
        [waiting] = pending_events(session)
    assert "answered HTTP 503" in waiting.last_error
    receiver.status = 204
    import datetime as dt

    from dinghuo.db import utcnow

    moment = utcnow() + dt.timedelta(minutes=1)
    with db.transaction(acme.id) as session:
        report = dispatch_pending(session, plugin_host, now=lambda: moment)
    assert report.delivered == 1
    assert [json.loads(r["body"])["attempt"] for r in receiver.requests] == [1, 2]


def test_only_the_selected_event_types_are_sent(db, acme, api, receiver, allow_loopback):
    enable_webhooks(api, acme, receiver.url, event_types="order.submitted, stock.*")
    with db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 1, {})
        emit(session, "order.approved", "order", 1, {})
        emit(session, "stock.low", "sku", "X", {})
    sent = [r["headers"][webhooks.EVENT_HEADER] for r in receiver.requests]
    assert sent == ["order.submitted", "stock.low"]
    with db.transaction(acme.id) as session:
        assert pending_events(session) == []


def test_internal_addresses_are_refused_unless_the_operator_allows_them(
    db, acme, api, receiver, monkeypatch
):
    monkeypatch.delenv(webhooks.ALLOW_PRIVATE_ENV, raising=False)
    enable_webhooks(api, acme, receiver.url)
    with db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 1, {})
    assert receiver.requests == []
    with db.transaction(acme.id) as session:
        [waiting] = pending_events(session)
    assert "internal address 127.0.0.1" in waiting.last_error


def test_redirects_are_not_followed(db, acme, api, receiver, allow_loopback):
    enable_webhooks(api, acme, receiver.url)
    receiver.status = 302
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    with db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 1, {})
    assert len(receiver.requests) == 1
    with db.transaction(acme.id) as session:
        [waiting] = pending_events(session)
    assert "HTTP 302" in waiting.last_error


def test_an_unreachable_receiver_fails_the_delivery(db, acme, api, allow_loopback):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    enable_webhooks(api, acme, f"http://127.0.0.1:{closed_port}/h", timeout_seconds=2)
    with db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 1, {})
    with db.transaction(acme.id) as session:
        [waiting] = pending_events(session)
    assert "unreachable" in waiting.last_error


def test_event_type_filter_matches_exact_names_and_prefixes():
    assert webhooks.wants(None, "order.submitted")
    assert webhooks.wants(" ", "order.submitted")
    assert webhooks.wants("order.*", "order.submitted")
    assert not webhooks.wants("order.*", "orders.x")
    assert not webhooks.wants("order.approved", "order.submitted")


def test_the_webhooks_plugin_uses_only_the_public_plugin_api():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(webhooks.__file__).read_text())
    dinghuo_imports = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dinghuo")
    }
    assert dinghuo_imports == {"dinghuo.plugins"}
