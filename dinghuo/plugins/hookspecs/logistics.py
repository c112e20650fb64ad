"""Logistics hooks: carriers quote freight, book and cancel shipments, and report tracking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dinghuo.plugins.markers import hookspec
from dinghuo.plugins.types import (
    CarrierShipment,
    FreightQuote,
    FreightRequest,
    ShipmentRef,
    ShipmentRequest,
    TrackingUpdate,
)


@hookspec
def dinghuo_freight_quotes(
    request: FreightRequest, settings: Mapping[str, Any]
) -> list[FreightQuote]:  # type: ignore[empty-body]
    """The delivery options this carrier offers for ``request``, with their freight.

    Shown at checkout, each as ``<plugin name>:<service>``. Return an empty
    list when the carrier does not serve the destination. A quote with a
    negative or non-Decimal amount is dropped and logged.
    """


@hookspec
def dinghuo_create_shipment(
    request: ShipmentRequest, settings: Mapping[str, Any]
) -> CarrierShipment:  # type: ignore[empty-body]
    """Book ``request`` with this carrier: its tracking number and label.

    Called only on the carrier the order's delivery method names. Raise when
    the carrier refuses; the shipment is then not created and staff see why.
    """


@hookspec
def dinghuo_cancel_shipment(request: ShipmentRef, settings: Mapping[str, Any]) -> None:  # type: ignore[empty-body]
    """Void the booking of ``request`` with this carrier (its label, its pick-up).

    Called only on the carrier that booked it. Raise when the carrier refuses
    (the parcel was already collected): the shipment then stays as it was and
    staff see your message. A carrier with nothing to void need not implement it.
    """


@hookspec
def dinghuo_tracking_events(
    request: ShipmentRef, settings: Mapping[str, Any]
) -> list[TrackingUpdate]:  # type: ignore[empty-body]
    """The journey of ``request`` so far, as the carrier reports it when asked.

    Called by a periodic job for every open shipment of this carrier, with a
    time limit. Return every step you know (the platform keeps each
    ``external_id`` once); a ``delivered`` step closes the shipment.
    """


@hookspec
def dinghuo_parse_tracking_webhook(
    headers: Mapping[str, str], body: bytes, settings: Mapping[str, Any]
) -> list[TrackingUpdate]:  # type: ignore[empty-body]
    """The steps in a push the carrier POSTed to this tenant's tracking endpoint.

    Check the request's signature with the tenant's secret first and raise
    :class:`~dinghuo.plugins.WebhookRejected` for an unsigned or badly signed
    one: the platform answers 401 and stores nothing. Each update names its
    parcel by ``tracking_number``; updates for parcels of no shipment of this
    carrier are ignored.
    """
