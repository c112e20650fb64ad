"""``flat_rate``: a courier paid at a flat rate, plus an amount per kilogram, free over a total.

Freight = ``amount`` + ``per_kg`` × the parcels' weight in kilograms (each
started kilogram counts, as couriers charge), and nothing when the order's
value reaches ``free_over``. Booking assigns the tracking number staff typed,
or else the shipment's own number, since the courier's waybill is written by
hand at pick-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
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
from dinghuo.plugins.logistics._money import amount_setting, optional_amount

NAME = "flat_rate"
SERVICE = "standard"
DEFAULT_LABEL = "标准快递"
DEFAULT_AMOUNT = "15.00"


@hookimpl
def dinghuo_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version="1.0.0",
        api_versions=">=1.1,<2",
        description="Courier at a flat rate plus a rate per kilogram, free above an order total.",
    )


@hookimpl
def dinghuo_settings_schema() -> list[SettingsField]:
    return [
        SettingsField("label", help="What dealers see at checkout.", default=DEFAULT_LABEL),
        SettingsField("amount", help="Freight per order in yuan.", default=DEFAULT_AMOUNT),
        SettingsField("per_kg", help="Added per started kilogram, in yuan; empty adds nothing."),
        SettingsField("free_over", help="Orders worth at least this many yuan ship free."),
        SettingsField("estimated_days", "integer", default=3, help="Days to delivery."),
    ]


@hookimpl
def dinghuo_freight_quotes(
    request: FreightRequest, settings: Mapping[str, Any]
) -> list[FreightQuote]:
    amount = amount_setting(settings, "amount", DEFAULT_AMOUNT)
    per_kg = amount_setting(settings, "per_kg", "0")
    free_over = optional_amount(settings, "free_over")
    grams = sum(parcel.weight_grams for parcel in request.parcels)
    freight = amount + per_kg * math.ceil(grams / 1000)
    if free_over is not None and request.declared_value >= free_over:
        freight = Decimal("0.00")
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
    return CarrierShipment(
        tracking_number=request.tracking_number.strip() or request.shipment_number
    )
