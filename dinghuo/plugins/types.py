"""The data classes passed to and returned by hooks.

They are frozen and narrow on purpose: a plugin sees exactly what the hook
promises, never an ORM object or a database session, so the platform can change
its tables without breaking a plugin, and a plugin cannot write around the
tenant guard. New fields are only ever added with a default (a minor API
release), so constructing these in a plugin keeps working.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

FIELD_TYPES = ("string", "url", "integer", "boolean", "choice")
"""The kinds of setting a plugin may declare."""

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")


def _frozen(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(copy.deepcopy(dict(payload)))


@dataclass(frozen=True)
class TenantRef:
    """Which tenant (brand owner) a call is about."""

    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class HostInfo:
    """What a plugin learns about the platform when it starts."""

    api_version: str
    dinghuo_version: str
    testing: bool = False


@dataclass(frozen=True)
class Event:
    """Something that happened in one tenant, as delivered from the outbox.

    ``id`` is unique and stable across redeliveries: delivery is at least once,
    so a receiver that must not act twice remembers the ids it has handled.
    ``attempt`` counts deliveries of this event, starting at 1.
    """

    id: int
    type: str
    tenant: TenantRef
    aggregate_type: str
    aggregate_id: str
    payload: Mapping[str, Any]
    occurred_at: dt.datetime
    attempt: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", _frozen(self.payload))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, the shape webhooks send."""
        return {
            "id": self.id,
            "type": self.type,
            "tenant": {"id": self.tenant.id, "slug": self.tenant.slug, "name": self.tenant.name},
            "aggregate": {"type": self.aggregate_type, "id": self.aggregate_id},
            "payload": copy.deepcopy(dict(self.payload)),
            "occurred_at": self.occurred_at.isoformat(),
            "attempt": self.attempt,
        }


@dataclass(frozen=True)
class SettingsField:
    """One setting a tenant fills in to use a plugin.

    ``secret`` fields (passwords, API keys, signing secrets) are encrypted at
    rest and never shown again once saved. ``choices`` is required for, and
    only allowed with, ``type="choice"``.
    """

    name: str
    type: str = "string"
    required: bool = False
    secret: bool = False
    help: str = ""
    default: Any = None
    choices: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not _FIELD_NAME.match(self.name):
            raise ValueError(
                f"setting name {self.name!r}: use lowercase letters, digits and underscores"
            )
        if self.type not in FIELD_TYPES:
            raise ValueError(
                f"setting {self.name!r}: type {self.type!r} is not one of {', '.join(FIELD_TYPES)}"
            )
        object.__setattr__(self, "choices", tuple(self.choices))
        if (self.type == "choice") != bool(self.choices):
            raise ValueError(f"setting {self.name!r}: choices go with type 'choice', and only it")
        if self.secret and self.default is not None:
            raise ValueError(f"setting {self.name!r}: a secret cannot have a default")


@dataclass(frozen=True)
class PluginInfo:
    """Who a plugin is and which plugin API versions it works with.

    ``name`` is how tenants, the API and the CLI refer to the plugin;
    ``api_versions`` is a PEP 440 range such as ``">=1.0,<2"``.
    """

    name: str
    version: str
    api_versions: str
    description: str = ""

    def __post_init__(self) -> None:
        if not _PLUGIN_NAME.match(self.name):
            raise ValueError(
                f"plugin name {self.name!r}: use lowercase letters, digits, '-' and '_'"
            )


# --- pricing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealerRef:
    """The dealer an order or a quote is for, as a pricing or carrier plugin may know it."""

    id: int
    code: str
    tier: str
    groups: tuple[str, ...] = ()
    region: str = ""


@dataclass(frozen=True)
class PricingLine:
    """One line as the pricing pipeline has it before plugins adjust it.

    ``unit_price`` is the dealer's resolved price (price lists, contract);
    ``list_price`` the SKU's MSRP.
    """

    line_no: int
    sku_id: int
    sku_code: str
    product_id: int
    category_id: int | None
    brand: str
    quantity: int
    list_price: Decimal
    unit_price: Decimal
    price_source: str


@dataclass(frozen=True)
class PricingRequest:
    """A cart or an order being priced: the tenant, the dealer and the lines."""

    tenant: TenantRef
    dealer: DealerRef
    lines: tuple[PricingLine, ...]
    currency: str
    on: dt.date


@dataclass(frozen=True)
class PriceAdjustment:
    """A change to a line's or the order's amount, with the explanation the dealer sees.

    ``amount`` is for the whole line (or order), negative for a discount.
    ``line_no`` names the line; ``None`` adjusts the order as a whole.
    ``code`` identifies the rule (``tier-discount``, ``contract:C-12``).
    """

    code: str
    label: str
    amount: Decimal
    line_no: int | None = None


# --- logistics ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A postal address in China's usual shape (province, city, district, street)."""

    recipient: str
    phone: str
    province: str
    city: str
    street: str
    district: str = ""
    postal_code: str = ""
    country: str = "CN"


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0


@dataclass(frozen=True)
class FreightRequest:
    """What a carrier needs to quote: from where, to where, how heavy, how valuable."""

    tenant: TenantRef
    dealer: DealerRef
    destination: Address
    parcels: tuple[Parcel, ...]
    declared_value: Decimal
    currency: str = "CNY"
    origin: Address | None = None


@dataclass(frozen=True)
class FreightQuote:
    """One delivery option a carrier offers; ``service`` is the carrier's own code for it."""

    service: str
    label: str
    amount: Decimal
    currency: str = "CNY"
    estimated_days: int | None = None


@dataclass(frozen=True)
class ShipmentItem:
    sku_code: str
    name: str
    quantity: int


@dataclass(frozen=True)
class ShipmentRequest:
    """A shipment to book with a carrier; ``tracking_number`` is set when staff typed one."""

    tenant: TenantRef
    shipment_number: str
    order_number: str
    service: str
    destination: Address
    parcels: tuple[Parcel, ...]
    declared_value: Decimal
    items: tuple[ShipmentItem, ...]
    origin: Address | None = None
    tracking_number: str = ""


@dataclass(frozen=True)
class CarrierShipment:
    """What the carrier answered: its tracking number and, when it makes one, the label."""

    tracking_number: str
    label: bytes | None = None
    label_content_type: str | None = None
    freight_cost: Decimal | None = None


TRACKING_STATUSES = ("picked_up", "in_transit", "out_for_delivery", "delivered", "exception")
"""The steps of a journey a carrier reports; carriers map their own codes onto these."""


@dataclass(frozen=True)
class ShipmentRef:
    """A shipment already booked, as its carrier knows it: to cancel it or fetch its tracking."""

    tenant: TenantRef
    shipment_number: str
    order_number: str
    service: str
    tracking_number: str
    destination: Address | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    """One step of a parcel's journey as the carrier reports it.

    ``external_id`` is the carrier's stable id for the step (or one the plugin
    derives from its time, status and place): the platform stores a step once
    however often it is fetched or pushed. ``occurred_at`` is timezone-aware.
    ``tracking_number`` names the parcel, which is how a pushed update finds
    its shipment.
    """

    tracking_number: str
    status: str
    occurred_at: dt.datetime
    external_id: str
    location: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if self.status not in TRACKING_STATUSES:
            raise ValueError(
                f"tracking status {self.status!r} is not one of {', '.join(TRACKING_STATUSES)}"
            )
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")


class WebhookRejected(Exception):
    """Raised by ``dinghuo_parse_tracking_webhook`` for a push it does not trust.

    An unsigned or badly signed request, or one for another account: the
    platform answers 401 with the message and stores nothing.
    """
