"""Concurrency never oversells: many connections fighting over one hot SKU on PostgreSQL.

Each thread has its own session (its own connection and transaction), all
released at once by a barrier. The conditional UPDATE must let exactly as many
reservations through as there are units, refuse every other one with
:class:`InsufficientStock`, and leave the level equal to its ledger. SQLite
serialises writers, so these tests need PostgreSQL and skip elsewhere.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from dinghuo.core.inventory import reorder, service
from dinghuo.core.inventory.ledger import verify_ledger
from dinghuo.core.inventory.models import AlertStatus, StockAlert, StockLevel
from dinghuo.platform.events.models import OutboxEvent

pytestmark = pytest.mark.postgres

THREADS = 40
STOCK = 25


@pytest.fixture
def hot_sku(db, acme, catalog):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent row locking is what is under test; SQLite serialises writers")
    sku = catalog.skus["MATE60P-BLK-256"]
    with db.transaction(acme.id) as session:
        warehouse = service.create_warehouse(session, None, code="SH", name="上海仓")
        service.receive(session, None, warehouse_id=warehouse.id, sku_id=sku, quantity=STOCK)
        reorder.update_policy(session, None, sku, manual_reorder_point=10)
    return {"sku": sku, "warehouse": warehouse.id}


def run_at_once(db, tenant_id, work, count=THREADS):
    """Run ``work(session, index)`` in ``count`` threads released together; outcome names."""
    barrier = threading.Barrier(count)

    def one(index: int) -> str:
        session = db.session(tenant_id)
        try:
            barrier.wait(timeout=60)
            work(session, index)
            session.commit()
            return "ok"
        except service.InsufficientStock:
            session.rollback()
            return "insufficient"
        except Exception as error:  # noqa: BLE001 - any other outcome is the failure to report
            session.rollback()
            return f"{type(error).__name__}: {error}"
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(one, range(count)))


def test_forty_concurrent_reservations_take_exactly_the_stock_and_refuse_the_rest(
    db, acme, hot_sku
):
    def reserve_one(session, index):
        service.reserve(
            session,
            None,
            sku_id=hot_sku["sku"],
            quantity=1,
            reference_type="order_line",
            reference_id=str(index),
        )

    outcomes = run_at_once(db, acme.id, reserve_one)

    assert outcomes == Counter({"ok": STOCK, "insufficient": THREADS - STOCK})
    with db.transaction(acme.id) as session:
        level = session.scalar(select(StockLevel).where(StockLevel.sku_id == hot_sku["sku"]))
        assert (level.on_hand, level.reserved, level.available) == (STOCK, STOCK, 0)
        assert verify_ledger(session) == []
        alerts = session.scalars(select(StockAlert)).all()
        assert [(a.status, a.available) for a in alerts] == [(AlertStatus.OPEN, 0)]
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "stock.low"))
        assert len(events.all()) == 1


def test_concurrent_receipts_adjustments_and_reservations_keep_levels_equal_to_the_ledger(
    db, acme, hot_sku
):
    def mixed(session, index):
        where = {"warehouse_id": hot_sku["warehouse"], "sku_id": hot_sku["sku"]}
        if index % 3 == 0:
            service.receive(session, None, **where, quantity=2)
        elif index % 3 == 1:
            service.adjust(session, None, **where, quantity=-3, reason="shrinkage")
        else:
            service.reserve(
                session,
                None,
                sku_id=hot_sku["sku"],
                quantity=2,
                reference_type="order_line",
                reference_id=str(index),
            )

    outcomes = run_at_once(db, acme.id, mixed)

    assert set(outcomes) <= {"ok", "insufficient"}, outcomes
    with db.transaction(acme.id) as session:
        level = session.scalar(select(StockLevel).where(StockLevel.sku_id == hot_sku["sku"]))
        assert 0 <= level.reserved <= level.on_hand
        assert verify_ledger(session) == []
