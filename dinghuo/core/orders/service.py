"""Orders after submission: finding them, and the moves staff and dealers make on them.

Who sees what: staff with ``orders:read`` see every order of the tenant; a
dealer user (``orders:place``) sees only their own dealer's orders, and any
other order is "not found", exactly like another tenant's. Status changes go
through :func:`dinghuo.core.orders.lifecycle.transition`; the review steps live
in :mod:`dinghuo.core.orders.review`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, or_, select

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.checks import load
from dinghuo.core.crm.models import Dealer
from dinghuo.core.orders.models import Order, OrderActivity, ReviewStep
from dinghuo.core.orders.states import OrderStatus
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.tenants.models import Tenant

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
        conditions.append(Order.total >= min_total)
    if max_total is not None:
        conditions.append(Order.total <= max_total)
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
