"""Handing committed job rows to the queue, or running them inline, after commit.

All the jobs one transaction enqueues are sent together, in one Redis round
trip, by a single after-commit callback; a rollback drops the callback, so
nothing is sent for work that did not happen.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import update

from dinghuo.db import TenantGuardError, TenantSession, after_commit, utcnow
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.queue import Push, push
from dinghuo.platform.jobs.runner import run_inline
from dinghuo.platform.jobs.runtime import JobsRuntime, runtime_for

logger = logging.getLogger("dinghuo.jobs")

_BATCH_KEY = "dinghuo.jobs.batch"


class _Batch:
    """The jobs of one transaction, sent when it commits."""

    def __init__(self, runtime: JobsRuntime) -> None:
        self.runtime = runtime
        self.pushes: list[Push] = []

    def __call__(self) -> None:
        if self.runtime.inline:
            self._run_inline()
        else:
            self._push()

    def _push(self) -> None:
        settings = self.runtime.settings
        connection = self.runtime.redis
        assert connection is not None
        try:
            push(
                connection,
                self.pushes,
                timeout=settings.job_timeout_seconds,
                backoff_seconds=settings.job_retry_backoff_seconds,
            )
        except Exception as exc:  # noqa: BLE001 - the caller's work is committed; never raise
            logger.exception("could not queue %d committed jobs", len(self.pushes))
            _mark_unqueued(self.runtime, self.pushes, exc)

    def _run_inline(self) -> None:
        for item in self.pushes:
            if item.run_at is not None:
                continue
            try:
                run_inline(self.runtime, item.tenant_id, item.job_id)
            except Exception:  # noqa: BLE001 - the caller's work is committed; report, go on
                logger.exception("inline job %s could not be run", item.job_id)


def _mark_unqueued(runtime: JobsRuntime, pushes: list[Push], error: Exception) -> None:
    """Leave jobs Redis refused visibly failed, so a tenant admin can retry them."""
    try:
        for item in pushes:
            with runtime.database.transaction(item.tenant_id) as session:
                session.execute(
                    update(JobRun)
                    .where(JobRun.id == item.job_id)
                    .values(
                        status=JobStatus.FAILED,
                        finished_at=utcnow(),
                        error=f"could not reach the job queue: {type(error).__name__}: {error}",
                    )
                )
    except Exception:  # noqa: BLE001 - already logged above; the rows stay queued
        logger.exception("could not record the queueing failure")


def dispatch_after_commit(session: TenantSession, job: JobRun, *, replace: bool = False) -> None:
    """Send ``job`` to its tenant's queue (or run it inline) once ``session`` commits."""
    runtime = runtime_for(session)
    # One batch per (sub)transaction: a rolled-back savepoint drops its own pushes only.
    current = session.get_nested_transaction() or session.get_transaction()
    batch: _Batch | None = session.info.get(_BATCH_KEY)
    if batch is None or (current, batch) not in session.info.get("after_commit", []):
        batch = _Batch(runtime)
        session.info[_BATCH_KEY] = batch
        after_commit(session, batch)
    batch.pushes.append(
        Push(
            job_id=job.id,
            tenant_id=job.tenant_id,
            name=job.name,
            max_retries=job.max_retries,
            run_at=job.run_at,
            replace=replace,
        )
    )


def create_job_run(
    session: TenantSession,
    reference: str,
    args: list[Any],
    kwargs: dict[str, Any],
    *,
    delay: dt.timedelta | None = None,
    max_retries: int | None = None,
    dedup_key: str | None = None,
) -> JobRun:
    """Write the job's row in the caller's transaction and dispatch it after commit."""
    tenant_id = session.tenant_id
    if tenant_id is None:
        raise TenantGuardError("enqueue needs a session bound to a tenant")
    runtime = runtime_for(session)
    if max_retries is None:
        max_retries = runtime.settings.job_max_retries
    if max_retries < 0:
        raise ValueError("max_retries must be 0 or more")
    if delay is not None and delay < dt.timedelta(0):
        raise ValueError("delay must not be negative")
    now = utcnow()
    job = JobRun(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        name=reference,
        args={"args": args, "kwargs": kwargs},
        status=JobStatus.SCHEDULED if delay else JobStatus.QUEUED,
        max_retries=max_retries,
        attempts=0,
        dedup_key=dedup_key,
        created_at=now,
        run_at=now + delay if delay else None,
    )
    session.add(job)
    dispatch_after_commit(session, job)
    return job
