"""Submitting and cancelling an order cost the same statements for 20 lines as for 200.

Every per-line step of the path (rules, pricing, freezing, holding stock,
giving it back) reads and writes the lines as a set. SQLite cannot return the
ids of a multi-row INSERT in order, so SQLAlchemy inserts new rows one at a
time there (in process, no round trip): consecutive identical INSERTs count
once on SQLite. On PostgreSQL every statement counts.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event, insert, select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.inventory.models import StockLevel
from dinghuo.core.orders import service, submission
from dinghuo.core.orders.models import AllocationStatus, OrderAllocation
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user


@pytest.fixture
def bulk_skus(acme, shop, db):
    """220 more SKUs of the phone's product, 5 of each in SH and GZ."""
    with db.transaction(acme.id) as session:
        product_id = session.scalar(select(Sku.product_id).where(Sku.code == "MATE60P-BLK-256"))
        session.execute(
            insert(Sku),
            [
                {
                    "tenant_id": acme.id,
                    "product_id": product_id,
                    "code": f"BULK-{n:04d}",
                    "variant": {"批次": str(n)},
                    "base_price": Decimal("10.00"),
                    "msrp": Decimal("20.00"),
                    "position": 100 + n,
                }
                for n in range(220)
            ],
        )
        ids = list(session.scalars(select(Sku.id).where(Sku.code.like("BULK-%")).order_by(Sku.id)))
        session.execute(
            insert(StockLevel),
            [
                {"tenant_id": acme.id, "warehouse_id": warehouse_id, "sku_id": sku_id}
                | {"on_hand": 5, "reserved": 0}
                for warehouse_id in shop.warehouses.values()
                for sku_id in ids
            ],
        )
    return ids


class Statements:
    """Counts the statements sent while active (see the module doc for SQLite's INSERTs)."""

    def __init__(self, session) -> None:
        self.engine = session.get_bind()
        self.sqlite = self.engine.dialect.name == "sqlite"
        self.sent: list[str] = []

    def _record(self, conn, cursor, statement, *args) -> None:
        repeated = self.sent and self.sent[-1] == statement
        if not (self.sqlite and repeated and statement.startswith("INSERT")):
            self.sent.append(statement)

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_submitting_and_cancelling_take_the_same_statements_for_20_lines_as_for_200(
    acme, shop, db, bulk_skus
):
    def submit_and_cancel(skus: list[int], key: str) -> tuple[int, int]:
        with db.transaction(acme.id) as session:
            buyer = principal_for_user(session.get(User, acme.users["buyer"].id))
            # 3 units a line: 2 lines in 5 split over both warehouses
            lines = [(sku_id, 3) for sku_id in skus]
            with Statements(session) as submitting:
                order = submission.submit_order(
                    session,
                    buyer,
                    lines=lines,
                    ship_to_address_id=shop.addresses["D001"],
                    delivery_method="pickup",
                    idempotency_key=key,
                ).order
                session.flush()
            held = session.scalars(
                select(OrderAllocation.quantity).where(
                    OrderAllocation.status == AllocationStatus.RESERVED
                )
            ).all()
            assert sum(held) >= 3 * len(skus)
            with Statements(session) as cancelling:
                service.cancel_order(session, buyer, order.id, "changed my mind")
                session.flush()
        return len(submitting.sent), len(cancelling.sent)

    # warm up the first order's one-off statements (number sequence, caches)
    submit_and_cancel(bulk_skus[:5], "warm-up")

    assert submit_and_cancel(bulk_skus[:20], "twenty") == submit_and_cancel(
        bulk_skus[20:220], "two-hundred"
    )
