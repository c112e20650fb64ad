"""``manual``: the brand delivers with its own fleet or a carrier it books by phone.

It quotes one fixed freight (setting ``freight``, 0 when empty) under the
label the tenant chose, and at shipment it books nothing: staff type the
tracking number (the carrier's waybill, or their own delivery note number),
and a shipment without one is refused so the dealer always has something to
track.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dinghuo.plugins import (
    CarrierShipment,
    FreightQuote,
    FreightRequest,
    PluginInfo,
    SettingsField,
    ShipmentRequest,
    hookimpl,
)
from dinghuo.plugins.logistics._money import amount_setting

NAME = "manual"
SERVICE = "standard"
DEFAULT_LABEL = "品牌配送"


@hookimpl
def dinghuo_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version="1.0.0",
        api_versions=">=1.1,<2",
        description="Delivery arranged by the brand: a fixed freight, tracking number typed by staff.",
    )


@hookimpl
def dinghuo_settings_schema() -> list[SettingsField]:
    return [
        SettingsField("label", help="What dealers see at checkout.", default=DEFAULT_LABEL),
        SettingsField("freight", help="Freight per order in yuan, e.g. 20.00; empty is free."),
        SettingsField("estimated_days", "integer", help="Days to delivery shown to dealers."),
    ]


@hookimpl
def dinghuo_freight_quotes(
    request: FreightRequest, settings: Mapping[str, Any]
) -> list[FreightQuote]:
    freight = amount_setting(settings, "freight", "0")
    return [
        FreightQuote(
            service=SERVICE,
            label=str(settings.get("label") or DEFAULT_LABEL),
            amount=freight,
            currency=request.currency,
            estimated_days=settings.get("estimated_days"),
        )
    ]


@hookimpl
def dinghuo_create_shipment(
    request: ShipmentRequest, settings: Mapping[str, Any]
) -> CarrierShipment:
    tracking = request.tracking_number.strip()
    if not tracking:
        raise ValueError("manual delivery: type the tracking number of the shipment")
    return CarrierShipment(tracking_number=tracking)
