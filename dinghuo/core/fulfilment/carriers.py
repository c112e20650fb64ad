"""Carriers after the parcel left: tracking they push or are asked for, and voiding bookings.

A carrier plugin reports a parcel's journey two ways, and both end in
:func:`dinghuo.core.fulfilment.service.add_tracking_events` (idempotent by the
carrier's step id, on the order's timeline, ``delivered`` closes the
shipment):

- :func:`receive_tracking_push`: the carrier POSTs to the tenant's
  ``/api/v1/carriers/<name>/tracking``; there is no user, so the plugin's
  signature check (``dinghuo_parse_tracking_webhook``) is the authentication.
  A refused signature stores nothing.
- :func:`fetch_tracking`: the periodic job asks each enabled carrier that
  implements ``dinghuo_tracking_events`` about each open shipment. A carrier
  that raises, answers garbage or hangs costs only its own shipments: a
  timeout skips the rest of that carrier's shipments for this run.

Updates are matched to shipments by carrier and tracking number within the
bound tenant only, so one tenant's push can never touch another's parcels.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dinghuo.core.checks import load
from dinghuo.core.fulfilment import service
from dinghuo.core.fulfilment.models import Shipment, ShipmentStatus
from dinghuo.core.orders.models import Order
from dinghuo.db import TenantSession
from dinghuo.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from dinghuo.plugins.manager import PluginTimeout, TenantPlugins, host_for
from dinghuo.plugins.service import tenant_plugins
from dinghuo.plugins.types import ShipmentRef, TrackingUpdate, WebhookRejected

log = logging.getLogger(__name__)

OPEN_STATUSES = (ShipmentStatus.PENDING, ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT)
"""Shipments whose journey is not over, so worth asking the carrier about."""
FETCH_TIMEOUT = 15.0
"""Seconds a carrier may take to report one shipment's journey."""
PUSH_TIMEOUT = 5.0
"""Seconds a carrier plugin may take to read a push; the carrier is waiting on the line."""
CANCEL_TIMEOUT = 20.0
MAX_UPDATES = 1000
"""Steps accepted from one push or one answer; more is garbage, not a journey."""


@dataclass(frozen=True)
class PushResult:
    received: int
    stored: int


@dataclass
class FetchSummary:
    """What one tracking run did, kept as the job's result."""

    shipments: int = 0
    stored: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"shipments": self.shipments, "stored": self.stored, "failed": self.failed}


def _implementers(plugins: TenantPlugins, hook: str) -> frozenset[str]:
    """The tenant's enabled plugins that implement ``hook``."""
    impls = getattr(plugins.host.pm.hook, hook).get_hookimpls()
    return frozenset(impl.plugin_name for impl in impls) & plugins.enabled


def _call_one(
    plugins: TenantPlugins, carrier: str, hook: str, timeout: float, **kwargs: Any
) -> tuple[Any, Exception | None]:
    outcome = plugins.call_each(hook, skip=plugins.enabled - {carrier}, timeout=timeout, **kwargs)[
        0
    ]
    return outcome.result, outcome.error


def _checked(carrier: str, result: Any) -> list[TrackingUpdate]:
    """A carrier's answer as updates, or ``ValueError`` saying what is wrong with it."""
    if not isinstance(result, list | tuple):
        raise ValueError(f"{carrier} answered {type(result).__name__}, not a list of updates")
    if len(result) > MAX_UPDATES:
        raise ValueError(f"{carrier} answered {len(result)} updates, more than {MAX_UPDATES}")
    for update in result:
        if not isinstance(update, TrackingUpdate):
            raise ValueError(f"{carrier} answered a {type(update).__name__}, not a TrackingUpdate")
    return list(result)


def _events(updates: Iterable[TrackingUpdate]) -> list[dict[str, Any]]:
    return [
        {
            "external_id": u.external_id,
            "status": u.status,
            "occurred_at": u.occurred_at,
            "location": u.location,
            "description": u.description,
        }
        for u in updates
    ]


def store_updates(session: TenantSession, carrier: str, updates: Sequence[TrackingUpdate]) -> int:
    """Record ``updates`` on the bound tenant's shipments of ``carrier`` with their numbers.

    Returns how many steps were new. Updates for a number no shipment of
    this carrier has are ignored (a parcel of another customer of the same
    carrier account, or a waybill staff mistyped).
    """
    numbers = {u.tracking_number for u in updates if u.tracking_number}
    if not numbers:
        return 0
    shipments = session.scalars(
        select(Shipment)
        .where(Shipment.carrier == carrier, Shipment.tracking_number.in_(numbers))
        .order_by(Shipment.id)
    )
    stored = 0
    for shipment in shipments:
        mine = [u for u in updates if u.tracking_number == shipment.tracking_number]
        stored += len(service.add_tracking_events(session, shipment.id, _events(mine), carrier))
    return stored


def receive_tracking_push(
    session: TenantSession, carrier: str, headers: Mapping[str, str], body: bytes
) -> PushResult:
    """A carrier's push to the bound tenant: checked by the plugin, then stored once.

    An unknown carrier, or one the tenant has not enabled or that does not
    take pushes, is a 404. A push the plugin refuses (``WebhookRejected``:
    unsigned, badly signed) is a 401 and nothing is stored; one it cannot
    read, or an answer that is not a list of ``TrackingUpdate``, is a 422.
    """
    plugins = tenant_plugins(session, host_for(session))
    if carrier not in _implementers(plugins, "dinghuo_parse_tracking_webhook"):
        raise NotFound("No such carrier.")
    result, error = _call_one(
        plugins,
        carrier,
        "dinghuo_parse_tracking_webhook",
        PUSH_TIMEOUT,
        headers=dict(headers),
        body=body,
    )
    if isinstance(error, WebhookRejected):
        raise Unauthenticated(f"The {carrier} push was refused: {error}")
    if error is not None:
        raise ValidationFailed.field("body", f"{carrier} could not read the push: {error}"[:500])
    try:
        updates = _checked(carrier, result)
    except ValueError as exc:
        log.error("carrier %s push rejected: %s", carrier, exc)
        raise ValidationFailed.field("body", str(exc)) from exc
    return PushResult(received=len(updates), stored=store_updates(session, carrier, updates))


def shipment_ref(session: TenantSession, shipment: Shipment) -> ShipmentRef:
    """``shipment`` as its carrier knows it: numbers, service and where it goes."""
    order = load(session, Order, shipment.order_id)
    assert order is not None
    return ShipmentRef(
        tenant=service._tenant_ref(session),
        shipment_number=shipment.number,
        order_number=order.number,
        service=shipment.service,
        tracking_number=shipment.tracking_number,
        destination=service._address(order.ship_to),
    )


def fetch_tracking(session: TenantSession) -> FetchSummary:
    """Ask each enabled carrier that reports tracking about the bound tenant's open shipments.

    Each shipment's steps are stored in a savepoint, so garbage from one
    answer (a step the fulfilment rules refuse) drops only that answer. A
    carrier that times out is not asked again in this run.
    """
    plugins = tenant_plugins(session, host_for(session))
    fetchers = _implementers(plugins, "dinghuo_tracking_events")
    summary = FetchSummary()
    if not fetchers:
        return summary
    shipments = session.scalars(
        select(Shipment)
        .where(
            Shipment.carrier.in_(fetchers),
            Shipment.status.in_(OPEN_STATUSES),
            Shipment.tracking_number != "",
        )
        .order_by(Shipment.id)
    ).all()
    hanging: set[str] = set()
    for shipment in shipments:
        if shipment.carrier in hanging:
            continue
        summary.shipments += 1
        result, error = _call_one(
            plugins,
            shipment.carrier,
            "dinghuo_tracking_events",
            FETCH_TIMEOUT,
            request=shipment_ref(session, shipment),
        )
        try:
            if error is not None:
                if isinstance(error, PluginTimeout):
                    hanging.add(shipment.carrier)
                raise error
            updates = _checked(shipment.carrier, result)
            with session.begin_nested():
                summary.stored += len(
                    service.add_tracking_events(
                        session, shipment.id, _events(updates), shipment.carrier
                    )
                )
        except Exception as exc:
            summary.failed += 1
            log.warning(
                "tracking of shipment %s from %s failed: %s", shipment.number, shipment.carrier, exc
            )
    return summary


def cancel_with_carrier(session: TenantSession, shipment: Shipment) -> None:
    """Ask the carrier that booked ``shipment`` to void the booking, before it is cancelled.

    A carrier that is not enabled any more or has nothing to void (no
    ``dinghuo_cancel_shipment``) is not asked; one that refuses or fails
    stops the cancellation with a 409 carrying its reason.
    """
    plugins = tenant_plugins(session, host_for(session))
    if shipment.carrier not in _implementers(plugins, "dinghuo_cancel_shipment"):
        return
    _, error = _call_one(
        plugins,
        shipment.carrier,
        "dinghuo_cancel_shipment",
        CANCEL_TIMEOUT,
        request=shipment_ref(session, shipment),
    )
    if error is not None:
        raise Conflict(
            f"The carrier {shipment.carrier} did not cancel {shipment.number}: {error}",
            fields={"carrier": [str(error)[:500]]},
        )
