"""A tenant's business rules that are settings rather than code.

One row per tenant holding a JSON object; :class:`BusinessSettings` gives each
rule its type, bounds and default, so a tenant that never touched a rule gets
the default and a new rule needs no migration. Each domain reads the rules it
needs through :func:`business_settings`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from dinghuo.db import Base, TenantScoped, TenantSession
from dinghuo.errors import ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.principal import Principal


class BusinessSettings(BaseModel):
    """The rules, with their defaults. Field names are part of the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overstock_days_of_cover: int = Field(60, ge=1, le=3650)
    """A dealer holding more days of cover than this on a SKU is overstocked on it."""
    demand_window_days: int = Field(90, ge=7, le=730)
    """How far back reorder points look at demand."""
    default_lead_time_days: int = Field(7, ge=0, le=365)
    """Replenishment lead time of SKUs without their own."""
    service_level: Decimal = Field(Decimal("0.95"), ge=Decimal("0.5"), le=Decimal("0.999"))
    """Probability of not running out during a lead time; sets the safety stock."""
    review_days: int = Field(30, ge=1, le=365)
    """Replenishment suggestions cover this many days of demand beyond the reorder point."""


class TenantBusinessSettings(TenantScoped, Base):
    __tablename__ = "business_settings"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)


def business_settings(session: TenantSession) -> BusinessSettings:
    """The bound tenant's rules (defaults for anything never set)."""
    row = session.get(TenantBusinessSettings, session.tenant_id)
    return BusinessSettings.model_validate(row.values if row else {})


def update_business_settings(
    session: TenantSession, actor: Principal | None, changes: dict[str, Any]
) -> BusinessSettings:
    """Change some rules; an unknown name or a value out of bounds is refused by name."""
    row = session.get(TenantBusinessSettings, session.tenant_id)
    current = dict(row.values) if row else {}
    merged = {**current, **changes}
    try:
        settings = BusinessSettings.model_validate(merged)
    except PydanticValidationError as error:
        fields: dict[str, list[str]] = {}
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"]) or "_schema"
            fields.setdefault(name, []).append(problem["msg"])
        first = next(iter(fields.items()))
        raise ValidationFailed(f"{first[0]}: {first[1][0]}", fields=fields) from None
    stored = settings.model_dump(mode="json", exclude_defaults=False)
    if row is None:
        session.add(TenantBusinessSettings(tenant_id=session.tenant_id, values=stored))
    else:
        row.values = stored
    session.flush()
    record(session, actor, "business_settings.update", "tenant", session.tenant_id, changes)
    return settings
