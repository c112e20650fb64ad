"""Reorder points, low-stock alerts and replenishment suggestions.

Reorder point of a SKU = average daily demand × lead time + safety stock,
rounded up. Demand is units shipped per day (SHIPMENT movements) over the
tenant's ``demand_window_days`` of completed days in its own time zone; a day
without shipments is a zero. Safety stock = z × σ(daily demand) × √lead time,
with z the standard normal quantile of the tenant's ``service_level``
(``statistics.NormalDist``). The lead time is the SKU's own or the tenant's
default. A manual reorder point, while set, wins over the computed one.

When a SKU's available units over all active warehouses fall below its
reorder point, one OPEN :class:`StockAlert` is opened and ``stock.low`` is
emitted once for it, with a suggestion: reorder point + review_days × average
daily demand − available, rounded up to the SKU's order multiple. The alert
follows the numbers while it stays low and resolves once availability is back
at or above the point. Evaluation locks the SKU's policy row, so concurrent
movements of one SKU never open two alerts.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.catalog.models import Sku
from dinghuo.core.checks import require
from dinghuo.core.inventory.ledger import available_by_sku, sku_codes
from dinghuo.core.inventory.models import (
    AlertStatus,
    MovementKind,
    ReorderPolicy,
    StockAlert,
    StockLevel,
    StockMovement,
    Warehouse,
)
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit
from dinghuo.platform.tenants.business import BusinessSettings, business_settings
from dinghuo.platform.tenants.models import Tenant

MAX_REORDER_POINT = 10_000_000
MAX_LEAD_TIME_DAYS = 365


def _point_column() -> Any:
    return func.coalesce(ReorderPolicy.manual_reorder_point, ReorderPolicy.computed_reorder_point)


def skus_below_reorder_point() -> Select[Any]:
    """A subquery of SKU ids whose available units (active warehouses) are below their point."""
    available = (
        select(
            StockLevel.sku_id.label("sku_id"),
            func.sum(StockLevel.on_hand - StockLevel.reserved).label("available"),
        )
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(Warehouse.is_active.is_(True))
        .group_by(StockLevel.sku_id)
        .subquery()
    )
    return (
        select(ReorderPolicy.sku_id)
        .outerjoin(available, available.c.sku_id == ReorderPolicy.sku_id)
        .where(_point_column() > func.coalesce(available.c.available, 0))
    )


def reorder_points(session: TenantSession, sku_ids: Iterable[int]) -> dict[int, int]:
    """The effective reorder point of each SKU that has a policy (others have none: 0)."""
    ids = set(sku_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ReorderPolicy.sku_id, _point_column()).where(ReorderPolicy.sku_id.in_(ids))
    )
    return {sku_id: int(point) for sku_id, point in rows}


def suggested_quantity(
    *,
    reorder_point: int,
    avg_daily_demand: Decimal,
    available: int,
    review_days: int,
    multiple: int,
) -> int:
    """Units to order: back to the point plus ``review_days`` of demand, in whole multiples."""
    need = Decimal(reorder_point) + review_days * avg_daily_demand - available
    units = int(need.to_integral_value(rounding=ROUND_CEILING))
    if units <= 0:
        return 0
    multiple = max(multiple, 1)
    return -(-units // multiple) * multiple


def evaluate_alerts(session: TenantSession, sku_ids: Iterable[int]) -> None:
    """Open, refresh or resolve the low-stock alerts of these SKUs from current stock."""
    ids = sorted(set(sku_ids))
    if not ids:
        return
    policies = {
        p.sku_id: p
        for p in session.scalars(
            select(ReorderPolicy)
            .where(ReorderPolicy.sku_id.in_(ids))
            .order_by(ReorderPolicy.sku_id)
            .with_for_update()
        )
    }
    alerts = {
        a.sku_id: a
        for a in session.scalars(
            select(StockAlert).where(
                StockAlert.sku_id.in_(ids), StockAlert.status == AlertStatus.OPEN
            )
        )
    }
    wanted = [i for i in ids if (i in policies and policies[i].reorder_point > 0) or i in alerts]
    if not wanted:
        return
    available = available_by_sku(session, wanted)
    skus = {s.id: s for s in session.scalars(select(Sku).where(Sku.id.in_(wanted)))}
    settings = business_settings(session)
    for sku_id in wanted:
        policy = policies.get(sku_id)
        point = policy.reorder_point if policy else 0
        alert = alerts.get(sku_id)
        if available[sku_id] >= point:
            if alert is not None:
                alert.status = AlertStatus.RESOLVED
                alert.available = available[sku_id]
                alert.resolved_at = utcnow()
            continue
        assert policy is not None
        suggestion = suggested_quantity(
            reorder_point=point,
            avg_daily_demand=policy.avg_daily_demand,
            available=available[sku_id],
            review_days=settings.review_days,
            multiple=skus[sku_id].order_multiple,
        )
        if alert is not None:
            alert.available = available[sku_id]
            alert.reorder_point = point
            alert.suggested_qty = suggestion
            continue
        alert = StockAlert(
            sku_id=sku_id,
            available=available[sku_id],
            reorder_point=point,
            suggested_qty=suggestion,
        )
        session.add(alert)
        session.flush()
        emit(
            session,
            "stock.low",
            "sku",
            sku_id,
            {
                "alert_id": alert.id,
                "sku_id": sku_id,
                "sku_code": skus[sku_id].code,
                "available": available[sku_id],
                "reorder_point": point,
                "suggested_qty": suggestion,
                "avg_daily_demand": policy.avg_daily_demand,
            },
        )
    session.flush()


# --- computing the points ------------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    average: Fraction
    std_dev: float


def tenant_zone(session: TenantSession) -> ZoneInfo:
    """The bound tenant's time zone: its days are the days demand is counted in."""
    tenant = session.get(Tenant, session.tenant_id)
    return ZoneInfo(tenant.timezone if tenant else "UTC")


def demand_window(
    zone: ZoneInfo, settings: BusinessSettings, today: dt.date
) -> tuple[dt.datetime, dt.datetime, list[dt.date]]:
    """The window's bounds in UTC and its days: the completed days before ``today``, local time."""
    days = [today - dt.timedelta(days=n) for n in range(settings.demand_window_days, 0, -1)]
    start = dt.datetime.combine(days[0], dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(today, dt.time(), zone).astimezone(dt.UTC)
    return start, end, days


def daily_demand(
    session: TenantSession, settings: BusinessSettings, today: dt.date, sku_ids: set[int] | None
) -> dict[int, Demand]:
    """Average and σ of units shipped per day of the window, for each SKU shipped in it."""
    zone = tenant_zone(session)
    start, end, days = demand_window(zone, settings, today)
    query = select(
        StockMovement.sku_id, StockMovement.created_at, StockMovement.on_hand_delta
    ).where(
        StockMovement.kind == MovementKind.SHIPMENT,
        StockMovement.created_at >= start,
        StockMovement.created_at < end,
    )
    if sku_ids is not None:
        query = query.where(StockMovement.sku_id.in_(sku_ids))
    per_day: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for sku_id, created_at, delta in session.execute(query):
        per_day[sku_id][created_at.astimezone(zone).date()] += -delta
    result = {}
    for sku_id, shipped in per_day.items():
        series = [shipped.get(day, 0) for day in days]
        result[sku_id] = Demand(
            average=Fraction(sum(series), len(series)), std_dev=statistics.pstdev(series)
        )
    return result


def reorder_point_of(
    demand: Demand, lead_time_days: int, service_level: Decimal
) -> tuple[int, int]:
    """(safety stock, reorder point) for a demand and lead time."""
    z = statistics.NormalDist().inv_cdf(float(service_level))
    safety = max(0, math.ceil(round(z * demand.std_dev * math.sqrt(lead_time_days), 9)))
    point = math.ceil(demand.average * lead_time_days + safety)
    return safety, point


def compute_policies(
    session: TenantSession, *, today: dt.date | None = None, sku_ids: Iterable[int] | None = None
) -> int:
    """Recompute the reorder points of every stocked SKU (or of ``sku_ids``); then the alerts.

    SKUs considered: those with a level, a policy or a shipment in the
    window. Returns how many policies were computed.
    """
    settings = business_settings(session)
    today = today or utcnow().astimezone(tenant_zone(session)).date()
    only = set(sku_ids) if sku_ids is not None else None
    demand = daily_demand(session, settings, today, only)
    if only is not None:
        ids = only
    else:
        ids = set(demand)
        ids |= set(session.scalars(select(StockLevel.sku_id).distinct()))
        ids |= set(session.scalars(select(ReorderPolicy.sku_id)))
    policies = {
        p.sku_id: p
        for p in session.scalars(select(ReorderPolicy).where(ReorderPolicy.sku_id.in_(ids)))
    }
    zero = Demand(average=Fraction(0), std_dev=0.0)
    now = utcnow()
    for sku_id in sorted(ids):
        policy = policies.get(sku_id)
        if policy is None:
            policy = ReorderPolicy(sku_id=sku_id, lead_time_days=None, manual_reorder_point=None)
            session.add(policy)
        lead_time = (
            policy.lead_time_days
            if policy.lead_time_days is not None
            else settings.default_lead_time_days
        )
        found = demand.get(sku_id, zero)
        safety, point = reorder_point_of(found, lead_time, settings.service_level)
        policy.avg_daily_demand = _money(found.average)
        policy.demand_std_dev = _money(found.std_dev)
        policy.safety_stock = safety
        policy.computed_reorder_point = point
        policy.computed_at = now
    session.flush()
    evaluate_alerts(session, ids)
    return len(ids)


def _money(value: Fraction | float) -> Decimal:
    """A demand figure in the two-decimal column (they are shown, not computed with)."""
    if isinstance(value, Fraction):
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


# --- policies, alerts and suggestions for readers ------------------------------------------


@dataclass(frozen=True)
class PolicyView:
    sku_id: int
    sku_code: str
    lead_time_days: int | None
    effective_lead_time_days: int
    avg_daily_demand: Decimal
    demand_std_dev: Decimal
    safety_stock: int
    computed_reorder_point: int
    manual_reorder_point: int | None
    reorder_point: int
    computed_at: dt.datetime | None
    available: int


def _sku_or_404(session: TenantSession, sku_id: int) -> Sku:
    sku = session.scalar(select(Sku).where(Sku.id == sku_id))
    if sku is None:
        raise NotFound("No such SKU.")
    return sku


def get_policy(session: TenantSession, actor: Principal | None, sku_id: int) -> PolicyView:
    """A SKU's reorder policy (the defaults when never computed nor set)."""
    require(actor, Permission.INVENTORY_READ)
    sku = _sku_or_404(session, sku_id)
    policy = session.scalar(select(ReorderPolicy).where(ReorderPolicy.sku_id == sku.id))
    settings = business_settings(session)
    available = available_by_sku(session, [sku.id])[sku.id]
    if policy is None:
        return PolicyView(
            sku_id=sku.id,
            sku_code=sku.code,
            lead_time_days=None,
            effective_lead_time_days=settings.default_lead_time_days,
            avg_daily_demand=Decimal("0.00"),
            demand_std_dev=Decimal("0.00"),
            safety_stock=0,
            computed_reorder_point=0,
            manual_reorder_point=None,
            reorder_point=0,
            computed_at=None,
            available=available,
        )
    return PolicyView(
        sku_id=sku.id,
        sku_code=sku.code,
        lead_time_days=policy.lead_time_days,
        effective_lead_time_days=(
            policy.lead_time_days
            if policy.lead_time_days is not None
            else settings.default_lead_time_days
        ),
        avg_daily_demand=policy.avg_daily_demand,
        demand_std_dev=policy.demand_std_dev,
        safety_stock=policy.safety_stock,
        computed_reorder_point=policy.computed_reorder_point,
        manual_reorder_point=policy.manual_reorder_point,
        reorder_point=policy.reorder_point,
        computed_at=policy.computed_at,
        available=available,
    )


def _optional_whole(field: str, value: Any, maximum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.field(field, "Must be a whole number or null.")
    if value < 0 or value > maximum:
        raise ValidationFailed.field(field, f"Must be between 0 and {maximum}.")
    return value


def update_policy(
    session: TenantSession, actor: Principal | None, sku_id: int, **changes: Any
) -> PolicyView:
    """Set or clear a SKU's manual reorder point and own lead time; recompute and re-alert.

    ``null`` clears: the computed point, or the tenant's default lead time, applies again.
    """
    require(actor, Permission.INVENTORY_MANAGE)
    sku = _sku_or_404(session, sku_id)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "manual_reorder_point":
            values[name] = _optional_whole(name, value, MAX_REORDER_POINT)
        elif name == "lead_time_days":
            values[name] = _optional_whole(name, value, MAX_LEAD_TIME_DAYS)
        else:
            raise ValidationFailed.field(name, "Unknown field.")
    policy = session.scalar(select(ReorderPolicy).where(ReorderPolicy.sku_id == sku.id))
    if policy is None:
        policy = ReorderPolicy(sku_id=sku.id, lead_time_days=None, manual_reorder_point=None)
        session.add(policy)
    for name, value in values.items():
        setattr(policy, name, value)
    session.flush()
    record(session, actor, "reorder_policy.update", "sku", sku.id, values)
    compute_policies(session, sku_ids=[sku.id])
    return get_policy(session, actor, sku.id)


@dataclass(frozen=True)
class AlertView:
    id: int
    sku_id: int
    sku_code: str
    status: AlertStatus
    available: int
    reorder_point: int
    suggested_qty: int
    created_at: dt.datetime
    resolved_at: dt.datetime | None


def _alert_views(session: TenantSession, alerts: list[StockAlert]) -> list[AlertView]:
    codes = sku_codes(session, {a.sku_id for a in alerts})
    return [
        AlertView(
            id=a.id,
            sku_id=a.sku_id,
            sku_code=codes.get(a.sku_id, ""),
            status=a.status,
            available=a.available,
            reorder_point=a.reorder_point,
            suggested_qty=a.suggested_qty,
            created_at=a.created_at,
            resolved_at=a.resolved_at,
        )
        for a in alerts
    ]


def list_alerts(
    session: TenantSession,
    actor: Principal | None,
    *,
    status: AlertStatus | None = None,
    sku_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """Low-stock alerts, newest first."""
    require(actor, Permission.INVENTORY_READ)
    query = select(StockAlert)
    if status is not None:
        query = query.where(StockAlert.status == AlertStatus(status))
    if sku_id is not None:
        query = query.where(StockAlert.sku_id == sku_id)
    page = paginate(
        session,
        query,
        id_column=StockAlert.id,
        sortable={"id": StockAlert.id, "created_at": StockAlert.created_at},
        default_sort="-id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    return Page(items=_alert_views(session, page.items), next_cursor=page.next_cursor)


def get_alert(session: TenantSession, actor: Principal | None, alert_id: int) -> AlertView:
    require(actor, Permission.INVENTORY_READ)
    alert = session.scalar(select(StockAlert).where(StockAlert.id == alert_id))
    if alert is None:
        raise NotFound("No such stock alert.")
    return _alert_views(session, [alert])[0]


@dataclass(frozen=True)
class Suggestion:
    sku_id: int
    sku_code: str
    available: int
    reorder_point: int
    avg_daily_demand: Decimal
    lead_time_days: int
    order_multiple: int
    suggested_qty: int


def list_suggestions(
    session: TenantSession,
    actor: Principal | None,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """What to replenish now: every SKU below its reorder point, with the quantity to order."""
    require(actor, Permission.INVENTORY_READ)
    query = select(ReorderPolicy).where(ReorderPolicy.sku_id.in_(skus_below_reorder_point()))
    page = paginate(
        session,
        query,
        id_column=ReorderPolicy.sku_id,
        sortable={"sku_id": ReorderPolicy.sku_id},
        default_sort="sku_id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    policies: list[ReorderPolicy] = page.items
    ids = [p.sku_id for p in policies]
    skus = {s.id: s for s in session.scalars(select(Sku).where(Sku.id.in_(ids)))}
    available = available_by_sku(session, ids)
    settings = business_settings(session)
    items = [
        Suggestion(
            sku_id=p.sku_id,
            sku_code=skus[p.sku_id].code,
            available=available[p.sku_id],
            reorder_point=p.reorder_point,
            avg_daily_demand=p.avg_daily_demand,
            lead_time_days=(
                p.lead_time_days
                if p.lead_time_days is not None
                else settings.default_lead_time_days
            ),
            order_multiple=skus[p.sku_id].order_multiple,
            suggested_qty=suggested_quantity(
                reorder_point=p.reorder_point,
                avg_daily_demand=p.avg_daily_demand,
                available=available[p.sku_id],
                review_days=settings.review_days,
                multiple=skus[p.sku_id].order_multiple,
            ),
        )
        for p in policies
    ]
    return Page(items=items, next_cursor=page.next_cursor)
