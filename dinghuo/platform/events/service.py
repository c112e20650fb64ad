"""The transactional outbox: write events with the change, deliver them after commit.

:func:`emit` adds the event row in the caller's transaction, so the event
exists exactly when the change does, and asks for a dispatch job to run once
that transaction commits. :func:`dispatch_pending` delivers one tenant's due
events to the plugins the tenant enabled, one event per transaction, in id
order. A periodic sweep (see :mod:`dinghuo.platform.events.jobs`) dispatches
whatever is still pending, so a crash between commit and dispatch, a lost
job or a failed delivery delays an event but never loses it.

Ordering: events of one aggregate (``order:42``) are delivered in the order
they were emitted; while one waits for a retry, the later events of the same
aggregate wait too, and other aggregates go on.

Concurrency: on PostgreSQL each event is claimed with ``FOR UPDATE SKIP
LOCKED`` and kept locked until its delivery is recorded, and an event whose
aggregate has an earlier undelivered (possibly locked) event is not eligible,
so two dispatchers never deliver the same event at once nor overtake each
other within an aggregate. SQLite has no row locks; there dispatchers of one
tenant take turns on a process-wide lock (the embedded mode is one process).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from dinghuo.db import TenantGuardError, TenantSession, utcnow
from dinghuo.platform.events.models import OutboxEvent
from dinghuo.platform.jobs import enqueue
from dinghuo.plugins.manager import PluginHost
from dinghuo.plugins.service import has_enabled_plugins, tenant_plugins
from dinghuo.plugins.types import Event, TenantRef

log = logging.getLogger(__name__)

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
DISPATCH_BATCH = 500
PLUGIN_CALL_TIMEOUT = 30.0
MAX_ERROR_LENGTH = 2000
_LISTENING = "dinghuo.events.listening"


def emit(
    session: TenantSession,
    type: str,
    aggregate_type: str,
    aggregate_id: Any,
    payload: Mapping[str, Any],
) -> OutboxEvent:
    """Record that ``type`` happened to ``aggregate_type:aggregate_id``, in this transaction.

    ``type`` is dotted lowercase (``order.submitted``, ``stock.low``,
    ``dealer.tier_changed``). ``payload`` must be JSON-like; ``Decimal``,
    dates, enums and UUIDs are turned into strings. Rolling the transaction
    back discards the event with the change.
    """
    if session.tenant_id is None:
        raise TenantGuardError("an event needs a tenant: bind one before emitting")
    if not EVENT_TYPE.match(type) or len(type) > 80:
        raise ValueError(f"event type {type!r}: use dotted lowercase names like 'order.submitted'")
    payload = json.loads(json.dumps(dict(payload), default=_json_default))
    now = utcnow()
    event = OutboxEvent(
        type=type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload,
        created_at=now,
        delivered_at=None if _listening(session) else now,
        delivered_to=[],
    )
    session.add(event)
    session.flush()
    _hand_to_notifications(session, event)
    return event


def _hand_to_notifications(session: TenantSession, event: OutboxEvent) -> None:
    """Give an order, shipment or return event its notification job, in this transaction.

    The in-app bell and e-mails are the platform's own consumer of the outbox:
    always on, whether or not a plugin listens (the dispatch above is for
    plugins only). The job row commits with the event, so a committed event
    always gets its notifications; the job is idempotent per event id.
    """
    # Imported here: notifications read orders and users, which import this module.
    from dinghuo.platform.notifications.jobs import NOTIFIED_EVENTS, notify_event

    if event.type.startswith(NOTIFIED_EVENTS):
        enqueue(session, notify_event, event.id)


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"event payload value of type {type(value).__name__} is not JSON")


def _listening(session: TenantSession) -> bool:
    """Whether a plugin of the tenant listens; asked once per transaction.

    If one does, the transaction gets one dispatch job, run after it commits.
    If none does, there is no one to tell: the event is recorded as delivered
    (to nobody) at once, costing no job, and a plugin enabled later starts
    with the events that follow.
    """
    session.connection()  # begin the transaction now, so its identity is final
    transaction = session.get_transaction()
    cached = session.info.get(_LISTENING)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    listening = has_enabled_plugins(session)
    session.info[_LISTENING] = (transaction, listening)
    if listening:
        # Imported here: the jobs module imports this one for dispatch_pending.
        from dinghuo.platform.events.jobs import dispatch_events

        enqueue(session, dispatch_events)
    return listening


@dataclass(frozen=True)
class DispatchReport:
    """What one dispatcher run did."""

    delivered: int = 0
    failed: int = 0
    more: bool = False


def dispatch_pending(
    session: TenantSession,
    host: PluginHost,
    *,
    now: Callable[[], dt.datetime] = utcnow,
    limit: int = DISPATCH_BATCH,
    timeout: float | None = PLUGIN_CALL_TIMEOUT,
) -> DispatchReport:
    """Deliver the bound tenant's due events to its enabled plugins, oldest first.

    Each event is claimed, delivered and recorded in its own transaction (the
    session is committed after each), so a delivery once recorded stays
    recorded whatever happens to the next. Each plugin is called on its own:
    a plugin that raises or runs past ``timeout`` seconds fails the event for
    a retry with back-off, the others are unaffected and are not called again
    for it. Stops after ``limit`` events (``more`` says whether some remain).
    """
    if session.tenant_id is None:
        raise TenantGuardError("dispatching needs a tenant bound to the session")
    delivered = failed = 0
    with _one_dispatcher_per_tenant(session):
        plugins = tenant_plugins(session, host)
        for _ in range(limit):
            row = _claim_next(session, now())
            if row is None:
                session.commit()
                return DispatchReport(delivered, failed)
            done = set(row.delivered_to or [])
            outcomes = plugins.call_each(
                "dinghuo_event",
                skip=done,
                timeout=timeout,
                event=_public_event(row, plugins.tenant),
            )
            errors = [o for o in outcomes if not o.ok]
            row.attempts += 1
            row.delivered_to = sorted(done | {o.plugin for o in outcomes if o.ok})
            if errors:
                failed += 1
                row.last_error = "; ".join(f"{o.plugin}: {o.error!r}" for o in errors)[
                    :MAX_ERROR_LENGTH
                ]
                row.next_attempt_at = now() + backoff(row.attempts)
                log.warning(
                    "event %s (%s) not delivered, attempt %s, retry at %s: %s",
                    row.id,
                    row.type,
                    row.attempts,
                    row.next_attempt_at.isoformat(),
                    row.last_error,
                )
            else:
                delivered += 1
                row.delivered_at = now()
                row.next_attempt_at = None
                row.last_error = None
            session.commit()
    return DispatchReport(delivered, failed, more=True)


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: 30 s, 1 min, 2 min, ... at most 1 h."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def _claim_next(session: TenantSession, now: dt.datetime) -> OutboxEvent | None:
    earlier = aliased(OutboxEvent)
    waits_for_earlier = (
        select(earlier.id)
        .where(
            earlier.tenant_id == OutboxEvent.tenant_id,
            earlier.aggregate_type == OutboxEvent.aggregate_type,
            earlier.aggregate_id == OutboxEvent.aggregate_id,
            earlier.delivered_at.is_(None),
            earlier.id < OutboxEvent.id,
        )
        .exists()
    )
    query = (
        select(OutboxEvent)
        .where(
            OutboxEvent.delivered_at.is_(None),
            or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now),
            ~waits_for_earlier,
        )
        .order_by(OutboxEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return session.scalar(query)


def _public_event(row: OutboxEvent, tenant: TenantRef) -> Event:
    return Event(
        id=row.id,
        type=row.type,
        tenant=tenant,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        payload=row.payload,
        occurred_at=row.created_at,
        attempt=row.attempts + 1,
    )


_tenant_locks: dict[tuple[str, int], threading.RLock] = {}
_tenant_locks_guard = threading.Lock()


@contextmanager
def _one_dispatcher_per_tenant(session: TenantSession) -> Iterator[None]:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        yield
        return
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = (str(engine.url), session.tenant_id or 0)
    with _tenant_locks_guard:
        lock = _tenant_locks.setdefault(key, threading.RLock())
    with lock:
        yield


def pending_events(session: TenantSession) -> list[OutboxEvent]:
    """The bound tenant's undelivered events, oldest first (operators, tests)."""
    query = select(OutboxEvent).where(OutboxEvent.delivered_at.is_(None)).order_by(OutboxEvent.id)
    return list(session.scalars(query))
