"""The stock ledger: the one place stock levels change.

A level changes only through :func:`move`, which runs one conditional
``UPDATE stock_levels SET on_hand = on_hand + :d, reserved = reserved + :r
WHERE ... AND <the new values keep every CHECK> RETURNING on_hand, reserved``
and appends a :class:`StockMovement` carrying the level that UPDATE returned.
The database decides, row lock held, whether the change fits, so two
concurrent reservations can never both take the last unit and no read-then-
write race exists. A refused change raises :class:`InsufficientStock` naming
the SKU, what was asked and what was there; nothing is written.

:func:`move_many` is the same for a whole order's changes at once: the levels
locked in one query (SKU, warehouse order, so batches never deadlock), every
change checked on the locked figures before anything is written, one
conditional UPDATE for all levels (``UPDATE ... FROM unnest(...)`` on
PostgreSQL) and one multi-row INSERT of the movements, so its cost does not
grow a round trip per line.

:func:`verify_ledger` proves the cache right: every level must equal the sum
of its movements, and its last movement's ``*_after`` must equal it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    column,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

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
    session: TenantSession,
    warehouse_id: int,
    sku_id: int,
    on_hand_delta: int,
    reserved_delta: int,
    level: tuple[int, int] | None = None,
) -> InsufficientStock:
    """The 409 for a change that does not fit ``level`` (read from the database when not given)."""
    on_hand, reserved = level if level is not None else read_level(session, warehouse_id, sku_id)
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


@dataclass(frozen=True)
class Change:
    """One change of :func:`move_many`: what :func:`move` takes, for one level."""

    warehouse_id: int
    sku_id: int
    kind: MovementKind
    on_hand_delta: int = 0
    reserved_delta: int = 0
    reason: str = ""
    reference: Reference = Reference()


def _fits(on_hand: int, reserved: int) -> bool:
    return on_hand >= 0 and reserved >= 0 and on_hand - reserved >= 0


def _postgresql(session: TenantSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rows(name: str, **arrays: list[int]) -> Any:
    """PostgreSQL ``unnest(:a::int[], :b::int[]) AS name(a, b)``: many rows, one parameter a column.

    The statement's text does not change with the number of rows, so it is
    compiled (and its parameters converted) once, unlike a ``VALUES`` list.
    """
    return (
        func.unnest(
            *(
                bindparam(f"{name}_{key}", value, type_=ARRAY(Integer))
                for key, value in arrays.items()
            )
        )
        .table_valued(*(column(key, Integer) for key in arrays))
        .render_derived(name=name)
    )


def _lock_levels(
    session: TenantSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int, int]]:
    """(on hand, reserved) of each existing (warehouse, SKU) level, locked in SKU, warehouse order.

    The same order as the order services lock in, so a caller that already
    holds these rows waits for nothing and two batches never deadlock.
    """
    query = select(
        StockLevel.warehouse_id, StockLevel.sku_id, StockLevel.on_hand, StockLevel.reserved
    )
    if _postgresql(session):
        wanted = _rows("levels", warehouse_id=[w for w, _ in keys], sku_id=[s for _, s in keys])
        query = query.join(
            wanted,
            and_(
                StockLevel.warehouse_id == wanted.c.warehouse_id,
                StockLevel.sku_id == wanted.c.sku_id,
            ),
        )
    else:
        query = query.where(tuple_(StockLevel.warehouse_id, StockLevel.sku_id).in_(keys))
    rows = session.execute(
        query.order_by(StockLevel.sku_id, StockLevel.warehouse_id).with_for_update(of=StockLevel)
    )
    return {(r.warehouse_id, r.sku_id): (r.on_hand, r.reserved) for r in rows}


def _ensure_levels(session: TenantSession, keys: Sequence[tuple[int, int]]) -> None:
    """:func:`ensure_level` for many levels in one ``INSERT ... ON CONFLICT DO NOTHING``."""
    dialect_insert = postgresql.insert if _postgresql(session) else sqlite.insert
    now = utcnow()
    session.execute(
        dialect_insert(StockLevel)
        .values(
            [
                {
                    "tenant_id": session.tenant_id,
                    "warehouse_id": warehouse_id,
                    "sku_id": sku_id,
                    "on_hand": 0,
                    "reserved": 0,
                    "updated_at": now,
                }
                for warehouse_id, sku_id in sorted(keys, key=lambda key: (key[1], key[0]))
            ]
        )
        .on_conflict_do_nothing(index_elements=["warehouse_id", "sku_id"])
    )


def _update_levels(
    session: TenantSession,
    deltas: dict[tuple[int, int], tuple[int, int]],
    expected: dict[tuple[int, int], tuple[int, int]],
) -> bool:
    """Apply each level's (on hand, reserved) delta where it fits; True when all land as expected.

    The WHERE refuses a level the delta would take below zero, as in
    :func:`move`. PostgreSQL: one ``UPDATE ... FROM unnest(...) RETURNING``
    whose figures are compared with ``expected``. SQLite (no arrays, no
    RETURNING with executemany): one executemany of the conditional UPDATE,
    every level changed exactly once.
    """
    new_on_hand: Any
    new_reserved: Any
    if _postgresql(session):
        given = _rows(
            "deltas",
            warehouse_id=[w for w, _ in deltas],
            sku_id=[s for _, s in deltas],
            on_hand=[on_hand for on_hand, _ in deltas.values()],
            reserved=[reserved for _, reserved in deltas.values()],
        )
        new_on_hand = StockLevel.on_hand + given.c.on_hand
        new_reserved = StockLevel.reserved + given.c.reserved
        rows = session.execute(
            update(StockLevel)
            .where(
                StockLevel.warehouse_id == given.c.warehouse_id,
                StockLevel.sku_id == given.c.sku_id,
                new_on_hand >= 0,
                new_reserved >= 0,
                new_on_hand - new_reserved >= 0,
            )
            .values(on_hand=new_on_hand, reserved=new_reserved, updated_at=utcnow())
            .returning(
                StockLevel.warehouse_id, StockLevel.sku_id, StockLevel.on_hand, StockLevel.reserved
            )
            .execution_options(synchronize_session=False)
        )
        return {(r.warehouse_id, r.sku_id): (r.on_hand, r.reserved) for r in rows} == expected
    table = cast(Table, StockLevel.__table__)
    new_on_hand = table.c.on_hand + bindparam("on_hand_delta")
    new_reserved = table.c.reserved + bindparam("reserved_delta")
    result = session.execute(
        update(table)
        .where(
            table.c.tenant_id == bindparam("tenant"),
            table.c.warehouse_id == bindparam("warehouse"),
            table.c.sku_id == bindparam("sku"),
            new_on_hand >= 0,
            new_reserved >= 0,
            new_on_hand - new_reserved >= 0,
        )
        .values(on_hand=new_on_hand, reserved=new_reserved, updated_at=utcnow()),
        [
            {
                "tenant": session.tenant_id,
                "warehouse": warehouse_id,
                "sku": sku_id,
                "on_hand_delta": on_hand,
                "reserved_delta": reserved,
            }
            for (warehouse_id, sku_id), (on_hand, reserved) in deltas.items()
        ],
    )
    return result.rowcount == len(deltas)  # type: ignore[attr-defined]


def move_many(session: TenantSession, actor: Principal | None, changes: Sequence[Change]) -> None:
    """Apply all ``changes`` or none, each with its movement.

    The batch form of :func:`move` for a whole order: a constant number of
    statements however many changes. The levels are locked (SKU, warehouse
    order) and every change is checked, in the order given, against the
    locked figures as the earlier changes leave them; the first that does
    not fit raises :class:`InsufficientStock` naming its SKU and warehouse,
    and nothing is written. Then one conditional UPDATE applies each level's
    net change (the database still has the last word) and one executemany
    INSERT appends the movements (in the order given), each with the level
    it left; no movement objects are built, nobody reads them back. Several changes of
    one level are allowed. As with :func:`move`, the caller has already
    checked that the warehouses and SKUs are the tenant's.
    """
    if not changes:
        return
    keys = sorted({(c.warehouse_id, c.sku_id) for c in changes}, key=lambda key: (key[1], key[0]))
    rising = [(c.warehouse_id, c.sku_id) for c in changes if c.on_hand_delta > 0]
    if rising:
        _ensure_levels(session, sorted(set(rising)))
    before = _lock_levels(session, keys)
    level = dict(before)
    afters: list[tuple[int, int]] = []
    for change in changes:
        key = (change.warehouse_id, change.sku_id)
        on_hand, reserved = level.get(key, (0, 0))
        after = (on_hand + change.on_hand_delta, reserved + change.reserved_delta)
        if key not in before or not _fits(*after):
            raise _refusal(
                session,
                change.warehouse_id,
                change.sku_id,
                change.on_hand_delta,
                change.reserved_delta,
                level=(on_hand, reserved),
            )
        level[key] = after
        afters.append(after)
    deltas = {key: (level[key][0] - before[key][0], level[key][1] - before[key][1]) for key in keys}
    if not _update_levels(session, deltas, {key: level[key] for key in keys}):
        # Unreachable while the rows are locked; the caller's transaction rolls back.
        raise Conflict("Stock levels changed while they were locked; nothing was reserved.")
    now = utcnow()
    session.execute(
        insert(StockMovement),
        [
            {
                "tenant_id": session.tenant_id,
                "warehouse_id": change.warehouse_id,
                "sku_id": change.sku_id,
                "kind": change.kind,
                "on_hand_delta": change.on_hand_delta,
                "reserved_delta": change.reserved_delta,
                "on_hand_after": on_hand_after,
                "reserved_after": reserved_after,
                "reason": change.reason,
                "reference_type": change.reference.type,
                "reference_id": change.reference.id,
                "actor_type": actor.kind if actor else "system",
                "actor_id": actor.id if actor else None,
                "actor_label": actor.label if actor else "system",
                "created_at": now,
            }
            for change, (on_hand_after, reserved_after) in zip(changes, afters, strict=True)
        ],
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
