"""Running one job: the one code path shared by the RQ worker and inline mode.

An attempt is three transactions, each on a session bound to the job's
tenant (ORM guard, and RLS through ``SET LOCAL`` on PostgreSQL):

1. mark the :class:`JobRun` started and count the attempt;
2. call the job function with a fresh session in :class:`JobContext`,
   committed when the function returns and rolled back if it raises;
3. record the outcome: finished (with the JSON result), waiting for a retry,
   or failed (with the error) once the retries are spent.

While the job runs, its tenant and id are in the log context and in the
audit log's correlation id (``job:<id>``).
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import inspect
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import CursorResult, update

from dinghuo.config import Settings
from dinghuo.db import TenantSession, utcnow
from dinghuo.platform.audit.service import request_id_var
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.queue import retry_intervals
from dinghuo.platform.tenants.models import Tenant

if TYPE_CHECKING:
    from dinghuo.platform.jobs.runtime import JobsRuntime

logger = logging.getLogger("dinghuo.jobs")

ERROR_MAX_CHARS = 2000

#: ``(tenant slug, job id)`` of the job running in this context, for log records.
job_log_context: ContextVar[tuple[str, str] | None] = ContextVar("job_log_context", default=None)


@dataclass
class JobContext:
    """What a job function receives first: ``def fn(ctx: JobContext, *args, **kwargs)``.

    ``session`` is bound to the job's tenant and committed by the runner when
    the function returns; the function must not commit it half-way.
    """

    session: TenantSession
    tenant_id: int
    job_id: str
    attempt: int
    settings: Settings

    def enqueue(
        self,
        fn: Callable[..., Any],
        *args: Any,
        delay: dt.timedelta | None = None,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> JobRun:
        """Enqueue a follow-up job for this tenant; it is sent when this job commits."""
        from dinghuo.platform.jobs import enqueue

        return enqueue(self.session, fn, *args, delay=delay, max_retries=max_retries, **kwargs)


class Outcome(enum.StrEnum):
    FINISHED = "finished"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class Attempt:
    outcome: Outcome
    error: BaseException | None = None


def reference_of(fn: Callable[..., Any]) -> str:
    """``module:qualname`` of a module-level function; anything else is refused.

    The worker resolves the reference by importing the module, so lambdas,
    nested functions, methods, partials and ``__main__`` functions could not
    be found there.
    """
    if not inspect.isfunction(fn):
        raise TypeError(f"a job must be a module-level function, not {type(fn).__name__}")
    module, qualname = fn.__module__, fn.__qualname__
    if fn.__name__ == "<lambda>" or "<locals>" in qualname or qualname != fn.__name__:
        raise TypeError(f"a job must be a module-level function, not {qualname!r}")
    if module == "__main__":
        raise TypeError(f"job {qualname!r} is defined in __main__, which a worker cannot import")
    # Absent while a decorator (``@periodic``) runs; anything else must be fn itself.
    found = getattr(importlib.import_module(module), qualname, fn)
    if found is not fn:
        raise TypeError(f"{module}.{qualname} names another object than this function")
    return f"{module}:{qualname}"


def resolve(reference: str) -> Callable[..., Any]:
    module, _, qualname = reference.partition(":")
    fn = getattr(importlib.import_module(module), qualname, None)
    if not inspect.isfunction(fn):
        raise LookupError(f"job function {reference} not found")
    return fn


def _jsonable_result(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return {"repr": repr(value)[:ERROR_MAX_CHARS]}
    return {"value": value}


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]


@contextmanager
def _job_context(slug: str, job_id: str) -> Iterator[None]:
    log_token = job_log_context.set((slug, job_id))
    request_token = request_id_var.set(f"job:{job_id}")
    try:
        yield
    finally:
        request_id_var.reset(request_token)
        job_log_context.reset(log_token)


def _record(runtime: JobsRuntime, tenant_id: int, job_id: str, **values: Any) -> bool:
    """Update the job's row in a transaction of its own; False when the row is gone."""
    with runtime.database.transaction(tenant_id) as session:
        result = session.execute(
            update(JobRun)
            .where(JobRun.id == job_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(cast(CursorResult[Any], result).rowcount)


def execute(runtime: JobsRuntime, tenant_id: int, job_id: str) -> Attempt:
    """Run one attempt of a job and record it; the worker and inline mode both call this.

    The row is read and marked started by one ``UPDATE ... RETURNING``, and the
    outcome written by one ``UPDATE``: a job costs the database two short
    transactions besides its own work.
    """
    database = runtime.database
    with database.transaction(tenant_id) as session:
        started = session.execute(
            update(JobRun)
            .where(JobRun.id == job_id, JobRun.status != JobStatus.FINISHED)
            .values(
                status=JobStatus.STARTED,
                attempts=JobRun.attempts + 1,
                started_at=utcnow(),
                run_at=None,
            )
            .returning(JobRun.name, JobRun.args, JobRun.attempts, JobRun.max_retries)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        if started is None:
            logger.warning(
                "job %s of tenant %s is gone or already done; skipped", job_id, tenant_id
            )
            return Attempt(Outcome.SKIPPED)
        name, arguments, attempt, max_retries = started
        tenant = session.get(Tenant, tenant_id)
        slug = tenant.slug if tenant is not None else str(tenant_id)

    with _job_context(slug, job_id):
        logger.info("job %s started (%s, attempt %d)", job_id, name, attempt)
        failure: BaseException | None = None
        value: Any = None
        job_session = database.session(tenant_id)
        try:
            fn = resolve(name)
            ctx = JobContext(job_session, tenant_id, job_id, attempt, runtime.settings)
            value = fn(ctx, *arguments.get("args", []), **arguments.get("kwargs", {}))
            job_session.commit()
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried
            job_session.rollback()
            failure = exc
            logger.warning("job %s failed on attempt %d: %s", job_id, attempt, _describe(exc))
        finally:
            job_session.close()

        now = utcnow()
        if failure is None:
            found = _record(
                runtime,
                tenant_id,
                job_id,
                status=JobStatus.FINISHED,
                finished_at=now,
                result=_jsonable_result(value),
                error=None,
            )
            logger.info("job %s finished", job_id)
            return Attempt(Outcome.FINISHED if found else Outcome.SKIPPED)
        if attempt <= max_retries:
            backoff = 0
            if not runtime.inline:
                intervals = retry_intervals(max_retries, runtime.settings.job_retry_backoff_seconds)
                backoff = intervals[attempt - 1]
            found = _record(
                runtime,
                tenant_id,
                job_id,
                status=JobStatus.SCHEDULED if backoff else JobStatus.QUEUED,
                run_at=now + dt.timedelta(seconds=backoff) if backoff else None,
                error=_describe(failure),
            )
            return Attempt(Outcome.RETRY if found else Outcome.SKIPPED, failure)
        found = _record(
            runtime,
            tenant_id,
            job_id,
            status=JobStatus.FAILED,
            finished_at=now,
            error=_describe(failure),
        )
        logger.error("job %s failed for good after %d attempts", job_id, attempt)
        return Attempt(Outcome.FAILED if found else Outcome.SKIPPED, failure)


def run_inline(runtime: JobsRuntime, tenant_id: int, job_id: str) -> Outcome:
    """Inline mode: attempts follow each other at once, without backoff, up to the maximum."""
    while True:
        attempt = execute(runtime, tenant_id, job_id)
        if attempt.outcome is not Outcome.RETRY:
            return attempt.outcome


def perform(tenant_id: int, job_id: str) -> None:
    """The function every RQ job calls (inside the worker's app context).

    A failed attempt re-raises its error so RQ retries it with backoff and,
    once the retries are spent, files it in the tenant queue's failed registry.
    """
    runtime: JobsRuntime = current_app.extensions["dinghuo.jobs"]
    attempt = execute(runtime, tenant_id, job_id)
    if attempt.error is not None and attempt.outcome in (Outcome.RETRY, Outcome.FAILED):
        raise attempt.error


class JobLogFilter(logging.Filter):
    """Stamps log records emitted while a job runs with its tenant and ``job:<id>``.

    Runs after the request filter, so records inside a web request keep the
    request's own values.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        current = job_log_context.get()
        if current is not None:
            slug, job_id = current
            if getattr(record, "tenant", None) is None:
                record.tenant = slug
            if getattr(record, "request_id", None) is None:
                record.request_id = f"job:{job_id}"
        return True
