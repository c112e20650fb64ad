"""The dealer's own approval: a buyer's big order waits for the dealer admin.

A dealer sets ``buyer_approval_limit`` (its admin does, in the portal or by
API); a buyer's order whose total is above it is submitted into
DEALER_REVIEW instead of reaching the brand. The dealer's admins approve it
(it then reaches the brand exactly as a direct submission would: stock
reserved per the tenant's setting, review steps started) or reject it with a
reason. Only the order's own dealer's admins see or decide; anyone else's
attempt is "not found".
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from dinghuo.core.checks import require, text
from dinghuo.core.crm.models import Dealer
from dinghuo.core.crm.service import get_own_dealer
from dinghuo.core.orders import lifecycle, service, submission
from dinghuo.core.orders.models import Order
from dinghuo.core.orders.states import OrderStatus, check
from dinghuo.db import TenantSession
from dinghuo.errors import ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

MAX_LIMIT = Decimal("9999999999.99")


def _locked_order(session: TenantSession, actor: Principal, order_id: int) -> Order:
    """The order, row-locked so two admins deciding at once decide one after the other.

    Found first, so an id the actor may not see is "not found" before any 403.
    """
    order = service.get_order(session, actor, order_id)
    require(actor, Permission.OWN_ORDERS_APPROVE)
    session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    session.refresh(order)
    return order


def decide(
    session: TenantSession, actor: Principal, order_id: int, *, approve: bool, reason: str = ""
) -> Order:
    """Approve (→ SUBMITTED, to the brand) or reject (→ REJECTED, reason required) a buyer's order.

    Anything but an order in DEALER_REVIEW is a 409 naming its state.
    """
    order = _locked_order(session, actor, order_id)
    why = text("reason", reason, 1000, required=not approve)
    if order.status is not OrderStatus.DEALER_REVIEW:
        check(order.status, OrderStatus.DEALER_REVIEW)
    if approve:
        submission.reach_brand(session, actor, order, why or "Approved by the dealer.")
    else:
        lifecycle.transition(session, actor, order, OrderStatus.REJECTED, why)
    record(
        session,
        actor,
        "order.dealer_approve" if approve else "order.dealer_reject",
        "order",
        order.id,
        {"number": order.number, "reason": why},
    )
    return order


def _limit(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed.field("buyer_approval_limit", "Must be an amount.") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_LIMIT:
        raise ValidationFailed.field(
            "buyer_approval_limit", "Must be an amount of zero or more (empty: no limit)."
        )
    return amount.quantize(Decimal("0.01"))


def set_buyer_approval_limit(session: TenantSession, actor: Principal, value: Any) -> Dealer:
    """The dealer admin's rule: buyers' orders above this total need an admin (None: never)."""
    require(actor, Permission.OWN_ORDERS_APPROVE)
    dealer = get_own_dealer(session, actor)
    limit = _limit(value)
    if dealer.buyer_approval_limit != limit:
        dealer.buyer_approval_limit = limit
        session.flush()
        record(
            session,
            actor,
            "dealer.buyer_approval_limit",
            "dealer",
            dealer.id,
            {"buyer_approval_limit": None if limit is None else str(limit)},
        )
    return dealer
