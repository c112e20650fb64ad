"""The public plugin API of Dinghuo; everything a plugin imports comes from here.

A plugin is a module (or object) with functions marked ``@hookimpl`` named
after the hooks in :mod:`dinghuo.plugins.hookspecs`, declared in a package's
``dinghuo`` entry-point group. See docs/plugins.md.
"""

from __future__ import annotations

from dinghuo.plugins.compat import PLUGIN_API_VERSION
from dinghuo.plugins.markers import hookimpl
from dinghuo.plugins.types import (
    FIELD_TYPES,
    TRACKING_STATUSES,
    Address,
    CarrierShipment,
    DealerRef,
    Event,
    FreightQuote,
    FreightRequest,
    HostInfo,
    Parcel,
    PluginInfo,
    PriceAdjustment,
    PricingLine,
    PricingRequest,
    SettingsField,
    ShipmentItem,
    ShipmentRef,
    ShipmentRequest,
    TenantRef,
    TrackingUpdate,
    WebhookRejected,
)

__all__ = [
    "FIELD_TYPES",
    "PLUGIN_API_VERSION",
    "TRACKING_STATUSES",
    "Address",
    "CarrierShipment",
    "DealerRef",
    "Event",
    "FreightQuote",
    "FreightRequest",
    "HostInfo",
    "Parcel",
    "PluginInfo",
    "PriceAdjustment",
    "PricingLine",
    "PricingRequest",
    "SettingsField",
    "ShipmentItem",
    "ShipmentRef",
    "ShipmentRequest",
    "TenantRef",
    "TrackingUpdate",
    "WebhookRejected",
    "hookimpl",
]
