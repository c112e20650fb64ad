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
refused has held nothing another order needed. The reservations themselves go
through :func:`dinghuo.core.inventory.service.reserve`, whose conditional
UPDATE is the last word on stock never going below zero.

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


def _reserve_in(session: TenantSession, line: OrderLine, warehouse_id: int, quantity: int) -> None:
    allocation = OrderAllocation(
        order_line_id=line.id,
        sku_id=line.sku_id,
        warehouse_id=warehouse_id,
        quantity=quantity,
        status=AllocationStatus.RESERVED,
    )
    line.allocations.append(allocation)
    session.flush()
    reservation = inventory.reserve(
        session,
        None,
        sku_id=line.sku_id,
        quantity=quantity,
        reference_type=REFERENCE_TYPE,
        reference_id=str(allocation.id),
        warehouse_id=warehouse_id,
    )
    allocation.reservation_id = reservation.id


def _drop_backorders(line: OrderLine) -> None:
    for allocation in line.allocations:
        if allocation.status is AllocationStatus.BACKORDERED:
            allocation.status = AllocationStatus.RELEASED


def reserve_lines(
    session: TenantSession, lines: Iterable[OrderLine], *, backorders_allowed: bool
) -> list[Shortage]:
    """Hold each line's unheld quantity; the shortages (empty when all fit or backordered).

    Lines short of stock are left unreserved and reported, unless backorders
    are allowed, in which case the rest is backordered. The caller refuses
    the whole order on any shortage (its transaction rolls back, releasing
    what was held here).
    """
    shortages: list[Shortage] = []
    ordered = sorted(lines, key=lambda item: (item.sku_id, item.line_no))
    _load_allocations(session, ordered)
    wanting = [line for line in ordered if line.quantity > _held(line)]
    locked = _lock_levels(session, [line.sku_id for line in wanting])
    for line in wanting:
        wanted = line.quantity - _held(line)
        _drop_backorders(line)
        levels = locked[line.sku_id]
        plan = _plan(levels, wanted)
        planned = sum(quantity for _, quantity in plan)
        if planned < wanted and not backorders_allowed:
            shortages.append(
                Shortage(
                    line.line_no, line.sku_code, wanted, sum(max(a, 0) for a in levels.values())
                )
            )
            continue
        for warehouse_id, quantity in plan:
            _reserve_in(session, line, warehouse_id, quantity)
            levels[warehouse_id] -= quantity
        if planned < wanted:
            line.allocations.append(
                OrderAllocation(
                    order_line_id=line.id,
                    sku_id=line.sku_id,
                    warehouse_id=None,
                    quantity=wanted - planned,
                    status=AllocationStatus.BACKORDERED,
                )
            )
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
    released = 0
    for line in sorted(lines, key=lambda item: (item.sku_id, item.line_no)):
        for allocation in line.allocations:
            if allocation.status is AllocationStatus.RESERVED:
                assert allocation.reservation_id is not None
                inventory.release(session, None, allocation.reservation_id, reason)
                released += allocation.quantity
            elif allocation.status is not AllocationStatus.BACKORDERED:
                continue
            allocation.status = AllocationStatus.RELEASED
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
    for allocation in movable:
        if remaining == 0:
            break
        take = min(allocation.quantity, remaining)
        if allocation.status is AllocationStatus.RESERVED:
            assert allocation.reservation_id is not None and allocation.warehouse_id is not None
            inventory.release(session, None, allocation.reservation_id, reason)
            if take < allocation.quantity:
                _reserve_in(session, line, allocation.warehouse_id, allocation.quantity - take)
        elif take < allocation.quantity:
            line.allocations.append(
                OrderAllocation(
                    order_line_id=line.id,
                    sku_id=line.sku_id,
                    quantity=allocation.quantity - take,
                    status=AllocationStatus.BACKORDERED,
                )
            )
        allocation.status = AllocationStatus.RELEASED
        remaining -= take
    _lock_levels(session, [line.sku_id])
    _reserve_in(session, line, warehouse_id, quantity)
    session.flush()
    return line.allocations[-1]
