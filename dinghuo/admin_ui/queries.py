"""Read-only views of tenant data for pages (the tenant guard scopes every query).

Mutations never happen here: they go through the services.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from dinghuo.core.crm.models import Dealer, DealerStatus
from dinghuo.db import TenantSession
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.audit.service import entries_query
from dinghuo.platform.auth.models import Role, User

DEALER_ROLES = (Role.DEALER_ADMIN, Role.BUYER)


@dataclass(frozen=True)
class TenantSummary:
    dealers: int
    active_dealers: int
    staff_users: int
    dealer_users: int


def tenant_summary(session: TenantSession) -> TenantSummary:
    """Counts for the console's home page."""
    dealers, active = session.execute(
        select(
            func.count(Dealer.id),
            func.coalesce(func.sum(case((Dealer.status == DealerStatus.ACTIVE, 1), else_=0)), 0),
        )
    ).one()
    staff, dealer_users = session.execute(
        select(
            func.coalesce(func.sum(case((User.role.in_(DEALER_ROLES), 0), else_=1)), 0),
            func.coalesce(func.sum(case((User.role.in_(DEALER_ROLES), 1), else_=0)), 0),
        ).where(User.is_active.is_(True))
    ).one()
    return TenantSummary(int(dealers), int(active), int(staff), int(dealer_users))


def recent_audit(session: TenantSession, limit: int = 10) -> list[AuditEntry]:
    """The latest audit entries of the bound tenant, newest first."""
    query = entries_query().order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return list(session.scalars(query.limit(limit)))


@dataclass(frozen=True)
class UserRow:
    user: User
    dealer_name: str | None


def users_with_dealers(session: TenantSession) -> list[UserRow]:
    """Every user of the tenant, staff first, with their dealer's name."""
    rows = session.execute(
        select(User, Dealer.name_zh, Dealer.name_en)
        .outerjoin(Dealer, Dealer.id == User.dealer_id)
        .order_by(User.dealer_id.is_not(None), User.email)
    )
    return [UserRow(user, (zh or en) if (zh or en) else None) for user, zh, en in rows]


MAX_DEALER_CHOICES = 500


def dealer_choices(session: TenantSession) -> list[tuple[int, str]]:
    """Active dealers as ``(id, "CODE · name")`` for a select box, by code."""
    from dinghuo.core.crm.service import dealer_query

    query = dealer_query(status=DealerStatus.ACTIVE).order_by(Dealer.code)
    return [
        (dealer.id, f"{dealer.code} · {dealer.display_name}")
        for dealer in session.scalars(query.limit(MAX_DEALER_CHOICES))
    ]


def sales_rep_choices(session: TenantSession) -> list[tuple[int, str]]:
    """Active staff who can look after dealers, as ``(id, "name · email")``."""
    from dinghuo.core.crm.service import SALES_REP_ROLES

    query = (
        select(User)
        .where(User.is_active.is_(True), User.role.in_(SALES_REP_ROLES))
        .order_by(User.name, User.email)
    )
    return [(user.id, f"{user.name} · {user.email}") for user in session.scalars(query)]
