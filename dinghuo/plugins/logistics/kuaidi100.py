"""``kuaidi100``: tracking through a Kuaidi100-style aggregator (快递100), at a flat freight.

Kuaidi100 tracks parcels of most Chinese couriers; it does not book them. So
this carrier quotes the flat freight the tenant set, takes the waybill number
staff type when they ship (the courier's, e.g. SF1234567890 with company code
``shunfeng``), and then follows the parcel two ways:

* **query** (``dinghuo_tracking_events``, called by the periodic tracking job):
  ``POST <endpoint>`` as a form with ``customer``, ``param`` (JSON
  ``{"com", "num", "phone", "resultv2"}``) and ``sign`` = upper-case hex
  MD5 of ``param + key + customer``; the answer is JSON with ``data``, the
  steps newest first (``time``, ``context``, ``status``, ``areaName``).
* **push** (``dinghuo_parse_tracking_webhook``, the tenant's
  ``/api/v1/carriers/kuaidi100/tracking``): Kuaidi100 POSTs a form with
  ``param`` (JSON with ``lastResult``, the same shape as a query answer) and
  ``sign`` = upper-case hex MD5 of ``param + salt``. Without a ``salt`` set,
  or with a wrong sign, the push is refused.

Times are Beijing time. Kuaidi100 gives steps no id, so each step's id is a
digest of its time and text: the same step fetched or pushed twice is one.
The endpoint is the tenant's setting, so addresses inside the platform's
network are refused (as for webhooks) unless the operator sets
``DINGHUO_KUAIDI100_ALLOW_PRIVATE=1``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from dinghuo.plugins import (
    CarrierShipment,
    FreightQuote,
    FreightRequest,
    PluginInfo,
    SettingsField,
    ShipmentRef,
    ShipmentRequest,
    TrackingUpdate,
    WebhookRejected,
    hookimpl,
)
from dinghuo.plugins.logistics._money import amount_setting

NAME = "kuaidi100"
VERSION = "1.0.0"
SERVICE = "express"
DEFAULT_ENDPOINT = "https://poll.kuaidi100.com/poll/query.do"
DEFAULT_LABEL = "快递"
DEFAULT_FREIGHT = "12.00"
DEFAULT_TIMEOUT_SECONDS = 10
ALLOW_PRIVATE_ENV = "DINGHUO_KUAIDI100_ALLOW_PRIVATE"
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

STATUSES = {
    "揽收": "picked_up",
    "在途": "in_transit",
    "转投": "in_transit",
    "清关": "in_transit",
    "派件": "out_for_delivery",
    "签收": "delivered",
    "疑难": "exception",
    "退签": "exception",
    "退回": "exception",
    "拒签": "exception",
}
"""Kuaidi100's main states (the ``status`` of a step) → the platform's tracking statuses."""
STATES = {
    "1": "揽收",
    "0": "在途",
    "7": "转投",
    "8": "清关",
    "5": "派件",
    "3": "签收",
    "2": "疑难",
    "4": "退签",
    "6": "退回",
    "14": "拒签",
}
"""The numeric ``state`` of a whole answer, for steps that carry no ``status`` of their own."""


class Kuaidi100Error(Exception):
    """Kuaidi100 could not be reached, refused the query, or answered something unreadable."""


@hookimpl
def dinghuo_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version=VERSION,
        api_versions=">=1.1,<2",
        description="Couriers tracked through Kuaidi100 (query and signed push), flat freight.",
    )


@hookimpl
def dinghuo_settings_schema() -> list[SettingsField]:
    return [
        SettingsField("customer", required=True, help="Your Kuaidi100 customer id."),
        SettingsField("key", required=True, secret=True, help="Your Kuaidi100 authorisation key."),
        SettingsField(
            "salt",
            secret=True,
            help="The salt of your push subscription; pushes are refused while it is empty.",
        ),
        SettingsField(
            "company",
            required=True,
            help="Kuaidi100's code of the courier you hand parcels to, e.g. shunfeng, yuantong.",
        ),
        SettingsField("endpoint", "url", default=DEFAULT_ENDPOINT, help="The query API's URL."),
        SettingsField("label", default=DEFAULT_LABEL, help="What dealers see at checkout."),
        SettingsField("freight", default=DEFAULT_FREIGHT, help="Freight per order in yuan."),
        SettingsField("estimated_days", "integer", default=3, help="Days to delivery."),
        SettingsField(
            "timeout_seconds",
            "integer",
            default=DEFAULT_TIMEOUT_SECONDS,
            help="How long to wait for Kuaidi100's answer.",
        ),
    ]


@hookimpl
def dinghuo_freight_quotes(
    request: FreightRequest, settings: Mapping[str, Any]
) -> list[FreightQuote]:
    return [
        FreightQuote(
            service=SERVICE,
            label=str(settings.get("label") or DEFAULT_LABEL),
            amount=amount_setting(settings, "freight", DEFAULT_FREIGHT),
            currency=request.currency,
            estimated_days=settings.get("estimated_days"),
        )
    ]


@hookimpl
def dinghuo_create_shipment(request: ShipmentRequest) -> CarrierShipment:
    tracking = request.tracking_number.strip()
    if not tracking:
        raise ValueError("kuaidi100 tracks the courier's waybill: type its tracking number")
    return CarrierShipment(tracking_number=tracking)


@hookimpl
def dinghuo_tracking_events(
    request: ShipmentRef, settings: Mapping[str, Any]
) -> list[TrackingUpdate]:
    phone = request.destination.phone if request.destination else ""
    param = _json(
        {
            "com": settings["company"],
            "num": request.tracking_number,
            "phone": phone,
            "resultv2": "1",
        }
    )
    form = {
        "customer": settings["customer"],
        "param": param,
        "sign": query_sign(param, settings["key"], settings["customer"]),
    }
    answer = _post(str(settings.get("endpoint") or DEFAULT_ENDPOINT), form, settings)
    if answer.get("result") is False or str(answer.get("status", "200")) != "200":
        raise Kuaidi100Error(
            f"kuaidi100 refused the query for {request.tracking_number}: "
            f"{answer.get('returnCode', answer.get('status'))} {answer.get('message', '')}".strip()
        )
    return updates_of(answer, request.tracking_number)


@hookimpl
def dinghuo_parse_tracking_webhook(
    body: bytes, settings: Mapping[str, Any]
) -> list[TrackingUpdate]:
    salt = settings.get("salt")
    if not salt:
        raise WebhookRejected("kuaidi100 pushes are not accepted: no salt is set")
    try:
        form = urllib.parse.parse_qs(body.decode(), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("not a form with param and sign") from None
    param, sign = form.get("param", [""])[0], form.get("sign", [""])[0]
    if not param or not sign:
        raise WebhookRejected("the push has no param or no sign")
    if not hmac.compare_digest(push_sign(param, salt), sign.upper()):
        raise WebhookRejected("the push's sign does not match")
    try:
        result = json.loads(param)["lastResult"]
    except (ValueError, KeyError, TypeError):
        raise WebhookRejected("the push's param has no lastResult") from None
    return updates_of(result, str(result.get("nu", "")))


def query_sign(param: str, key: str, customer: str) -> str:
    """The ``sign`` of a query: upper-case hex MD5 of ``param + key + customer``."""
    return _md5(param + key + customer)


def push_sign(param: str, salt: str) -> str:
    """The ``sign`` of a push: upper-case hex MD5 of ``param + salt``."""
    return _md5(param + salt)


def updates_of(result: Mapping[str, Any], tracking_number: str) -> list[TrackingUpdate]:
    """The steps of a query answer (or a push's ``lastResult``), oldest first.

    A step without a readable time or text makes the whole answer unusable,
    rather than a journey with a hole in it.
    """
    steps = result.get("data")
    if not isinstance(steps, list) or not tracking_number:
        raise Kuaidi100Error("kuaidi100 answered without data or parcel number")
    overall = STATES.get(str(result.get("state", "")), "在途")
    updates = []
    for index, step in enumerate(steps):
        try:
            when = dt.datetime.strptime(step.get("ftime") or step["time"], "%Y-%m-%d %H:%M:%S")
            context = str(step["context"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise Kuaidi100Error(f"kuaidi100 step {index} is unreadable: {exc!r}") from None
        # The newest step (first) carries the parcel's current state when it has none.
        main = str(step.get("status") or (overall if index == 0 else "在途"))
        stamp = when.strftime("%Y-%m-%d %H:%M:%S")
        updates.append(
            TrackingUpdate(
                tracking_number=tracking_number,
                status=STATUSES.get(main, "in_transit"),
                occurred_at=when.replace(tzinfo=BEIJING),
                external_id=hashlib.sha256(f"{stamp}|{context}".encode()).hexdigest()[:40],
                location=str(step.get("areaName") or step.get("location") or "")[:200],
                description=context[:500],
            )
        )
    return sorted(updates, key=lambda u: u.occurred_at)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _post(url: str, form: Mapping[str, str], settings: Mapping[str, Any]) -> dict[str, Any]:
    _refuse_internal_address(url)
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    timeout = settings.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS
    try:
        with _opener.open(request, timeout=timeout) as response:
            raw = response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise Kuaidi100Error(f"kuaidi100 answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise Kuaidi100Error(f"kuaidi100 unreachable: {exc}") from exc
    try:
        answer = json.loads(raw)
    except ValueError:
        raise Kuaidi100Error("kuaidi100 answered something that is not JSON") from None
    if not isinstance(answer, dict):
        raise Kuaidi100Error("kuaidi100 answered JSON that is not an object")
    return answer


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        raise urllib.error.HTTPError(
            req.full_url, code, f"redirect to {newurl} not followed", headers, fp
        )


_opener = urllib.request.build_opener(_NoRedirects)


def _refuse_internal_address(url: str) -> None:
    if os.environ.get(ALLOW_PRIVATE_ENV) == "1":
        return
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise Kuaidi100Error(f"{url}: cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise Kuaidi100Error(f"{url}: {host} resolves to the internal address {address}")
