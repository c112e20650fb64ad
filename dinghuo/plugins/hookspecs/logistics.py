"""Logistics hooks: carriers quote freight and book shipments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dinghuo.plugins.markers import hookspec
from dinghuo.plugins.types import CarrierShipment, FreightQuote, FreightRequest, ShipmentRequest


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
