"""``example-carrier``: a courier that prices by weight and province and books parcels.

Freight for the ``standard`` service is the first kilogram's price plus a
price per further started kilogram, plus a surcharge to remote provinces.
``express`` (next day) costs twice ``standard`` and is not offered to remote
provinces. Booking answers a tracking number derived from the tenant's account
and the shipment number, and a printable PDF label.

Everything here is written against ``dinghuo.plugins`` only, as a third
party's plugin must be.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
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

from dinghuo_carrier_example.label import pdf_label

NAME = "example-carrier"
DEFAULT_REMOTE = "新疆维吾尔自治区, 西藏自治区, 青海省"
CENT = Decimal("0.01")


@hookimpl
def dinghuo_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version="1.0.0",
        api_versions=">=1.1,<2",
        description="Example courier: freight by weight and province, PDF labels.",
    )


@hookimpl
def dinghuo_settings_schema() -> list[SettingsField]:
    return [
        SettingsField("account", required=True, help="Your customer account with the courier."),
        SettingsField("api_key", required=True, secret=True, help="Signs booking requests."),
        SettingsField("first_kg", default="12.00", help="Price of the first kilogram, in yuan."),
        SettingsField("extra_kg", default="2.00", help="Price of each further started kilogram."),
        SettingsField(
            "remote_provinces",
            default=DEFAULT_REMOTE,
            help="Provinces with a surcharge and no express service, comma-separated.",
        ),
        SettingsField("remote_surcharge", default="20.00", help="Added for remote provinces."),
        SettingsField("express", "boolean", default=True, help="Offer next-day express."),
    ]


def amount(settings: Mapping[str, Any], name: str) -> Decimal:
    """Setting ``name`` as an amount of zero or more; raises ValueError naming it otherwise.

    The host contains the error and logs it: a misconfigured carrier offers
    no quote rather than a wrong one.
    """
    raw = settings.get(name)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"setting {name!r}: {raw!r} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"setting {name!r}: {raw!r} is not an amount of zero or more")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def is_remote(province: str, settings: Mapping[str, Any]) -> bool:
    listed = str(settings.get("remote_provinces") or "").replace("，", ",")
    return province.strip() in {p.strip() for p in listed.split(",") if p.strip()}


@hookimpl
def dinghuo_freight_quotes(
    request: FreightRequest, settings: Mapping[str, Any]
) -> list[FreightQuote]:
    grams = sum(parcel.weight_grams for parcel in request.parcels)
    kilograms = max(1, math.ceil(grams / 1000))
    remote = is_remote(request.destination.province, settings)
    standard = amount(settings, "first_kg") + amount(settings, "extra_kg") * (kilograms - 1)
    if remote:
        standard += amount(settings, "remote_surcharge")
    quotes = [
        FreightQuote("standard", "示例快递 标准件", standard, request.currency, 6 if remote else 3)
    ]
    if settings.get("express") and not remote:
        quotes.append(FreightQuote("express", "示例快递 次日达", standard * 2, request.currency, 1))
    return quotes


def tracking_number(account: str, api_key: str, shipment_number: str) -> str:
    """``EX`` + 12 digits, the same for the same shipment (a retried booking is not a new one)."""
    digest = hmac.new(
        api_key.encode(), f"{account}:{shipment_number}".encode(), hashlib.sha256
    ).hexdigest()
    return "EX" + str(int(digest[:15], 16) % 10**12).zfill(12)


@hookimpl
def dinghuo_create_shipment(
    request: ShipmentRequest, settings: Mapping[str, Any]
) -> CarrierShipment:
    if not request.destination.phone.strip():
        raise ValueError("the courier needs the recipient's phone number")
    number = tracking_number(settings["account"], settings["api_key"], request.shipment_number)
    return CarrierShipment(
        tracking_number=number,
        label=pdf_label(number, request),
        label_content_type="application/pdf",
    )
