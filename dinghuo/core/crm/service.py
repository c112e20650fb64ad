"""Dealer accounts: the rules for creating, changing and reading them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from dinghuo.core.crm.models import Dealer, DealerStatus, PaymentTerms
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.principal import Principal


def get_dealer(session: TenantSession, dealer_id: int) -> Dealer:
    """The bound tenant's dealer, or NotFound (also for another tenant's id)."""
    dealer = session.get(Dealer, dealer_id)
    if dealer is None:
        raise NotFound("No such dealer.")
    return dealer


def create_dealer(
    session: TenantSession,
    actor: Principal | None,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    tier: str = "C",
    region: str = "",
    credit_limit: Decimal = Decimal("0"),
    payment_terms: PaymentTerms = PaymentTerms.PREPAID,
    **extra: Any,
) -> Dealer:
    """Create a dealer account of the bound tenant; codes are unique per tenant."""
    code = code.strip().upper()
    if session.scalar(select(Dealer.id).where(Dealer.code == code)) is not None:
        raise ValidationFailed.field("code", "A dealer with this code already exists.")
    if credit_limit < 0:
        raise ValidationFailed.field("credit_limit", "Must not be negative.")
    dealer = Dealer(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        tier=tier,
        region=region,
        credit_limit=credit_limit,
        payment_terms=payment_terms,
        status=DealerStatus.ACTIVE,
    )
    if extra:
        raise ValidationFailed.field(next(iter(extra)), "Unknown field.")
    session.add(dealer)
    session.flush()
    record(session, actor, "dealer.create", "dealer", dealer.id, {"code": code})
    return dealer
