"""Serial numbers and IMEIs: what a valid one looks like, and who got a given unit.

A serial is captured when its unit ships (:func:`dinghuo.core.fulfilment.service.create_shipment`)
and is unique per tenant, so "which dealer got this IMEI, on which order,
when" is one indexed lookup. A 15-digit serial is taken to be an IMEI and must
pass its Luhn check: a mistyped digit is caught at the packing table, not by a
dealer's warranty claim months later.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.checks import require
from dinghuo.core.crm.models import Dealer
from dinghuo.core.fulfilment.models import Shipment, ShipmentLine, ShippedSerial
from dinghuo.core.orders.models import Order
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

SERIAL_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9/_-]{0,63}$")
SEARCH_LIMIT = 50


def luhn_ok(digits: str) -> bool:
    """The Luhn check every IMEI's 15th digit satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise(value: Any) -> str:
    """A serial as stored: trimmed, upper-case, without inner spaces (scanners add them)."""
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s+", "", value).upper()


def problem(serial: str) -> str | None:
    """Why ``serial`` (normalised) cannot be a serial number, or ``None`` when it can."""
    if not SERIAL_PATTERN.match(serial):
        return "Use 1 to 64 letters, digits, '-', '_' or '/'."
    if len(serial) == 15 and serial.isdigit() and not luhn_ok(serial):
        return "This 15-digit IMEI fails its check digit: a digit is mistyped."
    return None


def parse_pasted(text: str) -> list[str]:
    """Serials pasted or scanned into a box: one per line, or separated by commas/spaces."""
    return [normalise(part) for part in re.split(r"[\s,;，；]+", text or "") if part.strip()]


def check_serials(field: str, values: Sequence[Any]) -> list[str]:
    """Normalise ``values`` and refuse the first bad or repeated one, naming its position."""
    seen: set[str] = set()
    result = []
    for index, value in enumerate(values):
        serial = normalise(value)
        reason = problem(serial) if serial else "Must not be empty."
        if reason is None and serial in seen:
            reason = f"{serial} is listed twice."
        if reason:
            raise ValidationFailed.field(f"{field}.{index}", reason)
        seen.add(serial)
        result.append(serial)
    return result


@dataclass(frozen=True)
class SerialTrace:
    """Where one unit went: the dealer, the order, the shipment, and when."""

    serial: str
    sku_id: int
    sku_code: str
    dealer_id: int
    dealer_code: str
    dealer_name: str
    order_id: int
    order_number: str
    shipment_id: int
    shipment_number: str
    tracking_number: str
    carrier: str
    shipped_at: Any
    delivered_at: Any
    returned_at: Any


def _traces(session: TenantSession, query: Any) -> list[SerialTrace]:
    rows = session.execute(
        query.join(ShipmentLine, ShipmentLine.id == ShippedSerial.shipment_line_id)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(Order, Order.id == ShippedSerial.order_id)
        .join(Dealer, Dealer.id == ShippedSerial.dealer_id)
    ).all()
    return [
        SerialTrace(
            serial=row.ShippedSerial.serial,
            sku_id=row.ShippedSerial.sku_id,
            sku_code=row.sku_code,
            dealer_id=row.Dealer.id,
            dealer_code=row.Dealer.code,
            dealer_name=row.Dealer.name_zh,
            order_id=row.Order.id,
            order_number=row.Order.number,
            shipment_id=row.Shipment.id,
            shipment_number=row.Shipment.number,
            tracking_number=row.Shipment.tracking_number,
            carrier=row.Shipment.carrier,
            shipped_at=row.ShippedSerial.shipped_at,
            delivered_at=row.Shipment.delivered_at,
            returned_at=row.ShippedSerial.returned_at,
        )
        for row in rows
    ]


def _select() -> Any:
    return (
        select(ShippedSerial, Shipment, Order, Dealer, Sku.code.label("sku_code"))
        .select_from(ShippedSerial)
        .join(Sku, Sku.id == ShippedSerial.sku_id)
    )


def _readable(actor: Principal | None) -> int | None:
    """The dealer a reader is limited to (``None``: staff or system, who see all)."""
    if actor is None or actor.is_staff:
        require(actor, Permission.ORDERS_READ)
        return None
    require(actor, Permission.ORDERS_PLACE)
    return actor.dealer_id


def trace(session: TenantSession, actor: Principal | None, serial: str) -> SerialTrace:
    """Who got the unit ``serial``; a dealer finds only units shipped to them (else 404)."""
    dealer_id = _readable(actor)
    query = _select().where(ShippedSerial.serial == normalise(serial))
    if dealer_id is not None:
        query = query.where(ShippedSerial.dealer_id == dealer_id)
    found = _traces(session, query)
    if not found:
        raise NotFound("No unit with this serial number was shipped.")
    return found[0]


def search(
    session: TenantSession, actor: Principal | None, q: str, *, limit: int = SEARCH_LIMIT
) -> list[SerialTrace]:
    """Serials starting with ``q`` (at least 4 characters), newest shipped first."""
    dealer_id = _readable(actor)
    prefix = normalise(q)
    if len(prefix) < 4:
        raise ValidationFailed.field("q", "Type at least 4 characters of the serial.")
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (
        _select()
        .where(ShippedSerial.serial.like(f"{escaped}%", escape="\\"))
        .order_by(ShippedSerial.shipped_at.desc(), ShippedSerial.id.desc())
        .limit(limit)
    )
    if dealer_id is not None:
        query = query.where(ShippedSerial.dealer_id == dealer_id)
    return _traces(session, query)
