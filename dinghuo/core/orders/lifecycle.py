"""Moving an order through its states and writing its timeline.

:func:`transition` is the only code that assigns ``Order.status``: it checks
the state machine, stamps the milestone time, bumps the order's version,
appends the timeline entry and emits the ``order.<status>`` outbox event, all
in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from dinghuo.core.orders import states
from dinghuo.core.orders.models import Order, OrderActivity
from dinghuo.core.orders.states import OrderStatus
from dinghuo.db import TenantSession, utcnow
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit

_MILESTONES = {
    OrderStatus.SUBMITTED: "submitted_at",
    OrderStatus.APPROVED: "approved_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def log_activity(
    session: TenantSession,
    actor: Principal | None,
    order: Order,
    kind: str,
    message: str = "",
    *,
    details: dict[str, Any] | None = None,
    from_status: OrderStatus | None = None,
    to_status: OrderStatus | None = None,
    visible_to_dealer: bool = True,
) -> OrderActivity:
    """Append one timeline entry (``actor=None`` is the system: a job, a carrier)."""
    activity = OrderActivity(
        order_id=order.id,
        kind=kind,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        message=message[:1000],
        details=details or {},
        visible_to_dealer=visible_to_dealer,
        actor_type=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        actor_label=actor.label if actor else "system",
    )
    session.add(activity)
    return activity


def transition(
    session: TenantSession,
    actor: Principal | None,
    order: Order,
    target: OrderStatus,
    reason: str = "",
    *,
    details: dict[str, Any] | None = None,
) -> Order:
    """Move ``order`` to ``target`` or raise 409 naming the states (see :mod:`.states`)."""
    current = order.status
    states.check(current, target)
    order.status = target
    order.version += 1
    milestone = _MILESTONES.get(target)
    if milestone and getattr(order, milestone) is None:
        setattr(order, milestone, utcnow())
    if target is not OrderStatus.SUBMITTED:
        order.review_step = None
    log_activity(
        session,
        actor,
        order,
        "status",
        reason,
        details=details,
        from_status=current,
        to_status=target,
    )
    session.flush()
    emit(
        session,
        f"order.{target.value}",
        "order",
        order.id,
        {
            "number": order.number,
            "dealer_id": order.dealer_id,
            "from": current.value,
            "to": target.value,
            "total": order.total,
            "reason": reason,
        },
    )
    return order
