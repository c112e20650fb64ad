"""Periodic per-tenant jobs, and the scheduler that enqueues them.

Register a job function with a cron expression (five fields, read in each
tenant's own time zone, so ``0 3 * * *`` is 03:00 for every brand)::

    @periodic("*/5 * * * *")
    def sync_erp_stock(ctx: JobContext) -> None: ...

or ``register_periodic("erp-stock", "*/5 * * * *", sync_erp_stock)``. Put them
in a domain's ``jobs.py``; :func:`run_scheduler` imports every
``dinghuo.<area>.<package>.jobs`` module before it starts.

``dinghuo scheduler`` ticks every second. A tick enqueues, for each periodic
job and each active tenant (suspended tenants are skipped), the latest slot
that has fallen due, unless that slot was already enqueued. The guard is a
unique ``(tenant_id, dedup_key)`` on ``job_runs``, with ``dedup_key =
"<job>@<slot>"``: it commits atomically with the job row, so any number of
schedulers (with or without Redis) enqueue each slot exactly once, and a
scheduler that crashes mid-tick never loses a slot. A slot missed while no
scheduler ran is caught up once when one starts. Without Redis the tick also
runs delayed one-off jobs (``enqueue(..., delay=...)``) that have fallen due;
with Redis the workers do that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.util
import logging
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from croniter import croniter
from flask import Flask
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from dinghuo.db import utcnow
from dinghuo.platform.jobs.dispatch import create_job_run
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.runner import reference_of, run_inline
from dinghuo.platform.jobs.runtime import JobsRuntime
from dinghuo.platform.tenants.models import Tenant, TenantStatus

logger = logging.getLogger("dinghuo.jobs.scheduler")

JOB_MODULE_AREAS = ("dinghuo.core", "dinghuo.platform", "dinghuo.plugins")
TICK_SECONDS = 1.0
DUE_BATCH = 100


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    cron: str
    reference: str


_registry: dict[str, PeriodicJob] = {}


def register_periodic(name: str, cron: str, fn: Callable[..., Any]) -> PeriodicJob:
    """Run ``fn(ctx)`` for every active tenant at each ``cron`` slot."""
    if not croniter.is_valid(cron) or len(cron.split()) != 5:
        raise ValueError(f"{cron!r} is not a five-field cron expression")
    job = PeriodicJob(name=name, cron=cron, reference=reference_of(fn))
    existing = _registry.get(name)
    if existing is not None and existing != job:
        raise ValueError(f"periodic job {name!r} is already registered differently")
    _registry[name] = job
    return job


def periodic(cron: str, *, name: str | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Decorator form of :func:`register_periodic`; the name defaults to ``module:qualname``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        register_periodic(name or f"{fn.__module__}:{fn.__qualname__}", cron, fn)
        return fn

    return decorate


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_registry.values(), key=lambda job: job.name)


def latest_slot(cron: str, now: dt.datetime, timezone: str) -> dt.datetime:
    """The last time at or before ``now`` that ``cron`` names, in the tenant's zone, as UTC."""
    local = now.astimezone(ZoneInfo(timezone)) + dt.timedelta(seconds=1)
    slot: dt.datetime = croniter(cron, local).get_prev(dt.datetime)
    return slot.astimezone(dt.UTC)


def dedup_key(job_name: str, slot: dt.datetime) -> str:
    stamp = slot.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    if len(job_name) + len(stamp) + 1 > 200:
        job_name = hashlib.sha256(job_name.encode()).hexdigest()
    return f"{job_name}@{stamp}"


class Scheduler:
    """Enqueues due periodic slots; remembers what it handled to spare the database."""

    def __init__(self, runtime: JobsRuntime) -> None:
        self.runtime = runtime
        self._handled: dict[tuple[str, int], dt.datetime] = {}

    def tick(self, now: dt.datetime | None = None) -> int:
        """Enqueue every slot due at ``now``; returns how many jobs this call enqueued."""
        now = now or utcnow()
        database = self.runtime.database
        with database.transaction() as session:
            tenants = [
                (tenant.id, tenant.timezone)
                for tenant in session.scalars(
                    select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.id)
                )
            ]
        enqueued = 0
        for job in periodic_jobs():
            for tenant_id, timezone in tenants:
                slot = latest_slot(job.cron, now, timezone)
                if self._handled.get((job.name, tenant_id)) == slot:
                    continue
                if self._enqueue_slot(job, tenant_id, slot):
                    enqueued += 1
                self._handled[(job.name, tenant_id)] = slot
        if self.runtime.inline:
            for tenant_id, _ in tenants:
                self._run_due_delayed(tenant_id, now)
        return enqueued

    def _enqueue_slot(self, job: PeriodicJob, tenant_id: int, slot: dt.datetime) -> bool:
        try:
            with self.runtime.database.transaction(tenant_id) as session:
                create_job_run(session, job.reference, [], {}, dedup_key=dedup_key(job.name, slot))
        except IntegrityError:
            return False
        logger.info("enqueued %s for tenant %s (slot %s)", job.name, tenant_id, slot.isoformat())
        return True

    def _run_due_delayed(self, tenant_id: int, now: dt.datetime) -> None:
        database = self.runtime.database
        with database.transaction(tenant_id) as session:
            due = list(
                session.scalars(
                    select(JobRun.id)
                    .where(JobRun.status == JobStatus.SCHEDULED, JobRun.run_at <= now)
                    .order_by(JobRun.run_at)
                    .limit(DUE_BATCH)
                )
            )
        for job_id in due:
            with database.transaction(tenant_id) as session:
                claim = session.execute(
                    update(JobRun)
                    .where(JobRun.id == job_id, JobRun.status == JobStatus.SCHEDULED)
                    .values(status=JobStatus.QUEUED, run_at=None)
                )
                claimed = cast(CursorResult[Any], claim).rowcount
            if claimed:
                run_inline(self.runtime, tenant_id, job_id)


def tick(app: Flask, now: dt.datetime | None = None) -> int:
    """One scheduler pass, as a fresh scheduler would make it (tests, ``--once``)."""
    return Scheduler(app.extensions["dinghuo.jobs"]).tick(now)


def load_job_modules() -> list[str]:
    """Import every ``dinghuo.<area>.<package>.jobs`` so their periodic jobs register."""
    loaded = []
    for area in JOB_MODULE_AREAS:
        package = importlib.import_module(area)
        for info in pkgutil.iter_modules(package.__path__):
            if not info.ispkg:
                continue
            name = f"{area}.{info.name}.jobs"
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
                loaded.append(name)
    return loaded


def run_scheduler(app: Flask, once: bool = False) -> None:
    """Tick every second until interrupted; ``once`` makes a single pass."""
    load_job_modules()
    scheduler = Scheduler(app.extensions["dinghuo.jobs"])
    with app.app_context():
        while True:
            started = time.monotonic()
            try:
                scheduler.tick()
            except Exception:  # noqa: BLE001 - a bad tick must not stop the schedules
                if once:
                    raise
                logger.exception("scheduler tick failed")
            if once:
                return
            time.sleep(max(0.0, TICK_SECONDS - (time.monotonic() - started)))
