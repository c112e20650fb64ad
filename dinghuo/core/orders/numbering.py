"""Human-readable document numbers, sequential and gap-free per tenant (``SO-000123``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from dinghuo.core.orders.models import NumberSequence
from dinghuo.db import TenantSession


def next_number(session: TenantSession, kind: str, prefix: str, width: int = 6) -> str:
    """The next number of ``kind`` (``order``, ``return``) in the bound tenant.

    The UPDATE takes the sequence row's lock until the transaction ends, so
    concurrent submissions queue for the number only, and a rolled-back
    transaction gives its number back: no gaps, no duplicates.
    """
    bumped = session.execute(
        update(NumberSequence)
        .where(NumberSequence.kind == kind)
        .values(last_number=NumberSequence.last_number + 1)
        .returning(NumberSequence.last_number)
        .execution_options(synchronize_session=False)
    ).scalar()
    if bumped is None:
        _create_sequence(session, kind)
        return next_number(session, kind, prefix, width)
    return f"{prefix}-{bumped:0{width}d}"


def _create_sequence(session: TenantSession, kind: str) -> None:
    """Start the tenant's sequence of ``kind``; a concurrent first number may have just done it."""
    try:
        with session.begin_nested():
            session.add(NumberSequence(kind=kind, last_number=0))
    except IntegrityError:
        pass


def current_number(session: TenantSession, kind: str) -> int:
    """The last number issued (0 when none), for reports and tests."""
    return (
        session.scalar(select(NumberSequence.last_number).where(NumberSequence.kind == kind)) or 0
    )
