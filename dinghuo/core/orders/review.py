"""The brand's review pipeline: the steps a submitted order passes before it is approved.

Which steps run, and in which order, is the tenant's ``review_steps`` setting
(sales → finance → warehouse, any subset). :func:`start_review` opens one
:class:`OrderReview` per step when an order reaches SUBMITTED; an order that
matches an auto-approval rule has every step recorded as AUTO_APPROVED with the
rule's name and is approved at once, as is any order when no step is enabled.
Each step is decided by staff holding that step's permission; the last
approval moves the order to APPROVED, a rejection at any step to REJECTED.
"""

from __future__ import annotations

from sqlalchemy import select

from dinghuo.core.checks import load, require, text
from dinghuo.core.crm.models import Dealer
from dinghuo.core.orders import allocation, credit, lifecycle
from dinghuo.core.orders.models import Order, OrderReview, ReviewOutcome, ReviewStep
from dinghuo.core.orders.states import OrderStatus
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit
from dinghuo.platform.tenants.business import BusinessSettings, business_settings

STEP_PERMISSIONS: dict[ReviewStep, Permission] = {
    ReviewStep.SALES: Permission.ORDERS_REVIEW_SALES,
    ReviewStep.FINANCE: Permission.ORDERS_REVIEW_FINANCE,
    ReviewStep.WAREHOUSE: Permission.ORDERS_REVIEW_WAREHOUSE,
}
"""Who may decide each step (owner and admin hold all three)."""

REASON_MAX = 1000


def reviewable_steps(actor: Principal | None) -> list[ReviewStep]:
    """The steps ``actor`` may decide, in pipeline order (all of them for the system)."""
    return [step for step, permission in STEP_PERMISSIONS.items() if _may(actor, permission)]


def _may(actor: Principal | None, permission: Permission) -> bool:
    return actor is None or actor.can(permission)


def auto_approval_rule(
    session: TenantSession, order: Order, dealer: Dealer, settings: BusinessSettings
) -> str | None:
    """The name of the auto-approval rule ``order`` satisfies, or ``None``.

    A rule matches on the dealer's tier or on the order's total; with
    ``auto_approve_within_credit_only`` it also has to be an on-account order
    that fits what is left of the dealer's credit, so auto-approval never
    extends credit nobody checked.
    """
    rule: str | None = None
    if dealer.tier in settings.auto_approve_tiers:
        rule = f"tier {dealer.tier}"
    elif settings.auto_approve_max_total is not None and (
        order.total <= settings.auto_approve_max_total
    ):
        rule = f"total ≤ {settings.auto_approve_max_total}"
    if rule is None:
        return None
    if settings.auto_approve_within_credit_only:
        if not credit.is_on_account(order.payment_terms):
            return None
        standing = credit.credit_standing(session, dealer, exclude_order_id=order.id)
        if order.total > standing.available:
            return None
        rule += ", within credit"
    return rule


def start_review(session: TenantSession, order: Order) -> Order:
    """Open the review steps of an order that has just become SUBMITTED.

    Called by submission (and by the dealer admin's approval of a buyer's
    order) once the order is SUBMITTED; the caller has authorised the submitter.
    """
    if order.status is not OrderStatus.SUBMITTED:
        raise Conflict(f"Only a submitted order is reviewed; this one is {order.status.value}.")
    settings = business_settings(session)
    steps = [ReviewStep(step) for step in settings.review_steps]
    if not steps:
        return _approve(session, None, order, "No review steps are enabled.")
    dealer = session.get(Dealer, order.dealer_id)
    assert dealer is not None, "an order's dealer is RESTRICT-protected"
    rule = auto_approval_rule(session, order, dealer, settings)
    now = utcnow()
    for step in steps:
        session.add(
            OrderReview(
                order_id=order.id,
                step=step,
                outcome=ReviewOutcome.AUTO_APPROVED if rule else ReviewOutcome.PENDING,
                rule=rule or "",
                decided_at=now if rule else None,
            )
        )
    session.flush()
    if rule:
        lifecycle.log_activity(
            session, None, order, "review", f"Auto-approved: {rule}.", details={"rule": rule}
        )
        return _approve(session, None, order, f"Auto-approved: {rule}.")
    order.review_step = steps[0]
    session.flush()
    return order


def restart_review(session: TenantSession, order: Order) -> Order:
    """Review a changed order afresh: decisions taken on the old lines no longer hold."""
    for existing in list(order.reviews):
        session.delete(existing)
    order.review_step = None
    session.flush()
    session.expire(order, ["reviews"])
    return start_review(session, order)


def _pending(session: TenantSession, order: Order) -> list[OrderReview]:
    return list(
        session.scalars(
            select(OrderReview)
            .where(OrderReview.order_id == order.id, OrderReview.outcome == ReviewOutcome.PENDING)
            .order_by(OrderReview.id)
        )
    )


def _under_review(session: TenantSession, actor: Principal | None, order_id: int) -> Order:
    """The order, if it exists for a staff reviewer and is waiting at a review step."""
    if actor is not None and not actor.is_staff:
        raise NotFound("Order not found.")
    order = load(session, Order, order_id)
    if order is None:
        raise NotFound("Order not found.")
    if order.status is not OrderStatus.SUBMITTED or order.review_step is None:
        raise Conflict(
            f"Order {order.number} is {order.status.value}, not waiting for a review.",
            fields={"status": [order.status.value]},
        )
    return order


def _decide_step(
    actor: Principal | None, order: Order, pending: list[OrderReview], step: ReviewStep | None
) -> OrderReview:
    current = pending[0]
    wanted = step or current.step
    if wanted is not current.step:
        raise Conflict(
            f"Order {order.number} waits at the {current.step.value} step, not {wanted.value}.",
            fields={"step": [f"the current step is {current.step.value}"]},
        )
    if not _may(actor, STEP_PERMISSIONS[current.step]):
        raise PermissionDenied(
            f"This needs the permission: {STEP_PERMISSIONS[current.step].value}."
        )
    return current


def _step(value: ReviewStep | str | None) -> ReviewStep | None:
    if value is None or value == "":
        return None
    try:
        return ReviewStep(value)
    except ValueError:
        raise ValidationFailed.field(
            "step", f"Use one of: {', '.join(s.value for s in ReviewStep)}."
        ) from None


def approve_step(
    session: TenantSession,
    actor: Principal | None,
    order_id: int,
    step: ReviewStep | str | None = None,
    reason: str = "",
) -> Order:
    """Approve the step the order waits at; the last approval approves the order."""
    require(actor, Permission.ORDERS_READ)
    wanted = _step(step)
    order = _under_review(session, actor, order_id)
    pending = _pending(session, order)
    review = _decide_step(actor, order, pending, wanted)
    reason = _reason(reason, required=False)
    review.outcome = ReviewOutcome.APPROVED
    review.decided_by_id = actor.user_id if actor else None
    review.decided_at = utcnow()
    review.reason = reason
    lifecycle.log_activity(
        session,
        actor,
        order,
        "review",
        reason or f"{review.step.value} review approved.",
        details={"step": review.step.value, "outcome": "approved"},
    )
    record(session, actor, "order.review_approve", "order", order.id, {"step": review.step.value})
    rest = pending[1:]
    if rest:
        order.review_step = rest[0].step
        order.version += 1
        session.flush()
        emit(
            session,
            "order.review_step",
            "order",
            order.id,
            {
                "number": order.number,
                "dealer_id": order.dealer_id,
                "from_step": review.step.value,
                "step": order.review_step.value,
            },
        )
        return order
    return _approve(session, actor, order, reason or "All review steps approved.")


def reject(
    session: TenantSession,
    actor: Principal | None,
    order_id: int,
    step: ReviewStep | str | None = None,
    reason: str = "",
) -> Order:
    """Reject the order at the step it waits at; a reason is required (the dealer reads it)."""
    require(actor, Permission.ORDERS_READ)
    wanted = _step(step)
    order = _under_review(session, actor, order_id)
    reason = _reason(reason, required=True)
    pending = _pending(session, order)
    review = _decide_step(actor, order, pending, wanted)
    review.outcome = ReviewOutcome.REJECTED
    review.decided_by_id = actor.user_id if actor else None
    review.decided_at = utcnow()
    review.reason = reason
    record(
        session,
        actor,
        "order.review_reject",
        "order",
        order.id,
        {"step": review.step.value, "reason": reason},
    )
    _release(session, order, reason)
    lifecycle.transition(
        session,
        actor,
        order,
        OrderStatus.REJECTED,
        reason,
        details={"step": review.step.value},
    )
    return order


def _reason(value: str | None, *, required: bool) -> str:
    return text("reason", value, REASON_MAX, required=required)


def _approve(session: TenantSession, actor: Principal | None, order: Order, reason: str) -> Order:
    """Move to APPROVED, reserving first when the tenant reserves on approval."""
    _reserve_on_approval(session, order)
    return lifecycle.transition(session, actor, order, OrderStatus.APPROVED, reason)


def _reserve_on_approval(session: TenantSession, order: Order) -> None:
    if business_settings(session).reserve_stock_on != "approval":
        return
    allocation.reserve_order(session, order)


def _release(session: TenantSession, order: Order, reason: str) -> None:
    allocation.release_order(session, order, reason)
