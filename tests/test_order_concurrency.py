"""Submissions racing each other on PostgreSQL: never oversold, never duplicated, always told why.

Each thread has its own session (connection and transaction) and is released
by a barrier with the others. SQLite serialises writers, so these tests need
PostgreSQL and skip elsewhere.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from dinghuo.core.crm.service import add_address, create_dealer
from dinghuo.core.inventory import service as inventory
from dinghuo.core.inventory.ledger import verify_ledger
from dinghuo.core.inventory.models import StockLevel
from dinghuo.core.orders.models import AllocationStatus, Order, OrderAllocation
from dinghuo.core.orders.submission import submit_order
from dinghuo.errors import DomainError
from dinghuo.platform.auth.models import Role, User
from dinghuo.platform.auth.service import create_user, principal_for_user

pytestmark = pytest.mark.postgres

DEALERS = 50
UNITS = 100
EACH = 4
HOT = "MATE60P-SLV-256"  # 50 in SH; 50 more are received in GZ below


@pytest.fixture
def dealers(db, acme, shop):
    """50 dealers, each with a buyer and a ship-to address: (principal, address id) per dealer."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent row locking is what is under test; SQLite serialises writers")
    buyers = []
    with db.transaction(acme.id) as session:
        inventory.receive(
            session,
            None,
            warehouse_id=shop.warehouses["GZ"],
            sku_id=shop.skus[HOT],
            quantity=UNITS - 50,
        )
        for n in range(DEALERS):
            dealer = create_dealer(session, None, code=f"R{n:03d}", name_zh=f"经销商{n}")
            user = create_user(
                session,
                email=f"buyer{n}@r.test",
                name=f"Buyer {n}",
                role=Role.BUYER,
                dealer_id=dealer.id,
            )
            address = add_address(
                session,
                None,
                dealer.id,
                kind="ship_to",
                recipient="店长",
                phone="13900000000",
                province="浙江省",
                city="杭州市",
                street=f"文三路 {n} 号",
                is_default=True,
            )
            buyers.append((user.id, address.id))
    with db.transaction(acme.id) as session:
        return [(principal_for_user(session.get(User, uid)), aid) for uid, aid in buyers]


def run_at_once(db, tenant_id, work, count):
    """``work(session, index)`` in ``count`` threads released together; what each answered."""
    barrier = threading.Barrier(count)

    def one(index):
        session = db.session(tenant_id)
        try:
            barrier.wait(timeout=60)
            result = work(session, index)
            session.commit()
            return ("ok", result)
        except DomainError as error:
            session.rollback()
            return ("refused", f"{error.status} {error.message}")
        except Exception as error:  # noqa: BLE001 - any other outcome is the failure to report
            session.rollback()
            return ("error", f"{type(error).__name__}: {error}")
        finally:
            session.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_fifty_dealers_ordering_the_last_hundred_units_buy_exactly_a_hundred(
    db, acme, shop, dealers
):
    sku = shop.skus[HOT]

    def order(session, index):
        principal, address_id = dealers[index]
        result = submit_order(
            session,
            principal,
            lines=[{"sku_id": sku, "quantity": EACH}],
            ship_to_address_id=address_id,
            delivery_method="pickup",
            idempotency_key=f"hot-{index}",
        )
        return result.order.number

    outcomes = run_at_once(db, acme.id, order, DEALERS)

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == Counter({"ok": UNITS // EACH, "refused": DEALERS - UNITS // EACH}), outcomes
    for kind, said in outcomes:
        if kind == "refused":
            assert HOT in said and "available" in said, said
    numbers = sorted(number for kind, number in outcomes if kind == "ok")
    assert numbers == [f"SO-{n:06d}" for n in range(1, UNITS // EACH + 1)]  # gap-free
    with db.transaction(acme.id) as session:
        levels = session.scalars(select(StockLevel).where(StockLevel.sku_id == sku)).all()
        assert sum(level.reserved for level in levels) == UNITS
        assert all(0 <= level.reserved <= level.on_hand for level in levels)
        held = session.scalar(
            select(func.sum(OrderAllocation.quantity)).where(
                OrderAllocation.sku_id == sku, OrderAllocation.status == AllocationStatus.RESERVED
            )
        )
        assert held == UNITS
        assert session.scalar(select(func.count()).select_from(Order)) == UNITS // EACH
        assert verify_ledger(session) == []


def test_a_submit_sent_many_times_at_once_makes_one_order(db, acme, shop, dealers):
    principal, address_id = dealers[0]

    def submit(session, index):
        result = submit_order(
            session,
            principal,
            lines=[{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 2}],
            ship_to_address_id=address_id,
            delivery_method="pickup",
            idempotency_key="double-click",
        )
        return (result.order.id, result.created)

    outcomes = run_at_once(db, acme.id, submit, 10)

    assert {kind for kind, _ in outcomes} == {"ok"}, outcomes
    assert len({order_id for _, (order_id, _) in outcomes}) == 1
    assert sorted(created for _, (_, created) in outcomes) == [False] * 9 + [True]
    with db.transaction(acme.id) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
        reserved = session.scalar(
            select(func.sum(StockLevel.reserved)).where(
                StockLevel.sku_id == shop.skus["MATE60P-BLK-256"]
            )
        )
        assert reserved == 2


def test_a_tenants_first_numbers_drawn_at_once_are_distinct_and_gap_free(db, acme):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent row locking is what is under test; SQLite serialises writers")
    from dinghuo.core.orders.numbering import next_number

    start = threading.Barrier(8)

    def draw(_: int) -> str:
        with db.transaction(acme.id) as session:
            start.wait()
            return next_number(session, "order", "SO")

    with ThreadPoolExecutor(8) as pool:
        numbers = sorted(pool.map(draw, range(8)))
    assert numbers == [f"SO-{n:06d}" for n in range(1, 9)]
