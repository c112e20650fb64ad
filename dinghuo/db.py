"""Engine, session, declarative base and the tenant guard.

Tenant isolation is defended twice. This module is the first defence: every
ORM query touching a :class:`TenantScoped` model is filtered to the tenant
bound to the session, a query with no tenant bound raises instead of returning
every tenant's rows, new rows are stamped with the bound tenant and writing
another tenant's row raises. The second defence is PostgreSQL Row-Level
Security (see :mod:`dinghuo.rls`); the session feeds it by setting
``app.tenant_id`` with ``set_config(..., true)`` (``SET LOCAL``) at the start
of every transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class TenantGuardError(RuntimeError):
    """A tenant-scoped query or write was attempted without the right tenant bound."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and always returned timezone-aware.

    SQLite hands back naive datetimes; this makes both databases answer alike.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC times")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Money(TypeDecorator[Decimal]):
    """A ``Decimal`` amount stored as integer minor units (fen, cents).

    Never float: a float cannot represent 0.1 and money errors compound.
    """

    impl = BigInteger
    cache_ok = True
    scale = 2

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, got {type(value).__name__}")
        minor = (value * 10**self.scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(minor)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 10**self.scale).quantize(Decimal(1).scaleb(-self.scale))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[dict[str, Any]]: JSON,
        Decimal: Money,
    }


class TenantScoped:
    """Mixin for every table that belongs to one tenant.

    Subclasses put ``tenant_id`` first in their composite indexes and include it
    in their unique keys, so the schema stays distributable by tenant.
    """

    tenant_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )


def tenant_tables() -> list[str]:
    """Names of every table holding tenant rows (RLS applies to each)."""
    return sorted(
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantScoped)
    )


class TenantSession(Session):
    """A session that knows which tenant it is working for."""

    @property
    def tenant_id(self) -> int | None:
        return self.info.get("tenant_id")

    def bind_tenant(self, tenant_id: int) -> None:
        """Bind the tenant for the rest of this session's life.

        Rebinding to another tenant is refused: a session holding one tenant's
        objects must never start writing them under another.
        """
        current = self.info.get("tenant_id")
        if current is not None and current != tenant_id:
            raise TenantGuardError(f"session already bound to tenant {current}")
        self.info["tenant_id"] = tenant_id
        if self.in_transaction():
            _set_rls_tenant(self.connection(), tenant_id)


def _set_rls_tenant(connection: Connection, tenant_id: int) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.execute(
        text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)}
    )


@event.listens_for(TenantSession, "after_begin")
def _feed_row_level_security(session: Session, transaction: Any, connection: Connection) -> None:
    """Tell PostgreSQL the tenant for this transaction only (``SET LOCAL``).

    With no tenant bound nothing is sent: the setting is then unset or the
    empty string a finished ``SET LOCAL`` leaves, which the policy's
    ``NULLIF`` turns into NULL, matching no row. Fail closed, one round trip less.
    """
    tenant_id = session.info.get("tenant_id")
    if tenant_id is not None:
        _set_rls_tenant(connection, tenant_id)


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)


_TENANT_PARAM = bindparam("dinghuo_guard_tenant_id")

# One criteria object, compiled and cached once: the tenant id reaches the
# statement as a bound parameter, not as a closure SQLAlchemy re-analyses
# for every statement.
_TENANT_CRITERIA = with_loader_criteria(
    TenantScoped,
    lambda cls: cls.tenant_id == _TENANT_PARAM,
    include_aliases=True,
)


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_queries_to_tenant(state: ORMExecuteState) -> Any:
    if state.is_column_load or not (state.is_select or state.is_update or state.is_delete):
        return
    if not _touches_tenant_data(state):
        return
    tenant_id = state.session.info.get("tenant_id")
    if tenant_id is None:
        raise TenantGuardError("query on tenant data with no tenant bound")
    guard = {_TENANT_PARAM.key: tenant_id}
    if state.is_executemany:
        params: Any = [guard] * len(state.parameters)  # type: ignore[arg-type]
    else:
        state.parameters = state.parameters or {}
        params = guard
    return state.invoke_statement(
        statement=state.statement.options(_TENANT_CRITERIA), params=params
    )


@event.listens_for(TenantSession, "before_flush")
def _guard_tenant_writes(session: Session, flush_context: Any, instances: Any) -> None:
    tenant_id = session.info.get("tenant_id")
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if tenant_id is None:
            raise TenantGuardError(f"new {type(obj).__name__} with no tenant bound")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantGuardError(f"{type(obj).__name__} belongs to another tenant")
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.tenant_id != tenant_id:
            raise TenantGuardError(f"write to another tenant's {type(obj).__name__}")


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessionmaker: sessionmaker[TenantSession] = sessionmaker(
            bind=self.engine, class_=TenantSession, expire_on_commit=False
        )

    def session(self, tenant_id: int | None = None) -> TenantSession:
        session = self.sessionmaker()
        if tenant_id is not None:
            session.bind_tenant(tenant_id)
        return session

    @contextmanager
    def transaction(self, tenant_id: int | None = None) -> Iterator[TenantSession]:
        """One unit of work: committed when the block ends, rolled back on error."""
        session = self.session(tenant_id)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, echo=echo, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping (a round trip per checkout); connections are recycled instead,
    # and a connection dropped by a database restart fails one request only.
    return create_engine(url, echo=echo, pool_recycle=1800, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's outermost transaction commits.

    Used to enqueue jobs only for work that really happened. A callback
    registered inside a savepoint that is rolled back is dropped with it; a
    savepoint's release runs nothing (its work is not committed yet).
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    pending: list[tuple[Any, Callable[[], None]]] = session.info.setdefault("after_commit", [])
    pending.append((transaction, callback))


def _within(transaction: Any, ancestor: Any) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(TenantSession, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    callbacks = session.info.pop("after_commit", [])
    for _transaction, callback in callbacks:
        callback()


@event.listens_for(TenantSession, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("after_commit", None)
        return
    rolled_back = session.get_nested_transaction()
    pending = session.info.get("after_commit", [])
    pending[:] = [entry for entry in pending if not _within(entry[0], rolled_back)]
