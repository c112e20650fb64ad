"""Returns (RMA): a dealer sends delivered units back; staff decide and receive them.

- :func:`request_return`: the dealer's user (or staff on their behalf) names
  delivered lines, quantities (at most delivered − returned − already asked
  for in open returns) and, for serialised units, the serials, which must be
  units shipped to that dealer on that line and not returned yet.
- :func:`approve` / :func:`reject`: staff with ``returns:manage``.
- :func:`receive`: the units are back. Resalable ones go on hand again through
  the inventory ledger (a RETURN movement referencing the RMA); the others are
  written off. Order lines count them as returned, serials are marked
  returned, and the dealer's credit is the lines' net price per unit.

Every step emits ``return.<status>`` and writes the order's timeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Select, func, select

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.checks import load, require, text
from dinghuo.core.fulfilment import serials as serial_rules
from dinghuo.core.fulfilment.models import (
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShippedSerial,
)
from dinghuo.core.fulfilment.service import visible_order
from dinghuo.core.inventory import service as inventory
from dinghuo.core.inventory.models import Warehouse
from dinghuo.core.orders.lifecycle import log_activity
from dinghuo.core.orders.models import Order, OrderLine
from dinghuo.core.orders.numbering import next_number
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import Conflict, NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit

OPEN = (ReturnStatus.REQUESTED, ReturnStatus.APPROVED)
SORTS = {"id": ReturnRequest.id, "created_at": ReturnRequest.created_at}
MAX_LINES = 500


def _reader(actor: Principal | None) -> int | None:
    """The dealer a reader is limited to; staff (``orders:read``) and the system see all."""
    if actor is None or actor.is_staff:
        require(actor, Permission.ORDERS_READ)
        return None
    require(actor, Permission.ORDERS_PLACE)
    return actor.dealer_id


def get_return(session: TenantSession, actor: Principal | None, return_id: Any) -> ReturnRequest:
    """One RMA the actor may read; another dealer's or tenant's is a 404."""
    dealer_id = _reader(actor)
    found = load(session, ReturnRequest, return_id)
    if found is None or (dealer_id is not None and found.dealer_id != dealer_id):
        raise NotFound("No such return.")
    return found


def list_returns(
    session: TenantSession,
    actor: Principal | None,
    *,
    status: ReturnStatus | str | None = None,
    order_id: int | None = None,
    dealer_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """RMAs, newest first; a dealer's users see only their dealer's."""
    own = _reader(actor)
    query: Select[Any] = select(ReturnRequest)
    if own is not None:
        query = query.where(ReturnRequest.dealer_id == own)
    if status:
        try:
            query = query.where(ReturnRequest.status == ReturnStatus(status))
        except ValueError:
            raise ValidationFailed.field("status", "Unknown status.") from None
    if order_id is not None:
        query = query.where(ReturnRequest.order_id == order_id)
    if dealer_id is not None:
        query = query.where(ReturnRequest.dealer_id == dealer_id)
    return paginate(
        session,
        query,
        id_column=ReturnRequest.id,
        sortable=SORTS,
        default_sort="-id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def returnable(session: TenantSession, order: Order) -> dict[int, int]:
    """Per order line: units delivered, less those returned or asked for in open RMAs."""
    delivered = dict(
        session.execute(
            select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .where(Shipment.order_id == order.id, Shipment.status == ShipmentStatus.DELIVERED)
            .group_by(ShipmentLine.order_line_id)
        ).all()
    )
    pending = dict(
        session.execute(
            select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
            .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(OPEN))
            .group_by(ReturnLine.order_line_id)
        ).all()
    )
    return {
        line.id: max(
            0,
            int(delivered.get(line.id) or 0)
            - line.returned_quantity
            - int(pending.get(line.id) or 0),
        )
        for line in order.lines
    }


def _pending_serials(session: TenantSession, order: Order) -> set[str]:
    rows = session.scalars(
        select(ReturnLine.serials)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(OPEN))
    )
    return {serial for serials in rows for serial in serials}


def _check_serials(
    session: TenantSession,
    order: Order,
    line: OrderLine,
    field: str,
    values: Sequence[Any],
    quantity: int,
) -> list[str]:
    serials = serial_rules.check_serials(field, values)
    if serials and len(serials) != quantity:
        raise ValidationFailed.field(
            field, f"Give one serial per returned unit: {quantity} units, {len(serials)} serials."
        )
    if not serials:
        return []
    shipped = {
        row.serial: row
        for row in session.scalars(
            select(ShippedSerial)
            .join(ShipmentLine, ShipmentLine.id == ShippedSerial.shipment_line_id)
            .where(
                ShippedSerial.serial.in_(serials),
                ShippedSerial.order_id == order.id,
                ShippedSerial.dealer_id == order.dealer_id,
                ShipmentLine.order_line_id == line.id,
            )
        )
    }
    pending = _pending_serials(session, order)
    for position, serial in enumerate(serials):
        row = shipped.get(serial)
        if row is None:
            reason = f"{serial} was not shipped to you on this line."
        elif row.returned_at is not None:
            reason = f"{serial} has already been returned."
        elif serial in pending:
            reason = f"{serial} is already in an open return."
        else:
            continue
        raise ValidationFailed.field(f"{field}.{position}", reason)
    return serials


def request_return(
    session: TenantSession,
    actor: Principal | None,
    order_id: Any,
    *,
    reason: Any,
    lines: Sequence[Mapping[str, Any]],
) -> ReturnRequest:
    """Ask to send delivered units back: ``lines=[{line_id, quantity, reason?, serials?}]``."""
    if actor is not None and actor.is_staff:
        require(actor, Permission.RETURNS_MANAGE)
    order = visible_order(session, actor, order_id)
    why = text("reason", reason, 1000, required=True)
    if not lines:
        raise ValidationFailed.field("lines", "Name at least one line to return.")
    if len(lines) > MAX_LINES:
        raise ValidationFailed.field("lines", f"At most {MAX_LINES} lines.")
    left = returnable(session, order)
    by_id = {line.id: line for line in order.lines}
    built = []
    for index, entry in enumerate(lines):
        field = f"lines.{index}"
        line_id = entry.get("line_id")
        line = by_id.get(line_id) if isinstance(line_id, int) else None
        if line is None:
            raise ValidationFailed.field(f"{field}.line_id", "Not a line of this order.")
        if any(item.order_line_id == line.id for item in built):
            raise ValidationFailed.field(f"{field}.line_id", "This line is listed twice.")
        quantity = entry.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValidationFailed.field(
                f"{field}.quantity", "Must be a whole number of at least 1."
            )
        if quantity > left[line.id]:
            raise ValidationFailed.field(
                f"{field}.quantity",
                f"At most {left[line.id]} units of {line.sku_code} can be returned "
                "(delivered, less returned and already asked for).",
            )
        serials = _check_serials(
            session, order, line, f"{field}.serials", entry.get("serials") or [], quantity
        )
        built.append(
            ReturnLine(
                order_line_id=line.id,
                sku_id=line.sku_id,
                quantity=quantity,
                reason=text(f"{field}.reason", entry.get("reason"), 500, required=False),
                serials=serials,
            )
        )
    rma = ReturnRequest(
        number=next_number(session, "return", "RMA"),
        order_id=order.id,
        dealer_id=order.dealer_id,
        reason=why,
        created_by_id=actor.user_id if actor else None,
        lines=built,
    )
    session.add(rma)
    session.flush()
    _announce(session, actor, rma, order, "requested", why)
    return rma


def _announce(
    session: TenantSession,
    actor: Principal | None,
    rma: ReturnRequest,
    order: Order,
    what: str,
    note: str = "",
) -> None:
    units = sum(line.quantity for line in rma.lines)
    log_activity(
        session,
        actor,
        order,
        "return",
        f"Return {rma.number} {what}: {units} units" + (f" — {note}" if note else ""),
        details={"return_id": rma.id, "status": rma.status.value},
    )
    record(session, actor, f"return.{what}", "return", rma.id, {"number": rma.number})
    emit(
        session,
        f"return.{what}",
        "return",
        rma.id,
        {
            "number": rma.number,
            "order_id": order.id,
            "order_number": order.number,
            "dealer_id": rma.dealer_id,
            "status": rma.status.value,
            "units": units,
            "credit_amount": rma.credit_amount,
        },
    )


def _decide(
    session: TenantSession,
    actor: Principal | None,
    return_id: Any,
    allowed: tuple[ReturnStatus, ...],
) -> ReturnRequest:
    require(actor, Permission.RETURNS_MANAGE)
    rma = get_return(session, actor, return_id)
    if rma.status not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise Conflict(
            f"Return {rma.number} is {rma.status.value}; this needs it to be {names}.",
            fields={"status": [f"the return is {rma.status.value}"]},
        )
    return rma


def approve(
    session: TenantSession, actor: Principal | None, return_id: Any, note: Any = ""
) -> ReturnRequest:
    """Agree to take the units back; the dealer may now send them."""
    rma = _decide(session, actor, return_id, (ReturnStatus.REQUESTED,))
    rma.decision_note = text("note", note, 1000, required=False)
    rma.status = ReturnStatus.APPROVED
    rma.decided_by_id = actor.user_id if actor else None
    rma.decided_at = utcnow()
    _announce(session, actor, rma, _order(session, rma), "approved", rma.decision_note)
    return rma


def reject(
    session: TenantSession, actor: Principal | None, return_id: Any, note: Any
) -> ReturnRequest:
    """Refuse the return, saying why (the dealer reads it)."""
    rma = _decide(session, actor, return_id, OPEN)
    rma.decision_note = text("note", note, 1000, required=True)
    rma.status = ReturnStatus.REJECTED
    rma.decided_by_id = actor.user_id if actor else None
    rma.decided_at = utcnow()
    _announce(session, actor, rma, _order(session, rma), "rejected", rma.decision_note)
    return rma


def _order(session: TenantSession, rma: ReturnRequest) -> Order:
    order = load(session, Order, rma.order_id)
    assert order is not None  # RESTRICT foreign key
    return order


def _shipped_from(session: TenantSession, order_line_id: int) -> int | None:
    """The warehouse the line last shipped from: where its returns go back by default."""
    return session.scalar(
        select(Shipment.warehouse_id)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(ShipmentLine.order_line_id == order_line_id)
        .order_by(Shipment.id.desc())
        .limit(1)
    )


def receive(
    session: TenantSession,
    actor: Principal | None,
    return_id: Any,
    *,
    lines: Sequence[Mapping[str, Any]] = (),
    note: Any = "",
) -> ReturnRequest:
    """The units are back: restock the resalable ones, write off the rest.

    ``lines=[{return_line_id, resalable, warehouse_id}]`` overrides, per line,
    whether its units can be sold again (default yes) and the warehouse they
    go back to (default: the one they shipped from).
    """
    rma = _decide(session, actor, return_id, (ReturnStatus.APPROVED,))
    remark = text("note", note, 1000, required=False)
    by_id = {line.id: line for line in rma.lines}
    choices: dict[int, Mapping[str, Any]] = {}
    for index, entry in enumerate(lines):
        line_id = entry.get("return_line_id")
        if not isinstance(line_id, int) or line_id not in by_id or line_id in choices:
            raise ValidationFailed.field(
                f"lines.{index}.return_line_id", "Not a line of this return."
            )
        warehouse_id = entry.get("warehouse_id")
        if warehouse_id is not None and load(session, Warehouse, warehouse_id) is None:
            raise ValidationFailed.field(f"lines.{index}.warehouse_id", "No such warehouse.")
        choices[line_id] = entry
    order = _order(session, rma)
    order_lines = {line.id: line for line in order.lines}
    now = utcnow()
    credit = Decimal("0")
    for line in sorted(rma.lines, key=lambda item: item.sku_id):
        choice = choices.get(line.id, {})
        resalable = bool(choice.get("resalable", True))
        warehouse_id = choice.get("warehouse_id") or _shipped_from(session, line.order_line_id)
        line.resalable = resalable
        line.warehouse_id = warehouse_id if resalable else None
        if resalable and warehouse_id is not None:
            movement = inventory.record_return(
                session,
                None,
                warehouse_id=warehouse_id,
                sku_id=line.sku_id,
                quantity=line.quantity,
                reason=f"{rma.number}: {line.reason or rma.reason}"[:500],
                reference_type="return",
                reference_id=str(rma.id),
            )
            line.restock_details = {"movement_id": movement.id, "warehouse_id": warehouse_id}
        else:
            line.restock_details = {"written_off": True}
        order_line = order_lines[line.order_line_id]
        order_line.returned_quantity += line.quantity
        credit += order_line.total * line.quantity / order_line.quantity
        if line.serials:
            for row in session.scalars(
                select(ShippedSerial).where(ShippedSerial.serial.in_(line.serials))
            ):
                row.returned_at = now
    rma.credit_amount = credit.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    rma.status = ReturnStatus.RECEIVED
    rma.received_at = now
    session.flush()
    _announce(session, actor, rma, order, "received", remark)
    return rma
