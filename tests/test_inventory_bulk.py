"""Reserving and releasing a whole order's stock at once: the same rules as one at a time.

``reserve_many`` / ``release_many`` (and ``ledger.move_many`` under them) are
what order submission uses: all or nothing, levels always equal to the ledger,
never below zero, idempotent by reference, the low-stock check run once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dinghuo.core.inventory import reorder, service
from dinghuo.core.inventory.ledger import InsufficientStock, verify_ledger
from dinghuo.core.inventory.models import (
    AlertStatus,
    MovementKind,
    Reservation,
    ReservationStatus,
    StockAlert,
    StockLevel,
    StockMovement,
)
from dinghuo.core.inventory.service import ReservationRequest
from dinghuo.errors import Conflict, NotFound, ValidationFailed


@pytest.fixture
def session(acme, shop, db):
    session = db.session(acme.id)
    yield session
    session.rollback()
    session.close()


def _request(shop, code, warehouse, quantity, ref):
    return ReservationRequest(
        sku_id=shop.skus[code],
        warehouse_id=shop.warehouses[warehouse],
        quantity=quantity,
        reference_type="order_allocation",
        reference_id=ref,
    )


def _levels(session):
    return session.execute(
        select(
            StockLevel.warehouse_id, StockLevel.sku_id, StockLevel.on_hand, StockLevel.reserved
        ).order_by(StockLevel.warehouse_id, StockLevel.sku_id)
    ).all()


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_batch_holds_every_line_with_one_movement_each_and_answers_the_same_again(session, shop):
    requests = [
        _request(shop, "MATE60P-BLK-256", "SH", 150, "1"),
        _request(shop, "MATE60P-BLK-256", "SH", 50, "2"),  # the same level twice: 200 of 200
        _request(shop, "MATE60P-BLK-256", "GZ", 20, "3"),
        _request(shop, "CHG66-WHT", "GZ", 30, "4"),
    ]

    held = service.reserve_many(session, None, requests)

    assert [(r.quantity, r.reference_id, r.status) for r in held] == [
        (150, "1", ReservationStatus.ACTIVE),
        (50, "2", ReservationStatus.ACTIVE),
        (20, "3", ReservationStatus.ACTIVE),
        (30, "4", ReservationStatus.ACTIVE),
    ]
    assert service.available_by_sku(session, [shop.skus["MATE60P-BLK-256"]]) == {
        shop.skus["MATE60P-BLK-256"]: 0
    }
    movements = session.execute(
        select(
            StockMovement.reference_id, StockMovement.reserved_delta, StockMovement.reserved_after
        )
        .where(StockMovement.kind == MovementKind.RESERVATION)
        .order_by(StockMovement.id)
    ).all()
    assert [tuple(m) for m in movements] == [
        ("1", 150, 150),
        ("2", 50, 200),
        ("3", 20, 20),
        ("4", 30, 30),
    ]
    assert verify_ledger(session) == []

    again = service.reserve_many(session, None, requests)
    assert [r.id for r in again] == [r.id for r in held]
    assert _count(session, Reservation) == 4
    with pytest.raises(Conflict, match="already holds an active reservation"):
        service.reserve_many(session, None, [_request(shop, "CHG66-WHT", "GZ", 31, "4")])


def test_a_batch_with_one_line_short_is_refused_naming_its_sku_and_writes_nothing(session, shop):
    before = _levels(session)
    movements = _count(session, StockMovement)

    with pytest.raises(InsufficientStock) as refused:
        service.reserve_many(
            session,
            None,
            [
                _request(shop, "MATE60P-BLK-256", "SH", 10, "1"),
                _request(shop, "MATE60P-SLV-512", "GZ", 5, "2"),
                _request(shop, "MATE60P-SLV-512", "GZ", 5, "3"),  # 10 of the 8 there
            ],
        )

    assert refused.value.sku_code == "MATE60P-SLV-512" and refused.value.status == 409
    assert "requested 5, available 3" in str(refused.value)
    assert _levels(session) == before
    assert _count(session, StockMovement) == movements and _count(session, Reservation) == 0

    with pytest.raises(ValidationFailed) as bad:
        service.reserve_many(
            session,
            None,
            [
                _request(shop, "CHG66-WHT", "SH", 1, "4"),
                ReservationRequest(shop.skus["CHG66-WHT"], 999_999, 1, "order_allocation", "5"),
            ],
        )
    assert list(bad.value.fields) == ["requests[1].warehouse_id"]
    assert _levels(session) == before


def test_releasing_a_batch_gives_everything_back_once(session, shop):
    held = service.reserve_many(
        session,
        None,
        [
            _request(shop, "MATE60P-BLK-256", "SH", 5, "1"),
            _request(shop, "CHG66-WHT", "SH", 40, "2"),
        ],
    )
    ids = [r.id for r in held]

    released = service.release_many(session, None, ids, "order cancelled")

    assert [r.status for r in released] == [ReservationStatus.RELEASED] * 2
    assert all(r.closed_at is not None for r in released)
    assert session.scalar(select(func.sum(StockLevel.reserved))) == 0
    assert verify_ledger(session) == []
    reasons = session.scalars(
        select(StockMovement.reason).where(StockMovement.kind == MovementKind.RELEASE)
    ).all()
    assert reasons == ["order cancelled", "order cancelled"]
    with pytest.raises(Conflict, match="is released"):
        service.release_many(session, None, ids, "again")
    with pytest.raises(NotFound):
        service.release_many(session, None, [max(ids) + 100], "unknown")


def test_the_low_stock_check_runs_once_for_the_batch(session, shop):
    reorder.update_policy(session, None, shop.skus["MATE60P-SLV-256"], manual_reorder_point=45)
    reorder.update_policy(session, None, shop.skus["CHG66-WHT"], manual_reorder_point=1000)

    service.reserve_many(
        session,
        None,
        [
            _request(shop, "MATE60P-SLV-256", "SH", 10, "1"),  # 40 left, under 45
            _request(shop, "CHG66-WHT", "SH", 50, "2"),  # 1,050 left, over 1,000
        ],
    )

    alerts = session.execute(
        select(StockAlert.sku_id, StockAlert.available).where(StockAlert.status == AlertStatus.OPEN)
    ).all()
    assert [tuple(a) for a in alerts] == [(shop.skus["MATE60P-SLV-256"], 40)]
