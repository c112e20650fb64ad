"""Stock: warehouses, levels, movements and reservations — the rules.

Plain functions over a tenant-bound session, called alike by the API, the
console, imports, ERP sync and ordering. Staff read with ``inventory:read``
and change with ``inventory:manage``; ``actor=None`` is the system itself
(jobs, or a service that has already authorised its caller).

Every change of stock is a :func:`dinghuo.core.inventory.ledger.move`: a
conditional UPDATE of the level and an append-only movement with the level it
left, so the levels always equal the ledger and concurrency never oversells.
Every change that can lower availability is followed by the low-stock check
of :mod:`dinghuo.core.inventory.reorder` in the same transaction.

Reservations are idempotent by reference: reserving again for the same
``reference_type``/``reference_id``/SKU while a reservation is ACTIVE returns
that reservation when the quantity is the same, and is refused (409) when it
differs. Once released or committed, the same reference may reserve anew.

:func:`reserve_many` and :func:`release_many` are the batch forms for a whole
order (one :func:`~dinghuo.core.inventory.ledger.move_many`, one INSERT or
UPDATE of the reservations, one low-stock check for all SKUs): the same rules,
all or nothing, in a number of statements that does not grow with the lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select, tuple_, update
from sqlalchemy.orm.attributes import set_committed_value

from dinghuo.api import MAX_ID
from dinghuo.api.pagination import Page, paginate
from dinghuo.core.catalog.models import Sku
from dinghuo.core.checks import require, text
from dinghuo.core.inventory import reorder
from dinghuo.core.inventory.ledger import (
    Change,
    InsufficientStock,
    Reference,
    available_by_sku,
    move,
    move_many,
    set_on_hand,
    sku_codes,
)
from dinghuo.core.inventory.models import (
    MovementKind,
    Reservation,
    ReservationStatus,
    StockLevel,
    StockMovement,
    Warehouse,
)
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import Conflict, NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

__all__ = [
    "InsufficientStock",
    "apply_stock_counts",
    "available_by_sku",
    "commit_reservation",
    "release",
    "release_many",
    "reserve",
    "reserve_many",
]

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
MAX_QUANTITY = 10_000_000
"""No single movement moves more units than this: a typo guard, far above any real pallet."""
WAREHOUSE_FIELDS = frozenset({"code", "name", "region", "address", "is_active"})
MANUAL_KINDS = frozenset({MovementKind.RECEIPT, MovementKind.ADJUSTMENT, MovementKind.RETURN})


# --- authorisation and validation ----------------------------------------------------------


def _quantity(
    field: str, value: Any, *, allow_negative: bool = False, allow_zero: bool = False
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.field(field, "Must be a whole number.")
    if abs(value) > MAX_QUANTITY:
        raise ValidationFailed.field(field, f"Must be at most {MAX_QUANTITY} units.")
    if value == 0 and not allow_zero:
        raise ValidationFailed.field(field, "Must not be zero.")
    if value < 0 and not allow_negative:
        raise ValidationFailed.field(field, "Must not be negative.")
    return value


def _reference(reference_type: Any, reference_id: Any) -> Reference:
    kind = text("reference_type", reference_type, 40, required=False) or None
    ident = text(
        "reference_id", "" if reference_id is None else str(reference_id), 64, required=False
    )
    if (kind is None) != (not ident):
        field = "reference_id" if kind else "reference_type"
        raise ValidationFailed.field(field, "Give reference_type and reference_id together.")
    return Reference(kind, ident or None)


def _is_id(value: Any) -> bool:
    """A value that can name a row (ids are INTEGER columns)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _sku(session: TenantSession, sku_id: Any, field: str = "sku_id") -> Sku:
    sku = None
    if _is_id(sku_id):
        sku = session.scalar(select(Sku).where(Sku.id == sku_id))
    if sku is None:
        raise ValidationFailed.field(field, "No such SKU.")
    return sku


def _warehouse_for_stock(
    session: TenantSession, warehouse_id: Any, *, must_be_active: bool
) -> Warehouse:
    warehouse = None
    if _is_id(warehouse_id):
        warehouse = session.scalar(select(Warehouse).where(Warehouse.id == warehouse_id))
    if warehouse is None:
        raise ValidationFailed.field("warehouse_id", "No such warehouse.")
    if must_be_active and not warehouse.is_active:
        raise ValidationFailed.field("warehouse_id", "This warehouse is inactive.")
    return warehouse


# --- warehouses ----------------------------------------------------------------------------


WAREHOUSE_SORTS = {"code": Warehouse.code, "name": Warehouse.name, "id": Warehouse.id}


def list_warehouses(
    session: TenantSession,
    actor: Principal | None,
    *,
    active: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """The tenant's warehouses; ``q`` matches code or name."""
    require(actor, Permission.INVENTORY_READ)
    query = select(Warehouse)
    if active is not None:
        query = query.where(Warehouse.is_active.is_(active))
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(or_(Warehouse.code.ilike(pattern), Warehouse.name.ilike(pattern)))
    return paginate(
        session,
        query,
        id_column=Warehouse.id,
        sortable=WAREHOUSE_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def all_warehouses(session: TenantSession, actor: Principal | None) -> list[Warehouse]:
    """Every warehouse, active first, for pickers (tenants have a handful)."""
    require(actor, Permission.INVENTORY_READ)
    query = select(Warehouse).order_by(Warehouse.is_active.desc(), Warehouse.code)
    return list(session.scalars(query))


def get_warehouse(session: TenantSession, actor: Principal | None, warehouse_id: int) -> Warehouse:
    require(actor, Permission.INVENTORY_READ)
    warehouse = session.scalar(select(Warehouse).where(Warehouse.id == warehouse_id))
    if warehouse is None:
        raise NotFound("No such warehouse.")
    return warehouse


def _warehouse_values(
    session: TenantSession, changes: Mapping[str, Any], own_id: int | None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in WAREHOUSE_FIELDS:
            raise ValidationFailed.field(name, "Unknown field.")
        if name == "code":
            code = text("code", value, 40, required=True).upper()
            if not CODE_PATTERN.match(code):
                raise ValidationFailed.field(
                    "code", "Use letters, digits, dashes or underscores (at most 40)."
                )
            existing = session.scalar(select(Warehouse.id).where(Warehouse.code == code))
            if existing is not None and existing != own_id:
                raise ValidationFailed.field("code", "A warehouse with this code already exists.")
            values[name] = code
        elif name == "name":
            values[name] = text(name, value, 200, required=True)
        elif name == "region":
            values[name] = text(name, value, 100, required=False)
        elif name == "address":
            values[name] = text(name, value, 300, required=False)
        elif name == "is_active":
            if not isinstance(value, bool):
                raise ValidationFailed.field(name, "Must be true or false.")
            values[name] = value
    return values


def create_warehouse(
    session: TenantSession,
    actor: Principal | None,
    *,
    code: str,
    name: str,
    region: str = "",
    address: str = "",
) -> Warehouse:
    """Add a warehouse (code upper-cased, unique per tenant)."""
    require(actor, Permission.INVENTORY_MANAGE)
    values = _warehouse_values(
        session, {"code": code, "name": name, "region": region, "address": address}, None
    )
    warehouse = Warehouse(**values, is_active=True)
    session.add(warehouse)
    session.flush()
    record(session, actor, "warehouse.create", "warehouse", warehouse.id, {"code": warehouse.code})
    return warehouse


def update_warehouse(
    session: TenantSession, actor: Principal | None, warehouse_id: int, **changes: Any
) -> Warehouse:
    """Change a warehouse; ``is_active: false`` takes its stock out of what is available."""
    require(actor, Permission.INVENTORY_MANAGE)
    warehouse = get_warehouse(session, actor, warehouse_id)
    values = _warehouse_values(session, changes, warehouse.id)
    for name, value in values.items():
        setattr(warehouse, name, value)
    session.flush()
    record(session, actor, "warehouse.update", "warehouse", warehouse.id, values)
    return warehouse


def delete_warehouse(session: TenantSession, actor: Principal | None, warehouse_id: int) -> None:
    """Remove a warehouse that never held stock; one with a ledger must be deactivated.

    The ledger is history that must stay explained, so a warehouse with any
    movement is refused (409) with the advice to deactivate it instead.
    """
    require(actor, Permission.INVENTORY_MANAGE)
    warehouse = get_warehouse(session, actor, warehouse_id)
    used = session.scalar(
        select(StockMovement.id).where(StockMovement.warehouse_id == warehouse.id).limit(1)
    ) or session.scalar(
        select(Reservation.id).where(Reservation.warehouse_id == warehouse.id).limit(1)
    )
    if used is not None:
        raise Conflict(
            "This warehouse has stock history and cannot be deleted; deactivate it instead."
        )
    for level in session.scalars(select(StockLevel).where(StockLevel.warehouse_id == warehouse.id)):
        session.delete(level)
    session.delete(warehouse)
    session.flush()
    record(session, actor, "warehouse.delete", "warehouse", warehouse_id, {"code": warehouse.code})


# --- levels --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelView:
    """A level with the codes and reorder point a reader needs beside it."""

    warehouse_id: int
    warehouse_code: str
    warehouse_active: bool
    sku_id: int
    sku_code: str
    on_hand: int
    reserved: int
    available: int
    reorder_point: int
    sku_available: int
    """Available over all active warehouses: what the reorder point is compared with."""


def list_levels(
    session: TenantSession,
    actor: Principal | None,
    *,
    sku_id: int | None = None,
    sku_code: str | None = None,
    warehouse_id: int | None = None,
    below_reorder_point: bool = False,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """Levels per SKU and warehouse, ordered by SKU; ``sku_code`` matches a code prefix."""
    require(actor, Permission.INVENTORY_READ)
    query: Select[Any] = select(StockLevel)
    if sku_id is not None:
        query = query.where(StockLevel.sku_id == sku_id)
    if warehouse_id is not None:
        query = query.where(StockLevel.warehouse_id == warehouse_id)
    if sku_code:
        codes = select(Sku.id).where(Sku.code.ilike(f"{sku_code.strip().upper()}%"))
        query = query.where(StockLevel.sku_id.in_(codes))
    if below_reorder_point:
        query = query.where(StockLevel.sku_id.in_(reorder.skus_below_reorder_point()))
    page = paginate(
        session,
        query,
        id_column=StockLevel.warehouse_id,
        sortable={"sku_id": StockLevel.sku_id},
        default_sort="sku_id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    return Page(items=level_views(session, page.items), next_cursor=page.next_cursor)


def level_views(session: TenantSession, levels: list[StockLevel]) -> list[LevelView]:
    """Decorate levels with codes, reorder points and SKU-wide availability (4 queries)."""
    sku_ids = {level.sku_id for level in levels}
    codes = sku_codes(session, sku_ids)
    points = reorder.reorder_points(session, sku_ids)
    totals = available_by_sku(session, sku_ids)
    warehouses = {
        w.id: w
        for w in session.scalars(
            select(Warehouse).where(Warehouse.id.in_({level.warehouse_id for level in levels}))
        )
    }
    return [
        LevelView(
            warehouse_id=level.warehouse_id,
            warehouse_code=warehouses[level.warehouse_id].code,
            warehouse_active=warehouses[level.warehouse_id].is_active,
            sku_id=level.sku_id,
            sku_code=codes.get(level.sku_id, ""),
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.on_hand - level.reserved,
            reorder_point=points.get(level.sku_id, 0),
            sku_available=totals.get(level.sku_id, 0),
        )
        for level in levels
    ]


# --- the ledger ----------------------------------------------------------------------------


MOVEMENT_SORTS = {"id": StockMovement.id, "created_at": StockMovement.created_at}


def list_movements(
    session: TenantSession,
    actor: Principal | None,
    *,
    sku_id: int | None = None,
    warehouse_id: int | None = None,
    kind: MovementKind | None = None,
    since: Any = None,
    until: Any = None,
    reference_type: str | None = None,
    reference_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """The ledger, newest first by default; ``since``/``until`` bound ``created_at`` (UTC)."""
    require(actor, Permission.INVENTORY_READ)
    query = select(StockMovement)
    if sku_id is not None:
        query = query.where(StockMovement.sku_id == sku_id)
    if warehouse_id is not None:
        query = query.where(StockMovement.warehouse_id == warehouse_id)
    if kind is not None:
        query = query.where(StockMovement.kind == MovementKind(kind))
    if since is not None:
        query = query.where(StockMovement.created_at >= since)
    if until is not None:
        query = query.where(StockMovement.created_at < until)
    if reference_type:
        query = query.where(StockMovement.reference_type == reference_type)
    if reference_id:
        query = query.where(StockMovement.reference_id == reference_id)
    return paginate(
        session,
        query,
        id_column=StockMovement.id,
        sortable=MOVEMENT_SORTS,
        default_sort="-id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def get_movement(
    session: TenantSession, actor: Principal | None, movement_id: int
) -> StockMovement:
    require(actor, Permission.INVENTORY_READ)
    movement = session.scalar(select(StockMovement).where(StockMovement.id == movement_id))
    if movement is None:
        raise NotFound("No such stock movement.")
    return movement


def _after_change(session: TenantSession, sku_ids: Iterable[int]) -> None:
    reorder.evaluate_alerts(session, sku_ids)


def receive(
    session: TenantSession,
    actor: Principal | None,
    *,
    warehouse_id: int,
    sku_id: int,
    quantity: int,
    reason: str = "",
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> StockMovement:
    """Goods received into an active warehouse: on hand rises by ``quantity``."""
    require(actor, Permission.INVENTORY_MANAGE)
    warehouse = _warehouse_for_stock(session, warehouse_id, must_be_active=True)
    sku = _sku(session, sku_id)
    movement = move(
        session,
        actor,
        warehouse_id=warehouse.id,
        sku_id=sku.id,
        kind=MovementKind.RECEIPT,
        on_hand_delta=_quantity("quantity", quantity),
        reason=text("reason", reason, 500, required=False),
        reference=_reference(reference_type, reference_id),
    )
    _after_change(session, [sku.id])
    return movement


def record_return(
    session: TenantSession,
    actor: Principal | None,
    *,
    warehouse_id: int,
    sku_id: int,
    quantity: int,
    reason: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> StockMovement:
    """Goods a dealer sent back, restocked: on hand rises; the reason is required."""
    require(actor, Permission.INVENTORY_MANAGE)
    warehouse = _warehouse_for_stock(session, warehouse_id, must_be_active=False)
    sku = _sku(session, sku_id)
    movement = move(
        session,
        actor,
        warehouse_id=warehouse.id,
        sku_id=sku.id,
        kind=MovementKind.RETURN,
        on_hand_delta=_quantity("quantity", quantity),
        reason=text("reason", reason, 500, required=True),
        reference=_reference(reference_type, reference_id),
    )
    _after_change(session, [sku.id])
    return movement


def adjust(
    session: TenantSession,
    actor: Principal | None,
    *,
    warehouse_id: int,
    sku_id: int,
    quantity: int,
    reason: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> StockMovement:
    """Correct on hand by a signed ``quantity`` (damage, loss, found); the reason is required.

    Taking away more than is available (on hand less reserved units) is
    refused with :class:`InsufficientStock` naming quantity, on hand and available.
    """
    require(actor, Permission.INVENTORY_MANAGE)
    delta = _quantity("quantity", quantity, allow_negative=True)
    why = text("reason", reason, 500, required=True)
    warehouse = _warehouse_for_stock(session, warehouse_id, must_be_active=False)
    sku = _sku(session, sku_id)
    movement = move(
        session,
        actor,
        warehouse_id=warehouse.id,
        sku_id=sku.id,
        kind=MovementKind.ADJUSTMENT,
        on_hand_delta=delta,
        reason=why,
        reference=_reference(reference_type, reference_id),
    )
    _after_change(session, [sku.id])
    return movement


def apply_stock_counts(
    session: TenantSession,
    actor: Principal | None,
    counts: Iterable[tuple[int, int, int]],
    *,
    kind: MovementKind = MovementKind.STOCK_COUNT,
    reason: str,
    reference_type: str | None = None,
    reference_id: str | None = None,
) -> int:
    """Set on hand of each (warehouse_id, sku_id) to the counted quantity; the movement count.

    Each line whose count differs writes one movement of the difference (an
    equal count writes nothing). Used by stock counts, imports (``kind`` STOCK_COUNT)
    and ERP sync (``kind`` ERP_SYNC). All lines are validated before any is
    applied; a count below the reserved units is refused (409) naming the SKU.
    """
    require(actor, Permission.INVENTORY_MANAGE)
    if kind not in (MovementKind.STOCK_COUNT, MovementKind.ERP_SYNC):
        raise ValidationFailed.field("kind", "Counts are stock_count or erp_sync movements.")
    why = text("reason", reason, 500, required=kind is MovementKind.STOCK_COUNT)
    reference = _reference(reference_type, reference_id)
    lines: dict[tuple[int, int], int] = {}
    for index, line in enumerate(counts):
        warehouse_id, sku_id, on_hand = line
        field = f"counts[{index}]"
        _warehouse_for_stock(session, warehouse_id, must_be_active=False)
        _sku(session, sku_id, field=f"{field}.sku_id")
        lines[(warehouse_id, sku_id)] = _quantity(f"{field}.on_hand", on_hand, allow_zero=True)
    written = 0
    for (warehouse_id, sku_id), on_hand in sorted(lines.items()):
        movement = set_on_hand(
            session,
            actor,
            warehouse_id=warehouse_id,
            sku_id=sku_id,
            on_hand=on_hand,
            kind=kind,
            reason=why,
            reference=reference,
        )
        written += movement is not None
    _after_change(session, sorted({sku_id for _, sku_id in lines}))
    if written:
        record(session, actor, "stock.count", "stock", None, {"kind": kind.value, "lines": written})
    return written


# --- reservations --------------------------------------------------------------------------


RESERVATION_SORTS = {"id": Reservation.id, "created_at": Reservation.created_at}


def get_reservation(
    session: TenantSession, actor: Principal | None, reservation_id: int
) -> Reservation:
    require(actor, Permission.INVENTORY_READ)
    reservation = session.scalar(select(Reservation).where(Reservation.id == reservation_id))
    if reservation is None:
        raise NotFound("No such reservation.")
    return reservation


def list_reservations(
    session: TenantSession,
    actor: Principal | None,
    *,
    sku_id: int | None = None,
    warehouse_id: int | None = None,
    status: ReservationStatus | None = None,
    reference_type: str | None = None,
    reference_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    require(actor, Permission.INVENTORY_READ)
    query = select(Reservation)
    if sku_id is not None:
        query = query.where(Reservation.sku_id == sku_id)
    if warehouse_id is not None:
        query = query.where(Reservation.warehouse_id == warehouse_id)
    if status is not None:
        query = query.where(Reservation.status == ReservationStatus(status))
    if reference_type:
        query = query.where(Reservation.reference_type == reference_type)
    if reference_id:
        query = query.where(Reservation.reference_id == reference_id)
    return paginate(
        session,
        query,
        id_column=Reservation.id,
        sortable=RESERVATION_SORTS,
        default_sort="-id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def _candidate_warehouses(session: TenantSession, sku_id: int, quantity: int) -> list[int]:
    """Active warehouses holding at least ``quantity`` available, most available first."""
    rows = session.execute(
        select(StockLevel.warehouse_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(
            StockLevel.sku_id == sku_id,
            Warehouse.is_active.is_(True),
            StockLevel.on_hand - StockLevel.reserved >= quantity,
        )
        .order_by((StockLevel.on_hand - StockLevel.reserved).desc(), StockLevel.warehouse_id)
    )
    return [row.warehouse_id for row in rows]


def reserve(
    session: TenantSession,
    actor: Principal | None,
    *,
    sku_id: int,
    quantity: int,
    reference_type: str,
    reference_id: str,
    warehouse_id: int | None = None,
) -> Reservation:
    """Hold ``quantity`` units of a SKU in one warehouse for a reference (an order line).

    The warehouse is the one given (it must be active), else the active
    warehouse with the most available that can hold it all. The conditional
    UPDATE decides under the row lock; a warehouse emptied by a concurrent
    reservation in the meantime is skipped for the next. Refusal raises
    :class:`InsufficientStock` (409). Idempotent by reference: see the module doc.
    """
    require(actor, Permission.INVENTORY_MANAGE)
    sku = _sku(session, sku_id)
    amount = _quantity("quantity", quantity)
    reference = _reference(reference_type, reference_id)
    if reference.type is None:
        raise ValidationFailed.field("reference_type", "Required.")
    existing = session.scalar(
        select(Reservation).where(
            Reservation.reference_type == reference.type,
            Reservation.reference_id == reference.id,
            Reservation.sku_id == sku.id,
            Reservation.status == ReservationStatus.ACTIVE,
        )
    )
    if existing is not None:
        if existing.quantity == amount and warehouse_id in (None, existing.warehouse_id):
            return existing
        raise Conflict(
            f"{reference.type} {reference.id} already holds an active reservation "
            f"#{existing.id} of {existing.quantity} units of SKU {sku.code}; release it first."
        )
    if warehouse_id is not None:
        candidates = [_warehouse_for_stock(session, warehouse_id, must_be_active=True).id]
    else:
        candidates = _candidate_warehouses(session, sku.id, amount)
    for candidate in candidates:
        try:
            with session.begin_nested():
                movement = move(
                    session,
                    actor,
                    warehouse_id=candidate,
                    sku_id=sku.id,
                    kind=MovementKind.RESERVATION,
                    reserved_delta=amount,
                    reason="reserved",
                    reference=reference,
                )
        except InsufficientStock:
            if warehouse_id is not None:
                raise
            continue
        reservation = Reservation(
            warehouse_id=movement.warehouse_id,
            sku_id=sku.id,
            quantity=amount,
            reference_type=reference.type,
            reference_id=reference.id,
        )
        session.add(reservation)
        session.flush()
        _after_change(session, [sku.id])
        return reservation
    total = available_by_sku(session, [sku.id])[sku.id]
    best = session.scalar(
        select(func.max(StockLevel.on_hand - StockLevel.reserved))
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku_id == sku.id, Warehouse.is_active.is_(True))
    )
    detail = ""
    if total > (best or 0):
        detail = f"At most {best or 0} in any one warehouse; a reservation is not split."
    raise InsufficientStock(
        sku_id=sku.id, sku_code=sku.code, requested=amount, available=total, detail=detail
    )


@dataclass(frozen=True)
class ReservationRequest:
    """One reservation of :func:`reserve_many`: units of a SKU in a chosen warehouse."""

    sku_id: int
    warehouse_id: int
    quantity: int
    reference_type: str
    reference_id: str


def _skus(session: TenantSession, sku_ids: Iterable[Any]) -> dict[int, Sku]:
    ids = {sku_id for sku_id in sku_ids if _is_id(sku_id)}
    if not ids:
        return {}
    return {sku.id: sku for sku in session.scalars(select(Sku).where(Sku.id.in_(ids)))}


def _active_by_reference(
    session: TenantSession, keys: Iterable[tuple[str, str, int]]
) -> dict[tuple[str, str, int], Reservation]:
    """The ACTIVE reservations of these (reference type, reference id, SKU) keys, in one query."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = session.scalars(
        select(Reservation).where(
            tuple_(Reservation.reference_type, Reservation.reference_id).in_(
                sorted({(kind, ident) for kind, ident, _ in wanted})
            ),
            Reservation.status == ReservationStatus.ACTIVE,
        )
    )
    found = {(r.reference_type, r.reference_id, r.sku_id): r for r in rows}
    return {key: reservation for key, reservation in found.items() if key in wanted}


def reserve_many(
    session: TenantSession, actor: Principal | None, requests: Sequence[ReservationRequest]
) -> list[Reservation]:
    """Make every reservation asked for, or none; the reservations in the order asked.

    The batch form of :func:`reserve` for a whole order whose caller has
    chosen each warehouse (and locked the levels, as the order services do):
    SKUs, warehouses and earlier reservations read in one query each, the
    stock taken with one :func:`~dinghuo.core.inventory.ledger.move_many`,
    the reservations inserted in one statement and the low-stock check run
    once for all SKUs. Bad input is a 422 naming ``requests[<n>].<field>``;
    a reference already holding a different active reservation is a 409, the
    same one answers that reservation (idempotent, as :func:`reserve`); a
    request the stock cannot hold raises :class:`InsufficientStock` naming
    its SKU and warehouse, with nothing written.
    """
    require(actor, Permission.INVENTORY_MANAGE)
    if not requests:
        return []
    skus = _skus(session, [request.sku_id for request in requests])
    warehouses = {
        w.id: w
        for w in session.scalars(
            select(Warehouse).where(
                Warehouse.id.in_({r.warehouse_id for r in requests if _is_id(r.warehouse_id)})
            )
        )
    }
    keys: list[tuple[str, str, int]] = []
    for index, request in enumerate(requests):
        field = f"requests[{index}]"
        if not _is_id(request.sku_id) or request.sku_id not in skus:
            raise ValidationFailed.field(f"{field}.sku_id", "No such SKU.")
        warehouse = warehouses.get(request.warehouse_id) if _is_id(request.warehouse_id) else None
        if warehouse is None:
            raise ValidationFailed.field(f"{field}.warehouse_id", "No such warehouse.")
        if not warehouse.is_active:
            raise ValidationFailed.field(f"{field}.warehouse_id", "This warehouse is inactive.")
        _quantity(f"{field}.quantity", request.quantity)
        reference = _reference(request.reference_type, request.reference_id)
        if reference.type is None or reference.id is None:
            raise ValidationFailed.field(f"{field}.reference_type", "Required.")
        keys.append((reference.type, reference.id, request.sku_id))
    held = _active_by_reference(session, keys)
    answers: list[Reservation | None] = []
    new: dict[tuple[str, str, int], Reservation] = {}
    for request, key in zip(requests, keys, strict=True):
        existing = held.get(key) or new.get(key)
        if existing is not None:
            if (existing.quantity, existing.warehouse_id) != (
                request.quantity,
                request.warehouse_id,
            ):
                sku_code = skus[request.sku_id].code
                raise Conflict(
                    f"{key[0]} {key[1]} already holds an active reservation of "
                    f"{existing.quantity} units of SKU {sku_code}; release it first."
                )
            answers.append(existing)
            continue
        new[key] = Reservation(
            warehouse_id=request.warehouse_id,
            sku_id=request.sku_id,
            quantity=request.quantity,
            reference_type=key[0],
            reference_id=key[1],
        )
        answers.append(None)
    move_many(
        session,
        actor,
        [
            Change(
                warehouse_id=r.warehouse_id,
                sku_id=r.sku_id,
                kind=MovementKind.RESERVATION,
                reserved_delta=r.quantity,
                reason="reserved",
                reference=Reference(r.reference_type, r.reference_id),
            )
            for r in new.values()
        ],
    )
    session.add_all(new.values())
    session.flush()
    _after_change(session, {r.sku_id for r in new.values()})
    return [
        answer if answer is not None else new[key]
        for answer, key in zip(answers, keys, strict=True)
    ]


def _active_reservation(
    session: TenantSession, actor: Principal | None, reservation_id: int, verb: str
) -> Reservation:
    require(actor, Permission.INVENTORY_MANAGE)
    reservation = get_reservation(session, None, reservation_id)
    if reservation.status is not ReservationStatus.ACTIVE:
        raise Conflict(
            f"Reservation #{reservation.id} is {reservation.status.value}; only an active "
            f"reservation can be {verb}."
        )
    return reservation


def _close(
    session: TenantSession, reservations: Sequence[Reservation], status: ReservationStatus
) -> None:
    """Close ACTIVE reservations in one UPDATE; one closed concurrently makes this a 409."""
    ids = [reservation.id for reservation in reservations]
    closed_at = utcnow()
    closed = session.execute(
        update(Reservation)
        .where(Reservation.id.in_(ids), Reservation.status == ReservationStatus.ACTIVE)
        .values(status=status, closed_at=closed_at)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != len(ids):  # type: ignore[attr-defined]
        which = ", ".join(f"#{i}" for i in ids)
        raise Conflict(f"Reservation {which} was closed meanwhile.")
    for reservation in reservations:
        set_committed_value(reservation, "status", status)
        set_committed_value(reservation, "closed_at", closed_at)


def release(
    session: TenantSession, actor: Principal | None, reservation_id: int, reason: str
) -> Reservation:
    """Give an ACTIVE reservation's units back to available (order cancelled or changed)."""
    [reservation] = release_many(session, actor, [reservation_id], reason)
    return reservation


def release_many(
    session: TenantSession, actor: Principal | None, reservation_ids: Iterable[int], reason: str
) -> list[Reservation]:
    """Release several ACTIVE reservations at once (a whole order); all or none.

    An unknown id is a 404 and a reservation no longer active a 409, before
    anything changes.
    """
    require(actor, Permission.INVENTORY_MANAGE)
    why = text("reason", reason, 500, required=False) or "released"
    ids = list(dict.fromkeys(reservation_ids))
    if not ids:
        return []
    found = {r.id: r for r in session.scalars(select(Reservation).where(Reservation.id.in_(ids)))}
    reservations = []
    for reservation_id in ids:
        reservation = found.get(reservation_id)
        if reservation is None:
            raise NotFound("No such reservation.")
        if reservation.status is not ReservationStatus.ACTIVE:
            raise Conflict(
                f"Reservation #{reservation.id} is {reservation.status.value}; only an active "
                "reservation can be released."
            )
        reservations.append(reservation)
    _close(session, reservations, ReservationStatus.RELEASED)
    move_many(
        session,
        actor,
        [
            Change(
                warehouse_id=r.warehouse_id,
                sku_id=r.sku_id,
                kind=MovementKind.RELEASE,
                reserved_delta=-r.quantity,
                reason=why,
                reference=Reference(r.reference_type, r.reference_id),
            )
            for r in reservations
        ],
    )
    _after_change(session, {r.sku_id for r in reservations})
    return reservations


def commit_reservation(
    session: TenantSession, actor: Principal | None, reservation_id: int, reason: str
) -> Reservation:
    """Ship an ACTIVE reservation: on hand and reserved both fall by its quantity."""
    reservation = _active_reservation(session, actor, reservation_id, "committed")
    why = text("reason", reason, 500, required=False) or "shipped"
    _close(session, [reservation], ReservationStatus.COMMITTED)
    move(
        session,
        actor,
        warehouse_id=reservation.warehouse_id,
        sku_id=reservation.sku_id,
        kind=MovementKind.SHIPMENT,
        on_hand_delta=-reservation.quantity,
        reserved_delta=-reservation.quantity,
        reason=why,
        reference=Reference(reservation.reference_type, reservation.reference_id),
    )
    _after_change(session, [reservation.sku_id])
    return reservation
