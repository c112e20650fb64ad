"""Credit: how much of a dealer's credit limit its open on-account orders already use.

A dealer on account (net 15/30/60) may have open orders worth at most its
``credit_limit``; prepaid orders are paid before they ship and use no credit.
"Open" is :data:`dinghuo.core.orders.states.OPEN`: from dealer review until the
order is completed (paid and closed), so delivered-but-unpaid orders count.

Two submissions of one dealer must not both fit the same remaining credit,
so :func:`check_credit` locks the dealer's row (``FOR UPDATE``) before adding
up: a concurrent submission of the same dealer waits and then sees this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from dinghuo.core.crm.models import Dealer, PaymentTerms
from dinghuo.core.orders.models import Order
from dinghuo.core.orders.states import OPEN
from dinghuo.db import TenantSession
from dinghuo.errors import ValidationFailed


def is_on_account(terms: str) -> bool:
    return terms != PaymentTerms.PREPAID.value


@dataclass(frozen=True)
class CreditStanding:
    """A dealer's limit, what its open on-account orders use, and what is left."""

    limit: Decimal
    used: Decimal

    @property
    def available(self) -> Decimal:
        return self.limit - self.used


def credit_standing(
    session: TenantSession, dealer: Dealer, *, exclude_order_id: int | None = None
) -> CreditStanding:
    """``dealer``'s standing now; ``exclude_order_id`` leaves one order out (the one judged)."""
    query = select(func.coalesce(func.sum(Order.total), 0)).where(
        Order.dealer_id == dealer.id,
        Order.status.in_(OPEN),
        Order.payment_terms != PaymentTerms.PREPAID.value,
    )
    if exclude_order_id is not None:
        query = query.where(Order.id != exclude_order_id)
    used = Decimal(str(session.scalar(query) or 0))
    return CreditStanding(limit=dealer.credit_limit, used=used)


def lock_dealer(session: TenantSession, dealer: Dealer) -> None:
    """Hold ``dealer``'s row until commit, so credit is judged one submission at a time."""
    session.execute(select(Dealer.id).where(Dealer.id == dealer.id).with_for_update())


def credit_problem(
    session: TenantSession, dealer: Dealer, terms: str, total: Decimal
) -> ValidationFailed | None:
    """Why an order of ``total`` on ``terms`` does not fit ``dealer``'s credit, or ``None``.

    Locks the dealer's row first (see the module doc); prepaid orders need no
    credit and take no lock.
    """
    if not is_on_account(terms):
        return None
    lock_dealer(session, dealer)
    standing = credit_standing(session, dealer)
    if standing.used + total <= standing.limit:
        return None
    return ValidationFailed.field(
        "payment_terms",
        f"Over the credit limit: this order ({total}) and open orders on account "
        f"({standing.used}) exceed the limit of {standing.limit}; "
        f"{max(standing.available, Decimal('0')):.2f} is available. Pay in advance or "
        "ask the brand to raise the limit.",
    )
