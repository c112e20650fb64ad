"""Reorder points from demand, low-stock alerts with one ``stock.low`` each, suggestions."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dinghuo.core.inventory import reorder, service
from dinghuo.core.inventory.jobs import recompute_reorder_points
from dinghuo.core.inventory.models import (
    AlertStatus,
    MovementKind,
    ReorderPolicy,
    StockAlert,
    StockMovement,
)
from dinghuo.platform.events.models import OutboxEvent
from dinghuo.platform.jobs import enqueue
from dinghuo.platform.jobs.schedule import periodic_jobs
from dinghuo.platform.tenants.business import update_business_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def acme_session(acme, db):
    session = db.session(acme.id)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def warehouse(acme_session, catalog):
    return service.create_warehouse(acme_session, None, code="SH", name="上海仓").id


def ship_history(session, warehouse_id, sku_id, today, units_per_day):
    """Shipment movements on the days before ``today`` (oldest first), at noon Shanghai time.

    Written straight into the ledger: these tests are about the arithmetic,
    not about how the shipments were made.
    """
    days = len(units_per_day)
    for back, units in zip(range(days, 0, -1), units_per_day, strict=True):
        if not units:
            continue
        day = today - dt.timedelta(days=back)
        session.add(
            StockMovement(
                warehouse_id=warehouse_id,
                sku_id=sku_id,
                kind=MovementKind.SHIPMENT,
                on_hand_delta=-units,
                reserved_delta=-units,
                on_hand_after=0,
                reserved_after=0,
                actor_type="system",
                actor_label="system",
                created_at=dt.datetime.combine(day, dt.time(12), SHANGHAI).astimezone(dt.UTC),
            )
        )
    session.flush()


def test_reorder_point_is_lead_time_demand_plus_safety_stock_counting_idle_days_as_zero(
    acme_session, warehouse, catalog
):
    update_business_settings(acme_session, None, {"demand_window_days": 7, "service_level": "0.95"})
    sku = catalog.skus["MATE60P-BLK-256"]
    today = dt.date(2024, 6, 10)
    series = [10, 0, 10, 0, 10, 0, 0]
    ship_history(acme_session, warehouse, sku, today, series)
    # Outside the window: the day before it, and today (not yet complete).
    ship_history(acme_session, warehouse, sku, today - dt.timedelta(days=7), [99])
    ship_history(acme_session, warehouse, sku, today + dt.timedelta(days=1), [99])

    reorder.compute_policies(acme_session, today=today)

    policy = acme_session.scalar(select(ReorderPolicy).where(ReorderPolicy.sku_id == sku))
    z = statistics.NormalDist().inv_cdf(0.95)
    safety = math.ceil(z * statistics.pstdev(series) * math.sqrt(7))
    assert policy.safety_stock == safety
    assert policy.computed_reorder_point == math.ceil(30 / 7 * 7 + safety)
    assert policy.avg_daily_demand == Decimal("4.29")


def test_the_skus_own_lead_time_and_manual_point_win_and_null_restores_them(
    acme, acme_session, warehouse, catalog
):
    update_business_settings(acme_session, None, {"demand_window_days": 7})
    sku = catalog.skus["MATE60P-BLK-256"]
    today = dt.datetime.now(SHANGHAI).date()
    ship_history(acme_session, warehouse, sku, today, [2] * 7)

    view = reorder.update_policy(acme_session, None, sku, lead_time_days=3)
    assert (view.effective_lead_time_days, view.reorder_point) == (3, 6)
    view = reorder.update_policy(acme_session, None, sku, manual_reorder_point=50)
    assert (view.computed_reorder_point, view.reorder_point) == (6, 50)
    view = reorder.update_policy(
        acme_session, None, sku, manual_reorder_point=None, lead_time_days=None
    )
    assert (view.effective_lead_time_days, view.reorder_point) == (7, 14)


def test_low_stock_opens_one_alert_emits_stock_low_once_and_resolves_on_recovery(
    acme_session, warehouse, catalog
):
    sku = catalog.skus["MATE60P-BLK-256"]
    service.receive(acme_session, None, warehouse_id=warehouse, sku_id=sku, quantity=30)
    reorder.update_policy(acme_session, None, sku, manual_reorder_point=20)
    assert acme_session.scalars(select(StockAlert)).all() == []

    for line, quantity in enumerate([15, 5]):
        service.reserve(
            acme_session,
            None,
            sku_id=sku,
            quantity=quantity,
            reference_type="order_line",
            reference_id=str(line),
        )
    alerts = acme_session.scalars(select(StockAlert)).all()
    assert [(a.status, a.available, a.reorder_point) for a in alerts] == [
        (AlertStatus.OPEN, 10, 20)
    ]
    events = acme_session.scalars(select(OutboxEvent).where(OutboxEvent.type == "stock.low")).all()
    assert len(events) == 1
    assert events[0].payload["sku_code"] == "MATE60P-BLK-256"
    assert events[0].payload["alert_id"] == alerts[0].id

    service.receive(acme_session, None, warehouse_id=warehouse, sku_id=sku, quantity=50)
    assert alerts[0].status is AlertStatus.RESOLVED and alerts[0].resolved_at is not None

    service.adjust(
        acme_session, None, warehouse_id=warehouse, sku_id=sku, quantity=-55, reason="flood"
    )
    assert len(acme_session.scalars(select(StockAlert)).all()) == 2
    assert (
        len(acme_session.scalars(select(OutboxEvent).where(OutboxEvent.type == "stock.low")).all())
        == 2
    )


def test_suggestion_covers_review_days_of_demand_rounded_up_to_the_order_multiple(
    acme_session, warehouse, catalog
):
    update_business_settings(acme_session, None, {"demand_window_days": 7, "review_days": 10})
    charger = catalog.skus["CHG66-WHT"]  # order multiple 10
    today = dt.datetime.now(SHANGHAI).date()
    ship_history(acme_session, warehouse, charger, today, [3] * 7)
    reorder.update_policy(acme_session, None, charger, manual_reorder_point=25)
    service.receive(acme_session, None, warehouse_id=warehouse, sku_id=charger, quantity=12)

    page = reorder.list_suggestions(acme_session, None)
    (suggestion,) = page.items
    # 25 + 10 days × 3/day − 12 available = 43 → 50 in tens.
    assert (suggestion.sku_code, suggestion.available, suggestion.suggested_qty) == (
        "CHG66-WHT",
        12,
        50,
    )
    alert = acme_session.scalar(select(StockAlert).where(StockAlert.sku_id == charger))
    assert alert.suggested_qty == 50


def test_nightly_job_is_scheduled_and_computes_policies(acme, app, db, catalog, run_jobs):
    assert any(job.name == "inventory.reorder_points" for job in periodic_jobs())
    with db.transaction(acme.id) as session:
        warehouse = service.create_warehouse(session, None, code="SH", name="上海仓")
        service.receive(
            session, None, warehouse_id=warehouse.id, sku_id=catalog.skus["X7-BLK-1T"], quantity=3
        )
        enqueue(session, recompute_reorder_points)
    run_jobs()
    with db.transaction(acme.id) as session:
        policy = session.scalar(
            select(ReorderPolicy).where(ReorderPolicy.sku_id == catalog.skus["X7-BLK-1T"])
        )
        assert policy is not None and policy.computed_at is not None
