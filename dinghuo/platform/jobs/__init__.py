"""Background jobs: RQ queues per tenant, tenant context in every job, schedules.

Enqueue
    ``enqueue(session, fn, *args, delay=None, max_retries=None, **kwargs)``
    writes a :class:`~dinghuo.platform.jobs.models.JobRun` row in the caller's
    transaction and returns it. ``fn`` must be a module-level function
    (stored as ``module:qualname``, imported again when the job runs);
    lambdas, nested functions and methods are refused with ``TypeError``. The
    tenant is the session's (``TenantGuardError`` without one). Arguments
    must be plain JSON values (ids, strings, numbers, booleans, lists, dicts
    with string keys): pass ids, never ORM objects; anything else is refused
    at enqueue. Only after the transaction commits are the jobs handed to the
    queue, all of a transaction's jobs in one Redis round trip; a rollback
    sends nothing.

Job functions
    ``def fn(ctx: JobContext, *args, **kwargs)``. ``ctx.session`` is a fresh
    session bound to the job's tenant (ORM guard, and PostgreSQL RLS through
    ``SET LOCAL``), committed by the runner when ``fn`` returns and rolled
    back if it raises. ``ctx.tenant_id``, ``ctx.job_id``, ``ctx.attempt``
    (1-based), ``ctx.settings`` and ``ctx.enqueue(fn, ...)`` (a follow-up job,
    sent when this one commits) complete it. Jobs re-load what they need by
    id and must be idempotent: a job can run more than once (retries, a
    worker killed mid-job). The return value, when JSON, is kept in
    ``JobRun.result``. ``delay`` and ``max_retries`` are enqueue's own
    keywords, so a job function cannot take arguments of those names.

Queues and workers (``DINGHUO_REDIS_URL`` set)
    Each tenant has its own RQ queue, ``dinghuo:t:<tenant_id>``, listed in the
    Redis set ``dinghuo:jobs:queues``. RQ jobs carry only
    ``[tenant_id, job_run_id]`` (JSON serializer, never pickle) plus
    ``meta={"tenant_id", "job"}``. ``dinghuo worker`` (:func:`worker.run_worker`)
    builds the app once, pushes its app context and runs jobs in its own
    process (RQ ``SimpleWorker``: no fork per job). It re-reads the queue set
    on every loop, so new tenants are served without a restart, and takes one
    job from each non-empty tenant queue in turn (round robin), so a tenant
    with a large backlog delays another tenant's job by about one job per
    worker. Scale by running more worker processes.

Retries, timeouts, failures
    A job that raises is retried up to ``max_retries`` times (default
    ``DINGHUO_JOB_MAX_RETRIES``, 3) with exponential backoff: ``b, 2b, 4b, ...``
    seconds, ``b = DINGHUO_JOB_RETRY_BACKOFF_SECONDS`` (10), capped at an hour.
    A waiting retry shows as ``scheduled`` with ``run_at``; the workers move
    due scheduled jobs (delays and backoffs) onto their queues every second.
    Each attempt has a hard timeout of ``DINGHUO_JOB_TIMEOUT_SECONDS`` (300),
    after which it fails like an exception. When the retries are spent the
    row is ``failed`` with the error (``Type: message``; the traceback is in
    the worker log and in RQ's failed registry of the tenant's queue).
    ``POST /api/v1/jobs/<id>/retry`` queues a failed job again with a fresh
    retry budget.

Inline mode (no Redis: the embedded default and most tests)
    Jobs run right after the enqueuing transaction commits, in the same
    process and through the same runner. Retries follow at once, without
    backoff, up to ``max_retries``; then the job is ``failed``. There is no
    hard timeout inline. Delayed jobs wait as ``scheduled`` rows until
    ``dinghuo scheduler`` runs them when due.

Periodic jobs
    See :mod:`dinghuo.platform.jobs.schedule`: ``@periodic("*/5 * * * *")`` on
    a job function in a ``jobs.py`` module; ``dinghuo scheduler`` enqueues
    each due slot once per active tenant.

Status
    ``GET /api/v1/jobs`` (filters ``status``, ``name``; keyset pages),
    ``GET /api/v1/jobs/<id>`` need ``jobs:read``; the retry needs
    ``tenant:manage``. Another tenant's job answers 404. Finished and failed
    runs are deleted after 30 days by the hourly ``jobs.prune`` job
    (:mod:`dinghuo.platform.jobs.jobs`), except each periodic job's latest run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask

from dinghuo.db import TenantSession
from dinghuo.platform.jobs.dispatch import create_job_run
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.runner import JobContext, JobLogFilter, reference_of
from dinghuo.platform.jobs.runtime import JobsRuntime, register_runtime

__all__ = ["JobContext", "JobRun", "JobStatus", "enqueue", "init_app"]


def _check_json(value: Any, where: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(f"{where}: {value!r} is not a JSON number")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: dict keys must be strings, got {key!r}")
            _check_json(item, f"{where}[{key!r}]")
        return
    raise TypeError(
        f"{where}: {type(value).__name__} is not a JSON value; pass ids and plain values"
    )


def enqueue(
    session: TenantSession,
    fn: Callable[..., Any],
    *args: Any,
    delay: dt.timedelta | None = None,
    max_retries: int | None = None,
    **kwargs: Any,
) -> JobRun:
    """Run ``fn(ctx, *args, **kwargs)`` in the background for the session's tenant.

    The job row is part of the caller's transaction; the job is queued (or
    run inline) only once that transaction commits.
    """
    reference = reference_of(fn)
    for index, value in enumerate(args):
        _check_json(value, f"args[{index}]")
    for key, value in kwargs.items():
        _check_json(value, key)
    return create_job_run(
        session, reference, list(args), dict(kwargs), delay=delay, max_retries=max_retries
    )


def init_app(app: Flask) -> None:
    """Make jobs work for this app's database and tag job log records with their tenant."""
    runtime = JobsRuntime(app.config["SETTINGS"], app.extensions["dinghuo.db"])
    app.extensions["dinghuo.jobs"] = runtime
    register_runtime(runtime)
    log_filter = JobLogFilter()
    for handler in {*app.logger.handlers, *logging.getLogger("dinghuo").handlers}:
        handler.addFilter(log_filter)
