"""A tenant's business rules that are settings rather than code.

One row per tenant holding a JSON object; :class:`BusinessSettings` gives each
rule its type, bounds and default, so a tenant that never touched a rule gets
the default and a new rule needs no migration. Each domain reads the rules it
needs through :func:`business_settings`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

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

    backorders_allowed: bool = False
    """Accept orders beyond available stock (the rest is backordered) instead of refusing them."""
    reserve_stock_on: Literal["submission", "approval"] = "submission"
    """When an order's stock is reserved: as soon as it reaches the brand, or once approved."""
    review_steps: list[Literal["sales", "finance", "warehouse"]] = Field(
        default_factory=lambda: ["sales"]
    )
    """The brand-side review steps an order passes, in this order; empty approves at once."""
    auto_approve_tiers: list[str] = Field(default_factory=list, max_length=20)
    """Orders of dealers in these tiers skip the review steps (when credit allows)."""
    auto_approve_max_total: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    """Orders whose total is at most this skip the review steps (when credit allows)."""
    auto_approve_within_credit_only: bool = True
    """Auto-approval only for on-account orders that fit the dealer's open credit."""
    tax_rate: Decimal = Field(Decimal("0.13"), ge=0, le=Decimal("0.5"), decimal_places=4)
    """VAT rate applied to order lines (13% is China's standard rate for electronics)."""
    prices_include_tax: bool = True
    """Prices are quoted with VAT included (含税价), as is usual in China."""
    order_number_prefix: str = Field("SO", pattern=r"^[A-Z]{1,6}$")
    """Order numbers read ``<prefix>-000123``."""


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
