"""How an order's shipments and history read on its pages, console and portal alike.

The timeline's rows (:class:`~dinghuo.core.orders.models.OrderActivity`) keep
a message written when they happened, in no particular language, with codes
in it (``SH``, ``flat_rate``, ``in_transit``). Rows about shipments, scans,
stock moves and returns also keep ids in ``details``; from those the pages
rebuild the row in the reader's language, with the warehouse's name and the
courier's label. Rows without such ids show their message (a reviewer's or
dealer's reason, typed by a person).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.labels import enum_label
from dinghuo.core.fulfilment.models import ReturnRequest, Shipment, TrackingEvent
from dinghuo.core.inventory.models import Warehouse
from dinghuo.core.orders.checkout import PICKUP, PICKUP_LABEL
from dinghuo.core.orders.models import Order, OrderActivity, OrderLine
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound
from dinghuo.plugins.manager import host_for
from dinghuo.plugins.service import get_plugin
from dinghuo.web import db_session

SEPARATOR = " — "
"""What the fulfilment service puts between its own words and a person's note in a message."""


@dataclass(frozen=True)
class HistoryEntry:
    """One timeline row as shown: when, a title and a detail line, in the page's language."""

    activity: OrderActivity
    when: dt.datetime
    title: str
    detail: str

    @property
    def kind(self) -> str:
        return self.activity.kind


def carrier_label(session: TenantSession, order: Order, carrier: str, service: str = "") -> str:
    """The courier's name as the dealer knows it.

    The label the dealer picked at checkout when the shipment went that way;
    otherwise the label the tenant gave the carrier plugin, else its name.
    """
    if carrier == PICKUP:
        return PICKUP_LABEL
    method = f"{carrier}:{service}" if service else carrier
    if order.delivery_label and method == order.delivery_method:
        return order.delivery_label
    try:
        configured = get_plugin(session, host_for(session), carrier).settings.get("label")
    except NotFound:
        configured = None
    return str(configured or carrier)


@bp.app_template_global()
def shipment_carrier(order: Order, shipment: Shipment) -> str:
    """:func:`carrier_label` for a shipment partial, which receives only the order."""
    return carrier_label(db_session(), order, shipment.carrier, shipment.service)


def _ids(activities: Iterable[OrderActivity], key: str) -> set[int]:
    return {a.details[key] for a in activities if isinstance(a.details.get(key), int)}


def _note(message: str) -> str:
    """A person's note at the end of a fulfilment message, if there is one."""
    return message.partition(SEPARATOR)[2]


def _by_id(session: TenantSession, model: Any, ids: set[int], *where: Any) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids), *where))}


class _Lookups:
    """The shipments, scans, warehouses and returns the rows point at, read once per page.

    Each is read through the order (its shipments, their scans, its returns),
    so an id in ``details`` can only name this order's things.
    """

    def __init__(
        self, session: TenantSession, order: Order, activities: list[OrderActivity]
    ) -> None:
        self.session, self.order = session, order
        self.shipments: dict[int, Shipment] = _by_id(
            session, Shipment, _ids(activities, "shipment_id"), Shipment.order_id == order.id
        )
        self.events: dict[int, TrackingEvent] = _by_id(
            session,
            TrackingEvent,
            _ids(activities, "event_id"),
            TrackingEvent.shipment_id.in_(list(self.shipments)),
        )
        warehouses = _by_id(
            session,
            Warehouse,
            _ids(activities, "warehouse_id") | {s.warehouse_id for s in self.shipments.values()},
        )
        self.warehouses: dict[int, str] = {i: w.name or w.code for i, w in warehouses.items()}
        self.returns: dict[int, ReturnRequest] = _by_id(
            session,
            ReturnRequest,
            _ids(activities, "return_id"),
            ReturnRequest.order_id == order.id,
        )
        self.lines: dict[int, OrderLine] = {line.id: line for line in order.lines}
        self._carriers: dict[tuple[str, str], str] = {}

    def carrier(self, shipment: Shipment) -> str:
        key = (shipment.carrier, shipment.service)
        if key not in self._carriers:
            self._carriers[key] = carrier_label(self.session, self.order, *key)
        return self._carriers[key]


def _shipment_row(a: OrderActivity, look: _Lookups) -> tuple[str, str] | None:
    shipment = look.shipments.get(a.details.get("shipment_id"))  # type: ignore[arg-type]
    if shipment is None:
        return None
    sent = _(
        "%(units)s units from %(warehouse)s",
        units=a.details.get("units", ""),
        warehouse=look.warehouses.get(shipment.warehouse_id, ""),
    )
    parts = [shipment.number, sent]
    if shipment.carrier != PICKUP:
        parts.append(f"{look.carrier(shipment)} {shipment.tracking_number}".strip())
    return _("Shipment"), " · ".join(parts)


def _tracking_row(a: OrderActivity, look: _Lookups) -> tuple[str, str] | None:
    """A scan (``event_id``) or a delivery confirmation (``by``) of one of the order's boxes."""
    shipment = look.shipments.get(a.details.get("shipment_id"))  # type: ignore[arg-type]
    if shipment is None:
        return None
    event = look.events.get(a.details.get("event_id"))  # type: ignore[arg-type]
    if event is not None:
        status = enum_label(event.status, "tracking_status")
        detail = " · ".join(part for part in (event.location, event.description) if part)
    elif "by" in a.details:
        status = enum_label("delivered", "shipment_status")
        by = _("Confirmed by %(by)s", by=enum_label(a.details["by"], "confirmed_by"))
        detail = " · ".join(part for part in (by, _note(a.message)) if part)
    else:
        return None
    return _("Shipment %(number)s: %(status)s", number=shipment.number, status=status), detail


def _allocation_row(a: OrderActivity, look: _Lookups) -> tuple[str, str] | None:
    line = look.lines.get(a.details.get("line_id"))  # type: ignore[arg-type]
    warehouse = look.warehouses.get(a.details.get("warehouse_id"))  # type: ignore[arg-type]
    if line is None or warehouse is None:
        return None
    detail = _(
        "Line %(line)s (%(sku)s): %(units)s units now held in %(warehouse)s",
        line=line.line_no,
        sku=line.sku_code,
        units=a.details.get("quantity", ""),
        warehouse=warehouse,
    )
    return _("Stock moved"), detail


def _return_row(a: OrderActivity, look: _Lookups) -> tuple[str, str] | None:
    rma = look.returns.get(a.details.get("return_id"))  # type: ignore[arg-type]
    if rma is None:
        return None
    status = enum_label(a.details.get("status", rma.status), "return_status")
    units = sum(line.quantity for line in rma.lines)
    head = _(
        "%(number)s: %(status)s, %(units)s units", number=rma.number, status=status, units=units
    )
    return _("Return"), " · ".join(part for part in (head, _note(a.message)) if part)


def _changes(details: dict[str, Any]) -> str:
    """``SKU 2 → 3`` for each line whose quantity the change moved (0: dropped, added from 0)."""
    before, after = details.get("before") or {}, details.get("after") or {}
    moved = [
        f"{sku} {before.get(sku, 0)} → {after.get(sku, 0)}"
        for sku in sorted(before.keys() | after.keys())
        if before.get(sku, 0) != after.get(sku, 0)
    ]
    return " · ".join(moved)


def _review_row(a: OrderActivity) -> tuple[str, str]:
    step = a.details.get("step")
    if not step:
        return _("Auto-approved"), a.message
    outcome = a.details.get("outcome")
    title = _(
        "%(step)s: %(outcome)s",
        step=enum_label(step, "review_step"),
        outcome=enum_label(outcome, "review_outcome") if outcome else _("Auto-approved"),
    )
    # Without a reason the service writes "<step> review approved.", which the title says.
    generated = a.message == f"{step} review approved."
    return title, "" if generated else a.message


def history(
    session: TenantSession,
    order: Order,
    activities: list[OrderActivity],
    status_kind: str = "order_status",
) -> list[HistoryEntry]:
    """``activities`` (already authorised and filtered for the reader) as the page shows them.

    ``status_kind`` picks the wording of order statuses (``dealer_order_status``
    on the portal).
    """
    look = _Lookups(session, order, activities)
    entries = []
    for a in activities:
        when, row = a.created_at, None
        if a.kind == "status" and a.to_status:
            row = enum_label(a.to_status, status_kind), a.message
        elif a.kind == "review":
            row = _review_row(a)
        elif a.kind == "change":
            row = _("Order changed"), _changes(a.details)
        elif a.kind == "shipment":
            row = _shipment_row(a, look)
        elif a.kind == "tracking":
            row = _tracking_row(a, look)
            event = look.events.get(a.details.get("event_id"))  # type: ignore[arg-type]
            if row is not None and event is not None:
                when = event.occurred_at  # when the carrier scanned, not when it was told
        elif a.kind == "allocation":
            row = _allocation_row(a, look)
        elif a.kind == "return":
            row = _return_row(a, look)
        title, detail = row if row is not None else (_kind_label(a.kind), a.message)
        entries.append(HistoryEntry(a, when, title, detail))
    return entries


def _kind_label(kind: str) -> str:
    labels: dict[str, Any] = {
        "review": _("Review"),
        "change": _("Order changed"),
        "shipment": _("Shipment"),
        "tracking": _("Tracking"),
        "allocation": _("Stock moved"),
        "return": _("Return"),
        "note": _("Note"),
    }
    return str(labels.get(kind, kind))
