"""The order state machine: the one place that says which status may follow which.

Services change an order's status only through
:func:`dinghuo.core.orders.lifecycle.transition`, which asks :func:`check` here
first; a move not in :data:`TRANSITIONS` is a 409 naming both states and the
ones that are allowed.
"""

from __future__ import annotations

import enum

from dinghuo.errors import Conflict


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    """Being built (saved checkout, or staff preparing it); nothing reserved yet."""
    DEALER_REVIEW = "dealer_review"
    """A buyer's order over the dealer's own limit, waiting for the dealer admin."""
    SUBMITTED = "submitted"
    """With the brand, passing its review steps (``Order.review_step``)."""
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_PRODUCTION = "in_production"
    BACKORDERED = "backordered"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = OrderStatus

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.DRAFT: frozenset({S.DEALER_REVIEW, S.SUBMITTED, S.CANCELLED}),
    S.DEALER_REVIEW: frozenset({S.SUBMITTED, S.REJECTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset(
        {S.IN_PRODUCTION, S.BACKORDERED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}
    ),
    S.IN_PRODUCTION: frozenset({S.BACKORDERED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.BACKORDERED: frozenset({S.IN_PRODUCTION, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.REJECTED: frozenset(),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
"""Cancelling is allowed until the first unit ships; after that, returns undo deliveries."""

DEALER_EDITABLE = frozenset({S.DRAFT, S.DEALER_REVIEW, S.SUBMITTED})
"""A dealer may change or cancel an order until the brand approves it."""

OPEN = frozenset(
    {
        S.DEALER_REVIEW,
        S.SUBMITTED,
        S.APPROVED,
        S.IN_PRODUCTION,
        S.BACKORDERED,
        S.PARTIALLY_SHIPPED,
        S.SHIPPED,
        S.DELIVERED,
    }
)
"""Orders that count against the dealer's credit (submitted, not yet completed or closed)."""

HOLDS_STOCK = frozenset(
    {S.SUBMITTED, S.APPROVED, S.IN_PRODUCTION, S.BACKORDERED, S.PARTIALLY_SHIPPED}
)
"""States in which an order may hold reservations (SUBMITTED only when reserving on submission)."""


def allowed_from(status: OrderStatus) -> frozenset[OrderStatus]:
    return TRANSITIONS[status]


def check(current: OrderStatus, target: OrderStatus) -> None:
    """Refuse a move the state machine does not allow, naming the states (409)."""
    allowed = TRANSITIONS[current]
    if target in allowed:
        return
    names = ", ".join(sorted(s.value for s in allowed)) or "none: it is final"
    raise Conflict(
        f"An order that is {current.value} cannot become {target.value}; "
        f"from {current.value} it can become: {names}.",
        fields={"status": [f"{current.value} → {target.value} is not allowed"]},
    )
