"""Holding stock for orders: one :class:`OrderAllocation` per line and warehouse.

Each RESERVED allocation is backed by exactly one inventory reservation whose
reference is ``("order_allocation", <allocation id>)``; a line is split over
warehouses when no single one holds it all, and with backorders allowed the
rest is a BACKORDERED allocation without a reservation.

Correct under concurrency by construction: lines are reserved in SKU-id
order, and for each SKU every active warehouse's stock level is locked
(``SELECT ... FOR UPDATE``, in warehouse order) before the split is decided,
so the decision is made on figures nobody else can change, two orders never
lock the same rows in opposite orders (no deadlock), and an order that is
refused has held nothing another order needed.

Whole orders at once: every line is planned on the locked figures first, then
the allocations are inserted in one statement and the reservations made with
one :func:`dinghuo.core.inventory.service.reserve_many` (whose conditional
UPDATE is the last word on stock never going below zero); releasing is one
:func:`~dinghuo.core.inventory.service.release_many`. An order of 1,000 lines
costs the same number of statements as one of 20.

These functions act as the system (inventory ``actor=None``): the order
services call them after authorising their own caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from dinghuo.core.inventory import service as inventory
from dinghuo.core.inventory.models import StockLevel, Warehouse
from dinghuo.core.inventory.service import ReservationRequest
from dinghuo.core.orders.models import AllocationStatus, Order, OrderAllocation, OrderLine
from dinghuo.db import TenantSession
from dinghuo.errors import Conflict, ValidationFailed
from dinghuo.platform.tenants.business import business_settings

REFERENCE_TYPE = "order_allocation"
HELD = frozenset({AllocationStatus.RESERVED, AllocationStatus.SHIPPED})


@dataclass(frozen=True)
class Shortage:
    """A line that cannot be held in full: what it wants and what all warehouses have."""

    line_no: int
    sku_code: str
    requested: int
    available: int

    @property
    def field(self) -> str:
        return f"lines.{self.line_no - 1}.quantity"

    @property
    def message(self) -> str:
        return (
            f"Only {self.available} of {self.sku_code} available; "
            f"this line asks for {self.requested}."
        )


class StockShort(Conflict):
    """Stock ran out for some lines while the order was being held (409, naming each line)."""

    code = "insufficient_stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        details = " ".join(f"Line {s.line_no}: {s.message}" for s in shortages)
        super().__init__(
            f"Not enough stock for {len(shortages)} line(s); nothing was reserved. {details}",
            fields={s.field: [s.message] for s in shortages},
        )
        self.shortages = shortages


def _held(line: OrderLine) -> int:
    return sum(a.quantity for a in line.allocations if a.status in HELD)


def _lock_levels(session: TenantSession, sku_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Available units per SKU and active warehouse, the rows locked until commit.

    One query; PostgreSQL locks the rows in the ORDER BY order (its LockRows
    step runs above the sort), so every order locks in SKU, warehouse order.
    """
    levels: dict[int, dict[int, int]] = {sku_id: {} for sku_id in sku_ids}
    if not levels:
        return levels
    rows = session.execute(
        select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku_id.in_(levels), Warehouse.is_active.is_(True))
        .order_by(StockLevel.sku_id, StockLevel.warehouse_id)
        .with_for_update(of=StockLevel)
    ).all()
    for row in rows:
        levels[row.sku_id][row.warehouse_id] = row.on_hand - row.reserved
    return levels


def _load_allocations(session: TenantSession, lines: list[OrderLine]) -> None:
    """Load every line's allocations in one query instead of one per line."""
    ids = [line.id for line in lines if "allocations" not in inspect(line).dict]
    if not ids:
        return
    found: dict[int, list[OrderAllocation]] = {line_id: [] for line_id in ids}
    for row in session.scalars(
        select(OrderAllocation)
        .where(OrderAllocation.order_line_id.in_(ids))
        .order_by(OrderAllocation.id)
    ):
        found[row.order_line_id].append(row)
    for line in lines:
        if line.id in found:
            set_committed_value(line, "allocations", found[line.id])


def _plan(levels: dict[int, int], wanted: int) -> list[tuple[int, int]]:
    """Which warehouses give how many: one that holds it all (the fullest), else the fullest first."""
    stocked = sorted(
        ((warehouse, available) for warehouse, available in levels.items() if available > 0),
        key=lambda level: (-level[1], level[0]),
    )
    if stocked and stocked[0][1] >= wanted:
        return [(stocked[0][0], wanted)]
    plan, remaining = [], wanted
    for warehouse, available in stocked:
        if remaining == 0:
            break
        take = min(available, remaining)
        plan.append((warehouse, take))
        remaining -= take
    return plan


def _allocate(
    line: OrderLine, warehouse_id: int | None, quantity: int, status: AllocationStatus
) -> OrderAllocation:
    allocation = OrderAllocation(
        order_line_id=line.id,
        sku_id=line.sku_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        status=status,
    )
    line.allocations.append(allocation)
    return allocation


def _hold(session: TenantSession, allocations: list[OrderAllocation]) -> None:
    """Back each new RESERVED allocation with its reservation, all in one go.

    One INSERT for the allocations (with any other new ones: their ids are
    the reservations' references), one bulk reservation, and the reservation
    ids set on the allocations.
    """
    session.flush()
    requests = []
    for allocation in allocations:
        assert allocation.warehouse_id is not None
        requests.append(
            ReservationRequest(
                sku_id=allocation.sku_id,
                warehouse_id=allocation.warehouse_id,
                quantity=allocation.quantity,
                reference_type=REFERENCE_TYPE,
                reference_id=str(allocation.id),
            )
        )
    reservations = inventory.reserve_many(session, None, requests)
    for allocation, reservation in zip(allocations, reservations, strict=True):
        allocation.reservation_id = reservation.id


def _drop_backorders(line: OrderLine) -> None:
    for allocation in line.allocations:
        if allocation.status is AllocationStatus.BACKORDERED:
            allocation.status = AllocationStatus.RELEASED


def reserve_lines(
    session: TenantSession, lines: Iterable[OrderLine], *, backorders_allowed: bool
) -> list[Shortage]:
    """Hold each line's unheld quantity; the shortages (empty when all fit or backordered).

    Every line is planned on the locked levels before anything is written.
    When backorders are not allowed and any line is short, nothing is held
    and the short lines are returned (the caller refuses the order); with
    backorders allowed, what stock cannot cover is backordered.
    """
    ordered = sorted(lines, key=lambda item: (item.sku_id, item.line_no))
    _load_allocations(session, ordered)
    wanting = [line for line in ordered if line.quantity > _held(line)]
    locked = _lock_levels(session, [line.sku_id for line in wanting])
    shortages: list[Shortage] = []
    plans: list[tuple[OrderLine, int, list[tuple[int, int]]]] = []
    for line in wanting:
        wanted = line.quantity - _held(line)
        levels = locked[line.sku_id]
        plan = _plan(levels, wanted)
        planned = sum(quantity for _, quantity in plan)
        if planned < wanted and not backorders_allowed:
            available = sum(max(a, 0) for a in levels.values())
            shortages.append(Shortage(line.line_no, line.sku_code, wanted, available))
            continue
        for warehouse_id, quantity in plan:
            levels[warehouse_id] -= quantity
        plans.append((line, wanted - planned, plan))
    if shortages:
        return shortages
    held: list[OrderAllocation] = []
    for line, backordered, plan in plans:
        _drop_backorders(line)
        for warehouse_id, quantity in plan:
            held.append(_allocate(line, warehouse_id, quantity, AllocationStatus.RESERVED))
        if backordered:
            _allocate(line, None, backordered, AllocationStatus.BACKORDERED)
    _hold(session, held)
    session.flush()
    return shortages


def reserve_order(session: TenantSession, order: Order) -> None:
    """Hold stock for every line of ``order`` per the tenant's backorder rule, or raise 409.

    Raises :class:`StockShort` naming each line that cannot be held when
    backorders are not allowed; the caller's transaction must then roll back.
    """
    settings = business_settings(session)
    shortages = reserve_lines(session, order.lines, backorders_allowed=settings.backorders_allowed)
    if shortages:
        raise StockShort(shortages)


def release_lines(session: TenantSession, lines: Iterable[OrderLine], reason: str) -> int:
    """Give back every unshipped unit held or backordered for ``lines``; units released."""
    ordered = sorted(lines, key=lambda item: (item.sku_id, item.line_no))
    _load_allocations(session, ordered)
    reservation_ids: list[int] = []
    released = 0
    for line in ordered:
        for allocation in line.allocations:
            if allocation.status is AllocationStatus.RESERVED:
                assert allocation.reservation_id is not None
                reservation_ids.append(allocation.reservation_id)
                released += allocation.quantity
            elif allocation.status is not AllocationStatus.BACKORDERED:
                continue
            allocation.status = AllocationStatus.RELEASED
    inventory.release_many(session, None, reservation_ids, reason)
    session.flush()
    return released


def release_order(session: TenantSession, order: Order, reason: str) -> int:
    """Release all of ``order``'s reservations and backorders (cancelled, rejected, changed)."""
    return release_lines(session, order.lines, reason)


def reallocate(
    session: TenantSession, line: OrderLine, warehouse_id: int, quantity: int, reason: str
) -> OrderAllocation:
    """Hold ``quantity`` of ``line``'s unshipped units in ``warehouse_id`` instead of elsewhere.

    For staff choosing where a line ships from: the units are taken from the
    line's backordered quantity first, then from its reservations in other
    warehouses (the last one split when only part of it moves), and reserved in
    ``warehouse_id``; all or nothing (409 when the warehouse lacks the stock).
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed.field("quantity", "Must be a whole number above zero.")
    movable = [
        a
        for a in line.allocations
        if a.status is AllocationStatus.BACKORDERED
        or (a.status is AllocationStatus.RESERVED and a.warehouse_id != warehouse_id)
    ]
    movable.sort(key=lambda a: (a.status is not AllocationStatus.BACKORDERED, a.id))
    if sum(a.quantity for a in movable) < quantity:
        raise ValidationFailed.field(
            "quantity",
            f"Line {line.line_no} has {sum(a.quantity for a in movable)} units that could move.",
        )
    remaining = quantity
    released: list[int] = []
    held: list[OrderAllocation] = []
    for allocation in movable:
        if remaining == 0:
            break
        take = min(allocation.quantity, remaining)
        if allocation.status is AllocationStatus.RESERVED:
            assert allocation.reservation_id is not None and allocation.warehouse_id is not None
            released.append(allocation.reservation_id)
            if take < allocation.quantity:
                held.append(
                    _allocate(
                        line,
                        allocation.warehouse_id,
                        allocation.quantity - take,
                        AllocationStatus.RESERVED,
                    )
                )
        elif take < allocation.quantity:
            _allocate(line, None, allocation.quantity - take, AllocationStatus.BACKORDERED)
        allocation.status = AllocationStatus.RELEASED
        remaining -= take
    inventory.release_many(session, None, released, reason)
    _lock_levels(session, [line.sku_id])
    moved = _allocate(line, warehouse_id, quantity, AllocationStatus.RESERVED)
    _hold(session, [*held, moved])
    session.flush()
    return moved
