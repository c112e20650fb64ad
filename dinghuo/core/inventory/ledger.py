"""The stock ledger: the one place stock levels change.

A level changes only through :func:`move`, which runs one conditional
``UPDATE stock_levels SET on_hand = on_hand + :d, reserved = reserved + :r
WHERE ... AND <the new values keep every CHECK> RETURNING on_hand, reserved``
and appends a :class:`StockMovement` carrying the level that UPDATE returned.
The database decides, row lock held, whether the change fits, so two
concurrent reservations can never both take the last unit and no read-then-
write race exists. A refused change raises :class:`InsufficientStock` naming
the SKU, what was asked and what was there; nothing is written.

:func:`verify_ledger` proves the cache right: every level must equal the sum
of its movements, and its last movement's ``*_after`` must equal it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from dinghuo.core.catalog.models import Sku
from dinghuo.core.inventory.models import MovementKind, StockLevel, StockMovement, Warehouse
from dinghuo.db import Database, TenantSession, utcnow
from dinghuo.errors import Conflict
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.tenants.models import Tenant


class InsufficientStock(Conflict):
    """A change would take more units than are available (or on hand); nothing changed."""

    code = "insufficient_stock"

    def __init__(
        self,
        *,
        sku_id: int,
        sku_code: str,
        requested: int,
        available: int,
        on_hand: int | None = None,
        warehouse_id: int | None = None,
        warehouse_code: str | None = None,
        detail: str = "",
    ) -> None:
        where = (
            f" in warehouse {warehouse_code or warehouse_id}" if warehouse_id is not None else ""
        )
        held = f", on hand {on_hand}" if on_hand is not None else ""
        message = (
            f"Not enough stock of SKU {sku_code}{where}: "
            f"requested {requested}, available {available}{held}."
        )
        if detail:
            message = f"{message} {detail}"
        super().__init__(message, fields={"quantity": [message]})
        self.sku_id = sku_id
        self.sku_code = sku_code
        self.requested = requested
        self.available = available
        self.on_hand = on_hand
        self.warehouse_id = warehouse_id


@dataclass(frozen=True)
class Reference:
    """What a movement was for: ``("order", "42")``, ``("import", "7")``, or nothing."""

    type: str | None = None
    id: str | None = None


def ensure_level(session: TenantSession, warehouse_id: int, sku_id: int) -> None:
    """Create the zero level row if missing; concurrent callers never collide.

    ``INSERT ... ON CONFLICT DO NOTHING`` through the dialect's own insert, so
    the row exists before the conditional UPDATE that locks it.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(StockLevel)
        .values(
            tenant_id=session.tenant_id,
            warehouse_id=warehouse_id,
            sku_id=sku_id,
            on_hand=0,
            reserved=0,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["warehouse_id", "sku_id"])
    )
    session.execute(statement)


def read_level(session: TenantSession, warehouse_id: int, sku_id: int) -> tuple[int, int]:
    """The committed-or-own (on hand, reserved) of one level; (0, 0) when it has no row."""
    row = session.execute(
        select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku_id
        )
    ).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


def _sku_code(session: TenantSession, sku_id: int) -> str:
    return session.scalar(select(Sku.code).where(Sku.id == sku_id)) or str(sku_id)


def _warehouse_code(session: TenantSession, warehouse_id: int) -> str:
    code = session.scalar(select(Warehouse.code).where(Warehouse.id == warehouse_id))
    return code or str(warehouse_id)


def move(
    session: TenantSession,
    actor: Principal | None,
    *,
    warehouse_id: int,
    sku_id: int,
    kind: MovementKind,
    on_hand_delta: int = 0,
    reserved_delta: int = 0,
    reason: str = "",
    reference: Reference = Reference(),
    expect_on_hand: int | None = None,
) -> StockMovement:
    """Apply one change to one level and append its movement; refuse what does not fit.

    The UPDATE's WHERE keeps on hand ≥ 0, reserved ≥ 0 and available ≥ 0
    after the change (and, with ``expect_on_hand``, only applies while on hand
    is still that value: a compare-and-set for stock counts). The caller has
    already checked that the warehouse and SKU are the tenant's.
    """
    ensure_level(session, warehouse_id, sku_id)
    new_on_hand = StockLevel.on_hand + on_hand_delta
    new_reserved = StockLevel.reserved + reserved_delta
    conditions: list[Any] = [
        StockLevel.warehouse_id == warehouse_id,
        StockLevel.sku_id == sku_id,
        new_on_hand >= 0,
        new_reserved >= 0,
        new_on_hand - new_reserved >= 0,
    ]
    if expect_on_hand is not None:
        conditions.append(StockLevel.on_hand == expect_on_hand)
    row = session.execute(
        update(StockLevel)
        .where(and_(*conditions))
        .values(on_hand=new_on_hand, reserved=new_reserved, updated_at=utcnow())
        .returning(StockLevel.on_hand, StockLevel.reserved)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        if expect_on_hand is not None:
            on_hand, _ = read_level(session, warehouse_id, sku_id)
            if on_hand != expect_on_hand:
                raise _Changed()
        raise _refusal(session, warehouse_id, sku_id, on_hand_delta, reserved_delta)
    movement = StockMovement(
        warehouse_id=warehouse_id,
        sku_id=sku_id,
        kind=kind,
        on_hand_delta=on_hand_delta,
        reserved_delta=reserved_delta,
        on_hand_after=row.on_hand,
        reserved_after=row.reserved,
        reason=reason,
        reference_type=reference.type,
        reference_id=reference.id,
        actor_type=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        actor_label=actor.label if actor else "system",
    )
    session.add(movement)
    session.flush()
    return movement


class _Changed(Exception):
    """The level moved between reading it and setting it; the caller reads again."""


def _refusal(
    session: TenantSession, warehouse_id: int, sku_id: int, on_hand_delta: int, reserved_delta: int
) -> InsufficientStock:
    on_hand, reserved = read_level(session, warehouse_id, sku_id)
    available = on_hand - reserved
    if reserved_delta > 0 and on_hand_delta == 0:
        requested = reserved_delta
    elif reserved_delta < 0 and on_hand_delta == 0:
        return InsufficientStock(
            sku_id=sku_id,
            sku_code=_sku_code(session, sku_id),
            requested=-reserved_delta,
            available=available,
            on_hand=on_hand,
            warehouse_id=warehouse_id,
            warehouse_code=_warehouse_code(session, warehouse_id),
            detail=f"Only {reserved} reserved.",
        )
    else:
        requested = -on_hand_delta
    return InsufficientStock(
        sku_id=sku_id,
        sku_code=_sku_code(session, sku_id),
        requested=requested,
        available=available,
        on_hand=on_hand,
        warehouse_id=warehouse_id,
        warehouse_code=_warehouse_code(session, warehouse_id),
    )


def set_on_hand(
    session: TenantSession,
    actor: Principal | None,
    *,
    warehouse_id: int,
    sku_id: int,
    on_hand: int,
    kind: MovementKind,
    reason: str,
    reference: Reference = Reference(),
) -> StockMovement | None:
    """Make on hand equal ``on_hand`` with one movement of the difference (None if equal).

    A compare-and-set on the level read, retried when a concurrent change
    slipped in between, so the count always lands on the counted number.
    Counting fewer units than are reserved is refused (the reservations
    would exceed the stock): release them first.
    """
    ensure_level(session, warehouse_id, sku_id)
    while True:
        current, reserved = read_level(session, warehouse_id, sku_id)
        if current == on_hand:
            return None
        if on_hand < reserved:
            raise InsufficientStock(
                sku_id=sku_id,
                sku_code=_sku_code(session, sku_id),
                requested=current - on_hand,
                available=current - reserved,
                on_hand=current,
                warehouse_id=warehouse_id,
                warehouse_code=_warehouse_code(session, warehouse_id),
                detail=f"{reserved} are reserved; release reservations before counting fewer.",
            )
        try:
            with session.begin_nested():
                return move(
                    session,
                    actor,
                    warehouse_id=warehouse_id,
                    sku_id=sku_id,
                    kind=kind,
                    on_hand_delta=on_hand - current,
                    reason=reason,
                    reference=reference,
                    expect_on_hand=current,
                )
        except _Changed:
            continue


@dataclass(frozen=True)
class Mismatch:
    """A level that its ledger does not explain."""

    tenant_id: int
    warehouse_id: int
    sku_id: int
    on_hand: int
    reserved: int
    ledger_on_hand: int
    ledger_reserved: int
    last_on_hand_after: int | None
    last_reserved_after: int | None

    def describe(self) -> str:
        return (
            f"tenant {self.tenant_id} warehouse {self.warehouse_id} sku {self.sku_id}: "
            f"level on_hand={self.on_hand} reserved={self.reserved}; "
            f"ledger sums on_hand={self.ledger_on_hand} reserved={self.ledger_reserved}; "
            f"last movement after on_hand={self.last_on_hand_after} "
            f"reserved={self.last_reserved_after}"
        )


def verify_ledger(session: TenantSession) -> list[Mismatch]:
    """Every level of the bound tenant that differs from its ledger (empty when all agree).

    Also finds ledgers without a level row (a level deleted behind the
    ledger's back), which must sum to zero.
    """
    sums = {
        (r.warehouse_id, r.sku_id): (int(r.on_hand), int(r.reserved))
        for r in session.execute(
            select(
                StockMovement.warehouse_id,
                StockMovement.sku_id,
                func.sum(StockMovement.on_hand_delta).label("on_hand"),
                func.sum(StockMovement.reserved_delta).label("reserved"),
            ).group_by(StockMovement.warehouse_id, StockMovement.sku_id)
        )
    }
    last_ids = select(func.max(StockMovement.id)).group_by(
        StockMovement.warehouse_id, StockMovement.sku_id
    )
    lasts = {
        (r.warehouse_id, r.sku_id): (r.on_hand_after, r.reserved_after)
        for r in session.execute(
            select(
                StockMovement.warehouse_id,
                StockMovement.sku_id,
                StockMovement.on_hand_after,
                StockMovement.reserved_after,
            ).where(StockMovement.id.in_(last_ids))
        )
    }
    levels = {
        (r.warehouse_id, r.sku_id): (r.on_hand, r.reserved)
        for r in session.execute(
            select(
                StockLevel.warehouse_id, StockLevel.sku_id, StockLevel.on_hand, StockLevel.reserved
            )
        )
    }
    mismatches = []
    for key in sorted(set(sums) | set(levels)):
        level = levels.get(key, (0, 0))
        ledger = sums.get(key, (0, 0))
        last = lasts.get(key)
        consistent = level == ledger and (last is None and level == (0, 0) or last == level)
        if not consistent:
            mismatches.append(
                Mismatch(
                    tenant_id=session.tenant_id or 0,
                    warehouse_id=key[0],
                    sku_id=key[1],
                    on_hand=level[0],
                    reserved=level[1],
                    ledger_on_hand=ledger[0],
                    ledger_reserved=ledger[1],
                    last_on_hand_after=last[0] if last else None,
                    last_reserved_after=last[1] if last else None,
                )
            )
    return mismatches


def sku_codes(session: TenantSession, sku_ids: Iterable[int]) -> dict[int, str]:
    ids = set(sku_ids)
    if not ids:
        return {}
    return dict(session.execute(select(Sku.id, Sku.code).where(Sku.id.in_(ids))).all())


def available_by_sku(session: TenantSession, sku_ids: Iterable[int]) -> dict[int, int]:
    """Available units (on hand − reserved) of each SKU summed over active warehouses.

    Every requested id is in the answer; SKUs without stock answer 0. One query.
    """
    ids = set(sku_ids)
    result = dict.fromkeys(ids, 0)
    if not ids:
        return result
    rows = session.execute(
        select(StockLevel.sku_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku_id.in_(ids), Warehouse.is_active.is_(True))
        .group_by(StockLevel.sku_id)
    )
    for sku_id, available in rows:
        result[sku_id] = int(available or 0)
    return result


def verify_tenants(database: Database, slug: str | None = None) -> tuple[int, list[Mismatch]]:
    """Run :func:`verify_ledger` for one tenant (by slug) or all; (tenants checked, mismatches).

    Each tenant is read in its own transaction bound to it, so PostgreSQL's
    Row-Level Security applies as it does to the app.
    """
    with database.transaction() as session:
        query = select(Tenant.id).order_by(Tenant.id)
        if slug is not None:
            query = query.where(Tenant.slug == slug)
        tenant_ids = list(session.scalars(query))
    mismatches: list[Mismatch] = []
    for tenant_id in tenant_ids:
        with database.transaction(tenant_id) as session:
            mismatches.extend(verify_ledger(session))
    return len(tenant_ids), mismatches
