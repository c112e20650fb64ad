"""The stock service as ordering, imports and the console call it: the ledger explains every level."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from dinghuo.core.inventory import service
from dinghuo.core.inventory.ledger import verify_ledger
from dinghuo.core.inventory.models import (
    MovementKind,
    ReservationStatus,
    StockLedgerIsAppendOnly,
    StockLevel,
    StockMovement,
)
from dinghuo.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user


@pytest.fixture
def acme_session(acme, db):
    session = db.session(acme.id)
    yield session
    session.rollback()
    session.close()


def actor(session, world, who):
    return principal_for_user(session.get(User, world.users[who].id))


@pytest.fixture
def stock(acme, acme_session, catalog):
    """Two active warehouses; the 256G black phone has 10 in SH and 4 in BJ."""
    owner = actor(acme_session, acme, "owner")
    sh = service.create_warehouse(acme_session, owner, code="sh", name="上海仓")
    bj = service.create_warehouse(acme_session, owner, code="BJ", name="北京仓")
    sku = catalog.skus["MATE60P-BLK-256"]
    service.receive(acme_session, owner, warehouse_id=sh.id, sku_id=sku, quantity=10)
    service.receive(acme_session, owner, warehouse_id=bj.id, sku_id=sku, quantity=4)
    return {"owner": owner, "sh": sh.id, "bj": bj.id, "sku": sku}


def level(session, warehouse_id, sku_id):
    return session.execute(
        select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku_id
        )
    ).one()


def test_warehouse_codes_are_upper_cased_and_unique_per_tenant(acme_session, stock):
    with pytest.raises(ValidationFailed) as excinfo:
        service.create_warehouse(acme_session, stock["owner"], code="SH", name="again")
    assert list(excinfo.value.fields) == ["code"]


def test_available_by_sku_sums_active_warehouses_and_answers_zero_for_unstocked(
    acme_session, stock, catalog
):
    other = catalog.skus["CHG66-WHT"]
    assert service.available_by_sku(acme_session, [stock["sku"], other]) == {
        stock["sku"]: 14,
        other: 0,
    }
    service.update_warehouse(acme_session, stock["owner"], stock["bj"], is_active=False)
    assert service.available_by_sku(acme_session, [stock["sku"]]) == {stock["sku"]: 10}


def test_reserve_picks_the_active_warehouse_with_most_available(acme_session, stock):
    reservation = service.reserve(
        acme_session,
        stock["owner"],
        sku_id=stock["sku"],
        quantity=3,
        reference_type="order_line",
        reference_id="1",
    )
    assert reservation.warehouse_id == stock["sh"]
    assert tuple(level(acme_session, stock["sh"], stock["sku"])) == (10, 3)
    assert service.available_by_sku(acme_session, [stock["sku"]])[stock["sku"]] == 11


def test_reserve_beyond_available_raises_insufficient_stock_naming_the_numbers(acme_session, stock):
    with pytest.raises(service.InsufficientStock) as excinfo:
        service.reserve(
            acme_session,
            stock["owner"],
            sku_id=stock["sku"],
            quantity=11,
            reference_type="order_line",
            reference_id="1",
        )
    error = excinfo.value
    assert isinstance(error, Conflict) and error.status == 409
    assert (error.requested, error.available) == (11, 14)
    assert "MATE60P-BLK-256" in error.message and "10 in any one warehouse" in error.message
    assert tuple(level(acme_session, stock["sh"], stock["sku"])) == (10, 0)


def test_reserving_again_for_the_same_reference_returns_the_active_reservation(acme_session, stock):
    args = dict(sku_id=stock["sku"], quantity=2, reference_type="order_line", reference_id="9")
    first = service.reserve(acme_session, stock["owner"], **args)
    again = service.reserve(acme_session, stock["owner"], **args)
    assert again.id == first.id
    assert tuple(level(acme_session, stock["sh"], stock["sku"])) == (10, 2)
    with pytest.raises(Conflict):
        service.reserve(acme_session, stock["owner"], **{**args, "quantity": 3})


def test_commit_ships_and_release_returns_and_neither_twice(acme_session, stock):
    owner = stock["owner"]
    shipped = service.reserve(
        acme_session, owner, sku_id=stock["sku"], quantity=4, reference_type="o", reference_id="1"
    )
    kept = service.reserve(
        acme_session, owner, sku_id=stock["sku"], quantity=2, reference_type="o", reference_id="2"
    )
    service.commit_reservation(acme_session, owner, shipped.id, "picked")
    service.release(acme_session, owner, kept.id, "cancelled")
    assert shipped.status is ReservationStatus.COMMITTED
    assert kept.status is ReservationStatus.RELEASED
    assert tuple(level(acme_session, stock["sh"], stock["sku"])) == (6, 0)
    for again in (service.commit_reservation, service.release):
        with pytest.raises(Conflict):
            again(acme_session, owner, shipped.id, "again")
    movements = acme_session.scalars(
        select(StockMovement).where(StockMovement.reference_id == "1").order_by(StockMovement.id)
    ).all()
    assert [(m.kind, m.on_hand_after, m.reserved_after) for m in movements] == [
        (MovementKind.RESERVATION, 10, 4),
        (MovementKind.SHIPMENT, 6, 2),
    ]


def test_negative_adjustment_beyond_available_is_refused_naming_on_hand_and_available(
    acme_session, stock
):
    owner = stock["owner"]
    service.reserve(
        acme_session, owner, sku_id=stock["sku"], quantity=7, reference_type="o", reference_id="1"
    )
    with pytest.raises(service.InsufficientStock) as excinfo:
        service.adjust(
            acme_session,
            owner,
            warehouse_id=stock["sh"],
            sku_id=stock["sku"],
            quantity=-4,
            reason="damaged",
        )
    assert "requested 4, available 3, on hand 10" in excinfo.value.message
    movement = service.adjust(
        acme_session,
        owner,
        warehouse_id=stock["sh"],
        sku_id=stock["sku"],
        quantity=-3,
        reason="damaged",
    )
    assert (movement.on_hand_after, movement.reserved_after, movement.actor_label) == (
        7,
        7,
        owner.label,
    )


def test_adjustment_needs_a_reason(acme_session, stock):
    with pytest.raises(ValidationFailed) as excinfo:
        service.adjust(
            acme_session,
            stock["owner"],
            warehouse_id=stock["sh"],
            sku_id=stock["sku"],
            quantity=1,
            reason="  ",
        )
    assert list(excinfo.value.fields) == ["reason"]


def test_stock_counts_set_levels_with_one_movement_each_and_skip_equal_counts(
    acme_session, stock, catalog
):
    charger = catalog.skus["CHG66-WHT"]
    written = service.apply_stock_counts(
        acme_session,
        None,
        [
            (stock["sh"], stock["sku"], 8),
            (stock["bj"], stock["sku"], 4),
            (stock["sh"], charger, 50),
        ],
        kind=MovementKind.ERP_SYNC,
        reason="ERP nightly",
    )
    assert written == 2
    assert tuple(level(acme_session, stock["sh"], stock["sku"])) == (8, 0)
    assert tuple(level(acme_session, stock["sh"], charger)) == (50, 0)
    last = acme_session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (last.kind, last.actor_type) == (MovementKind.ERP_SYNC, "system")


def test_counting_fewer_than_reserved_is_refused(acme_session, stock):
    service.reserve(
        acme_session,
        stock["owner"],
        sku_id=stock["sku"],
        quantity=6,
        reference_type="o",
        reference_id="1",
        warehouse_id=stock["sh"],
    )
    with pytest.raises(service.InsufficientStock):
        service.apply_stock_counts(
            acme_session, stock["owner"], [(stock["sh"], stock["sku"], 5)], reason="count"
        )


def test_sales_may_read_stock_but_not_move_it(acme, acme_session, stock):
    sales = actor(acme_session, acme, "sales")
    assert service.available_by_sku(acme_session, [stock["sku"]])
    service.list_levels(acme_session, sales)
    with pytest.raises(PermissionDenied):
        service.receive(
            acme_session, sales, warehouse_id=stock["sh"], sku_id=stock["sku"], quantity=1
        )


def test_warehouse_with_history_is_deactivated_not_deleted(acme_session, stock):
    with pytest.raises(Conflict):
        service.delete_warehouse(acme_session, stock["owner"], stock["sh"])
    empty = service.create_warehouse(acme_session, stock["owner"], code="GZ", name="广州仓")
    service.delete_warehouse(acme_session, stock["owner"], empty.id)
    with pytest.raises(NotFound):
        service.get_warehouse(acme_session, stock["owner"], empty.id)


def test_movements_cannot_be_changed(acme_session, stock):
    movement = acme_session.scalars(select(StockMovement)).first()
    movement.on_hand_delta = 99
    with pytest.raises(StockLedgerIsAppendOnly):
        acme_session.flush()


def test_levels_equal_their_ledger_after_random_operations(acme_session, stock, catalog):
    owner = stock["owner"]
    rng = random.Random(3)
    skus = [stock["sku"], catalog.skus["CHG66-WHT"], catalog.skus["MATE60P-SLV-512"]]
    warehouses = [stock["sh"], stock["bj"]]
    active: list[int] = []
    for step in range(300):
        sku, warehouse = rng.choice(skus), rng.choice(warehouses)
        op = rng.choice(["receive", "adjust", "reserve", "release", "commit", "count", "return"])
        try:
            if op == "receive":
                service.receive(
                    acme_session,
                    owner,
                    warehouse_id=warehouse,
                    sku_id=sku,
                    quantity=rng.randint(1, 9),
                )
            elif op == "adjust":
                service.adjust(
                    acme_session,
                    owner,
                    warehouse_id=warehouse,
                    sku_id=sku,
                    quantity=rng.choice([-1, 1]) * rng.randint(1, 6),
                    reason="random",
                )
            elif op == "return":
                service.record_return(
                    acme_session,
                    owner,
                    warehouse_id=warehouse,
                    sku_id=sku,
                    quantity=1,
                    reason="rma",
                )
            elif op == "reserve":
                reservation = service.reserve(
                    acme_session,
                    owner,
                    sku_id=sku,
                    quantity=rng.randint(1, 5),
                    reference_type="order_line",
                    reference_id=str(step),
                )
                active.append(reservation.id)
            elif op in ("release", "commit") and active:
                chosen = active.pop(rng.randrange(len(active)))
                close = service.release if op == "release" else service.commit_reservation
                close(acme_session, owner, chosen, op)
            elif op == "count":
                service.apply_stock_counts(
                    acme_session, owner, [(warehouse, sku, rng.randint(0, 20))], reason="count"
                )
        except service.InsufficientStock:
            pass
        for row in acme_session.scalars(select(StockLevel)):
            acme_session.refresh(row)
            assert 0 <= row.reserved <= row.on_hand
    assert verify_ledger(acme_session) == []


def test_stock_check_command_lists_levels_that_differ_from_their_ledger(
    app, acme, db, catalog, monkeypatch
):
    from click.testing import CliRunner
    from sqlalchemy import update

    from dinghuo import cli
    from dinghuo.core.inventory import cli as stock_cli

    monkeypatch.setattr(stock_cli, "_app", lambda: app)
    sku = catalog.skus["MATE60P-BLK-256"]
    with db.transaction(acme.id) as session:
        warehouse = service.create_warehouse(session, None, code="SH", name="上海仓").id
        service.receive(session, None, warehouse_id=warehouse, sku_id=sku, quantity=5)

    clean = CliRunner().invoke(cli.main, ["stock", "check"])
    assert clean.exit_code == 0, clean.output
    assert "consistent" in clean.output

    with db.transaction(acme.id) as session:
        # Behind the service's back: the only way a level can drift from its ledger.
        session.execute(update(StockLevel.__table__).values(on_hand=7))
    drifted = CliRunner().invoke(cli.main, ["stock", "check", "--tenant", "acme"])
    assert drifted.exit_code == 1
    assert f"warehouse {warehouse} sku {sku}" in drifted.output
    assert "level on_hand=7" in drifted.output and "ledger sums on_hand=5" in drifted.output
