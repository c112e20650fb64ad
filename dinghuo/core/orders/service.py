"""Orders after submission: finding them, and the moves staff and dealers make on them.

Who sees what: staff with ``orders:read`` see every order of the tenant; a
dealer user (``orders:place``) sees only their own dealer's orders, and any
other order is "not found", exactly like another tenant's. Status changes go
through :func:`dinghuo.core.orders.lifecycle.transition`; the review steps live
in :mod:`dinghuo.core.orders.review`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, or_, select

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.checks import load, require, text
from dinghuo.core.crm.models import Dealer
from dinghuo.core.orders import allocation, lifecycle, line_rules, review, states
from dinghuo.core.orders.models import (
    AllocationStatus,
    Order,
    OrderActivity,
    OrderLine,
    ReviewStep,
)
from dinghuo.core.orders.pricing import PricedLines, price_lines
from dinghuo.core.orders.states import OrderStatus
from dinghuo.db import TenantSession
from dinghuo.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.tenants.models import Tenant

REASON_MAX = 1000

ORDER_SORTS = {"id": Order.id, "created_at": Order.created_at, "total": Order.total}


def _dealer_scope(actor: Principal | None) -> int | None:
    """The dealer an actor is confined to (``None`` = all of the tenant's orders).

    Refuses actors who may neither read orders as staff nor place them as a dealer.
    """
    if actor is None:
        return None
    if actor.dealer_id is not None:
        if not actor.can(Permission.ORDERS_PLACE):
            raise PermissionDenied(f"This needs the permission: {Permission.ORDERS_PLACE.value}.")
        return actor.dealer_id
    if not actor.can(Permission.ORDERS_READ):
        raise PermissionDenied(f"This needs the permission: {Permission.ORDERS_READ.value}.")
    return None


def visible_orders(actor: Principal | None) -> Select[Any]:
    """A query of the orders ``actor`` may see."""
    query = select(Order)
    dealer_id = _dealer_scope(actor)
    if dealer_id is not None:
        query = query.where(Order.dealer_id == dealer_id)
    return query


def get_order(session: TenantSession, actor: Principal | None, order_id: int) -> Order:
    """One order the actor may see; another dealer's or tenant's is "not found"."""
    dealer_id = _dealer_scope(actor)
    order = load(session, Order, order_id)
    if order is None or (dealer_id is not None and order.dealer_id != dealer_id):
        raise NotFound("Order not found.")
    return order


def _local_midnight(session: TenantSession, day: dt.date) -> dt.datetime:
    tenant = session.get(Tenant, session.tenant_id)
    zone = ZoneInfo(tenant.timezone if tenant is not None else "UTC")
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def list_orders(
    session: TenantSession,
    actor: Principal | None,
    *,
    status: OrderStatus | str | list[OrderStatus | str] | None = None,
    dealer_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    min_total: Decimal | None = None,
    max_total: Decimal | None = None,
    q: str | None = None,
    review_step: ReviewStep | str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """Orders matching the filters, newest first by default.

    ``date_from``/``date_to`` are days in the tenant's time zone, both
    included, on the order's creation; ``q`` matches the order number, the PO
    number and (for staff) the dealer's code or name; ``review_step`` lists
    submitted orders waiting at that step.
    """
    query = visible_orders(actor)
    conditions: list[ColumnElement[bool]] = []
    if status:
        wanted = status if isinstance(status, list) else [status]
        conditions.append(Order.status.in_([_status(value) for value in wanted]))
    if dealer_id is not None:
        conditions.append(Order.dealer_id == dealer_id)
    if date_from is not None:
        conditions.append(Order.created_at >= _local_midnight(session, date_from))
    if date_to is not None:
        next_day = date_to + dt.timedelta(days=1)
        conditions.append(Order.created_at < _local_midnight(session, next_day))
    if min_total is not None:
        conditions.append(Order.total >= _amount("min_total", min_total))
    if max_total is not None:
        conditions.append(Order.total <= _amount("max_total", max_total))
    if review_step:
        conditions.append(Order.status == OrderStatus.SUBMITTED)
        conditions.append(Order.review_step == _review_step(review_step))
    if q and q.strip():
        conditions.append(_matches(actor, q.strip()))
    return paginate(
        session,
        query.where(*conditions),
        id_column=Order.id,
        sortable=ORDER_SORTS,
        default_sort="-id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def _amount(field: str, value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValidationFailed.field(field, "Use an amount of zero or more.")
    return value


def _status(value: OrderStatus | str) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        names = ", ".join(s.value for s in OrderStatus)
        raise ValidationFailed.field("status", f"Use one of: {names}.") from None


def _review_step(value: ReviewStep | str) -> ReviewStep:
    try:
        return ReviewStep(value)
    except ValueError:
        names = ", ".join(s.value for s in ReviewStep)
        raise ValidationFailed.field("review_step", f"Use one of: {names}.") from None


def _matches(actor: Principal | None, text: str) -> ColumnElement[bool]:
    pattern = f"%{text[:100]}%"
    options: list[ColumnElement[bool]] = [
        Order.number.ilike(pattern),
        Order.po_number.ilike(pattern),
    ]
    if actor is None or actor.dealer_id is None:
        dealers = select(Dealer.id).where(
            or_(
                Dealer.code.ilike(pattern),
                Dealer.name_zh.ilike(pattern),
                Dealer.name_en.ilike(pattern),
            )
        )
        options.append(Order.dealer_id.in_(dealers))
    return or_(*options)


def timeline(session: TenantSession, actor: Principal | None, order_id: int) -> list[OrderActivity]:
    """The order's history, oldest first; dealers see only the entries meant for them."""
    order = get_order(session, actor, order_id)
    query = select(OrderActivity).where(OrderActivity.order_id == order.id)
    if actor is not None and actor.dealer_id is not None:
        query = query.where(OrderActivity.visible_to_dealer.is_(True))
    return list(session.scalars(query.order_by(OrderActivity.id)))


# --- moves ---------------------------------------------------------------------------------


def _staff(actor: Principal | None) -> bool:
    return actor is None or actor.dealer_id is None


def _managed(session: TenantSession, actor: Principal | None, order_id: int) -> Order:
    """An order staff may move by hand: needs ``orders:manage``."""
    order = get_order(session, actor, order_id)
    require(actor, Permission.ORDERS_MANAGE)
    return order


def cancel_order(
    session: TenantSession, actor: Principal | None, order_id: int, reason: str = ""
) -> Order:
    """Cancel an order and give back its stock.

    A dealer user may cancel until the brand approves (:data:`states.DEALER_EDITABLE`);
    staff with ``orders:manage`` until the first unit ships, and must say why.
    """
    order = get_order(session, actor, order_id)
    staff = _staff(actor)
    if staff:
        require(actor, Permission.ORDERS_MANAGE)
    elif order.status not in states.DEALER_EDITABLE:
        raise Conflict(
            f"Order {order.number} is {order.status.value}: once approved only the brand "
            "can cancel it.",
            fields={"status": [order.status.value]},
        )
    reason = text("reason", reason, REASON_MAX, required=staff and actor is not None)
    states.check(order.status, OrderStatus.CANCELLED)
    allocation.release_order(session, order, reason or "cancelled")
    lifecycle.transition(session, actor, order, OrderStatus.CANCELLED, reason)
    record(session, actor, "order.cancel", "order", order.id, {"reason": reason})
    return order


def mark_in_production(
    session: TenantSession, actor: Principal | None, order_id: int, reason: str = ""
) -> Order:
    """Note that an approved order's goods are being made (or assembled) before shipping."""
    return _move(session, actor, order_id, OrderStatus.IN_PRODUCTION, reason)


def mark_backordered(
    session: TenantSession, actor: Principal | None, order_id: int, reason: str = ""
) -> Order:
    """Note that an approved order waits for stock the brand does not have yet."""
    return _move(session, actor, order_id, OrderStatus.BACKORDERED, reason)


def complete_order(
    session: TenantSession, actor: Principal | None, order_id: int, reason: str = ""
) -> Order:
    """Close a delivered order (nothing more to ship, invoice or chase)."""
    return _move(session, actor, order_id, OrderStatus.COMPLETED, reason)


STATUS_MOVES = {
    OrderStatus.IN_PRODUCTION: mark_in_production,
    OrderStatus.BACKORDERED: mark_backordered,
    OrderStatus.COMPLETED: complete_order,
}
"""The moves staff make by hand (the others follow reviews, shipments and deliveries)."""


def _move(
    session: TenantSession,
    actor: Principal | None,
    order_id: int,
    target: OrderStatus,
    reason: str,
) -> Order:
    order = _managed(session, actor, order_id)
    reason = text("reason", reason, REASON_MAX, required=False)
    lifecycle.transition(session, actor, order, target, reason)
    record(session, actor, f"order.{target.value}", "order", order.id, {"reason": reason})
    return order


def change_order(
    session: TenantSession,
    actor: Principal | None,
    order_id: int,
    lines: Sequence[Mapping[str, Any] | tuple[Any, Any]],
    expected_version: int | None,
) -> Order:
    """Replace an order's lines before approval: re-priced, re-reserved, reviewed afresh.

    The dealer (or staff with ``orders:manage``) sends the whole new list of
    lines and the version they edited; a stale version is a 409 so nobody
    overwrites a change they never saw. Prices are today's (the same pipeline
    as the cart); held stock is released and reserved again for the new
    quantities; review decisions already taken are reopened.
    """
    order = get_order(session, actor, order_id)
    if _staff(actor):
        require(actor, Permission.ORDERS_MANAGE)
    if expected_version is None:
        raise ValidationFailed.field("version", "Required: the version of the order you changed.")
    if expected_version != order.version:
        raise Conflict(
            f"Order {order.number} changed meanwhile (version {order.version}, "
            f"you edited {expected_version}); reload it and try again.",
            fields={"version": [f"current version is {order.version}"]},
        )
    if order.status not in states.DEALER_EDITABLE:
        raise Conflict(
            f"Order {order.number} is {order.status.value}: it can be changed only until "
            "the brand approves it.",
            fields={"status": [order.status.value]},
        )
    pairs = _line_pairs(lines)
    dealer = session.get(Dealer, order.dealer_id)
    assert dealer is not None, "an order's dealer is RESTRICT-protected"
    line_rules.raise_for(line_rules.validate_lines(session, dealer, pairs))
    before = {line.sku_code: line.quantity for line in order.lines}
    held = any(
        a.status is AllocationStatus.RESERVED for line in order.lines for a in line.allocations
    )
    allocation.release_order(session, order, "order changed")
    priced = price_lines(session, dealer, pairs)
    order.lines.clear()
    session.flush()
    order.lines.extend(frozen_lines(priced))
    set_totals(order, priced)
    session.flush()
    if held:
        allocation.reserve_order(session, order)
    after = {line.sku_code: line.quantity for line in order.lines}
    order.version += 1
    lifecycle.log_activity(
        session,
        actor,
        order,
        "change",
        "Lines changed.",
        details={"before": before, "after": after, "total": str(order.total)},
    )
    record(session, actor, "order.change", "order", order.id, {"before": before, "after": after})
    if order.status is OrderStatus.SUBMITTED:
        review.restart_review(session, order)
    return order


def _line_pairs(lines: Sequence[Mapping[str, Any] | tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if not isinstance(lines, list | tuple) or not lines:
        raise ValidationFailed.field("lines", "Give at least one line.")
    pairs: list[tuple[Any, Any]] = []
    for index, line in enumerate(lines):
        if isinstance(line, Mapping):
            pairs.append((line.get("sku_id"), line.get("quantity")))
        elif isinstance(line, tuple) and len(line) == 2:
            pairs.append(line)
        else:
            raise ValidationFailed.field(f"lines.{index}", "Give a sku_id and a quantity.")
    seen: set[Any] = set()
    for index, (sku_id, _quantity) in enumerate(pairs):
        if sku_id in seen:
            raise ValidationFailed.field(f"lines.{index}.sku_id", "This SKU is on another line.")
        seen.add(sku_id)
    return pairs


def frozen_lines(priced: PricedLines) -> list[OrderLine]:
    """Order lines from priced ones: codes, names and every price component as of now."""
    return [
        OrderLine(
            line_no=line.line_no,
            sku_id=line.sku.id,
            sku_code=line.sku.code,
            name=line.sku.display_name[:300],
            quantity=line.quantity,
            list_price=line.list_price,
            base_price=line.base_price,
            unit_price=line.unit_price,
            price_source=line.price_source,
            price_list_id=line.price_list_id,
            adjustments=[a.as_dict() for a in line.adjustments],
            adjustments_total=line.adjustments_total,
            subtotal=line.subtotal,
            tax=line.tax,
            total=line.net if priced.prices_include_tax else line.net + line.tax,
        )
        for line in priced.lines
    ]


def set_totals(order: Order, priced: PricedLines) -> None:
    """Copy the priced totals onto the order; its freight stays as quoted at checkout."""
    order.list_total = priced.list_total
    order.subtotal = priced.subtotal
    order.adjustments_total = priced.adjustments_total
    order.adjustments = [a.as_dict() for a in priced.adjustments]
    order.tax_rate = priced.tax_rate
    order.prices_include_tax = priced.prices_include_tax
    order.tax_total = priced.tax_total
    order.total = priced.total(order.freight)
