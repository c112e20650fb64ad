"""Outbound webhooks: POST every event of a tenant to a URL the tenant chose.

Written exactly as a third-party plugin would be, against the public
``dinghuo.plugins`` API only. Each request carries the event as JSON and a
signature header a receiver checks with the shared secret::

    X-Dinghuo-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

The timestamp is inside the signed text, so a receiver rejecting signatures
older than a few minutes also rejects replays. A delivery that does not get a
2xx answer raises, and the outbox retries it with back-off.

Receivers run on the tenant's side, so URLs resolving to loopback, private,
link-local or otherwise internal addresses are refused (they would let a
tenant probe the platform's own network) unless the operator sets
``DINGHUO_WEBHOOKS_ALLOW_PRIVATE=1``. Redirects are not followed, for the same
reason.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from dinghuo.plugins import Event, PluginInfo, SettingsField, hookimpl

NAME = "webhooks"
VERSION = "1.0.0"
SIGNATURE_HEADER = "X-Dinghuo-Signature"
EVENT_HEADER = "X-Dinghuo-Event"
DELIVERY_HEADER = "X-Dinghuo-Delivery"
ALLOW_PRIVATE_ENV = "DINGHUO_WEBHOOKS_ALLOW_PRIVATE"
DEFAULT_TIMEOUT_SECONDS = 10
USER_AGENT = f"Dinghuo-Webhooks/{VERSION}"


class WebhookDeliveryFailed(Exception):
    """The receiver could not be reached or did not answer 2xx."""


@hookimpl
def dinghuo_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version=VERSION,
        api_versions=">=1.0,<2",
        description="POST each event, signed with HMAC-SHA256, to a URL of your choice.",
    )


@hookimpl
def dinghuo_settings_schema() -> list[SettingsField]:
    return [
        SettingsField(
            "url", "url", required=True, help="Where each event is POSTed as JSON (use https)."
        ),
        SettingsField(
            "secret",
            "string",
            required=True,
            secret=True,
            help=f"Shared secret; the {SIGNATURE_HEADER} header is t=<unix time>,v1=<hex "
            'HMAC-SHA256 of "<t>." followed by the body>.',
        ),
        SettingsField(
            "event_types",
            "string",
            help="Comma-separated event types to send, e.g. 'order.submitted, stock.*'; "
            "empty sends every event.",
        ),
        SettingsField(
            "timeout_seconds",
            "integer",
            default=DEFAULT_TIMEOUT_SECONDS,
            help="How long to wait for the receiver before the delivery counts as failed.",
        ),
    ]


@hookimpl
def dinghuo_event(event: Event, settings: Mapping[str, Any]) -> None:
    if not wants(settings.get("event_types"), event.type):
        return
    url = settings["url"]
    _refuse_internal_address(url)
    body = json.dumps(event.to_dict(), ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: event.type,
            DELIVERY_HEADER: str(event.id),
            SIGNATURE_HEADER: f"t={timestamp},v1={sign(settings['secret'], timestamp, body)}",
        },
    )
    timeout = settings.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the response and its socket open until collected
        raise WebhookDeliveryFailed(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookDeliveryFailed(f"{url} unreachable: {exc}") from exc
    if not 200 <= status < 300:
        raise WebhookDeliveryFailed(f"{url} answered HTTP {status}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 a receiver recomputes to trust a delivery."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """Check a signature header as a receiver would (constant-time, with replay window)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def wants(event_types: str | None, event_type: str) -> bool:
    """Whether a comma-separated filter (``order.submitted, stock.*``) selects ``event_type``."""
    patterns = [p.strip() for p in (event_types or "").split(",") if p.strip()]
    if not patterns:
        return True
    return any(
        event_type == pattern or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
        for pattern in patterns
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        raise urllib.error.HTTPError(
            req.full_url, code, f"redirect to {newurl} not followed", headers, fp
        )


_opener = urllib.request.build_opener(_NoRedirects)


def _refuse_internal_address(url: str) -> None:
    if os.environ.get(ALLOW_PRIVATE_ENV) == "1":
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise WebhookDeliveryFailed(f"{url}: cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise WebhookDeliveryFailed(
                f"{url}: {host} resolves to the internal address {address}; webhooks only "
                "go to public addresses"
            )
