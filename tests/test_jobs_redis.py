"""Background jobs on Redis: per-tenant queues, the worker, fairness, retries, timeouts.

Needs ``DINGHUO_TEST_REDIS_URL`` (a Redis database the suite may flush):
skipped without it locally, failed without it under ``CI=true``.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from flask import current_app
from rq.job import Job
from sqlalchemy import select, text

from dinghuo.core.crm.models import Dealer
from dinghuo.platform.jobs import JobContext, enqueue
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.queue import (
    ACTIVE_QUEUES_KEY,
    promote_due_jobs,
    queue_name,
    tenant_queue,
)
from dinghuo.platform.jobs.worker import run_worker

pytestmark = pytest.mark.redis

ORDER: list[tuple[int, str]] = []
GLOBEX: dict[str, int] = {}


def note(ctx: JobContext, label: str) -> None:
    ORDER.append((ctx.tenant_id, label))


def note_and_let_globex_in(ctx: JobContext, label: str) -> None:
    """Acme's job that, mid-backlog, has Globex enqueue its first job ever."""
    ORDER.append((ctx.tenant_id, label))
    with current_app.extensions["dinghuo.db"].transaction(GLOBEX["id"]) as session:
        enqueue(session, note, "globex")


def dealer_names(ctx: JobContext) -> dict[str, list[str]]:
    orm = sorted(d.name_en for d in ctx.session.scalars(select(Dealer)))
    raw = sorted(ctx.session.scalars(text("SELECT name_en FROM dealers")))
    return {"orm": orm, "raw": raw}


def always_fails(ctx: JobContext) -> None:
    raise RuntimeError(f"attempt {ctx.attempt} failed")


def sleeps(ctx: JobContext, seconds: float) -> None:
    time.sleep(seconds)


@pytest.fixture
def redis(app, acme, globex, monkeypatch, missing_service):
    """The test Redis, emptied once the tenants are seeded and after the test.

    Retries go without backoff unless a test says otherwise.
    """
    settings = app.config["SETTINGS"]
    if not settings.redis_url:
        missing_service("DINGHUO_TEST_REDIS_URL is not set")
    connection = app.extensions["dinghuo.jobs"].redis
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001 - unreachable is a failure under CI
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"Redis unreachable: {exc}")
    connection.flushdb()
    monkeypatch.setattr(settings, "job_retry_backoff_seconds", 0)
    ORDER.clear()
    yield connection
    ORDER.clear()
    GLOBEX.clear()
    connection.flushdb()


def enqueue_for(db, tenant_id: int, fn, *args, **kwargs) -> str:
    with db.transaction(tenant_id) as session:
        return enqueue(session, fn, *args, **kwargs).id


def load_job(db, tenant_id: int, job_id: str) -> JobRun:
    with db.transaction(tenant_id) as session:
        job = session.get(JobRun, job_id)
        assert job is not None
        return job


def test_jobs_wait_in_their_tenants_queue_for_a_worker(app, db, redis, acme, globex):
    acme_job = enqueue_for(db, acme.id, dealer_names)
    globex_job = enqueue_for(db, globex.id, dealer_names)

    assert load_job(db, acme.id, acme_job).status == JobStatus.QUEUED
    assert tenant_queue(redis, acme.id).job_ids == [acme_job]
    assert tenant_queue(redis, globex.id).job_ids == [globex_job]
    assert {m.decode() for m in redis.smembers(ACTIVE_QUEUES_KEY)} >= {
        queue_name(acme.id),
        queue_name(globex.id),
    }
    queued = Job.fetch(
        acme_job, connection=redis, serializer=tenant_queue(redis, acme.id).serializer
    )
    assert queued.args == [acme.id, acme_job]
    assert queued.meta == {"tenant_id": acme.id, "job": "test_jobs_redis:dealer_names"}
    assert queued.timeout == app.config["SETTINGS"].job_timeout_seconds

    assert run_worker(app, burst=True) is True

    acme_result = load_job(db, acme.id, acme_job)
    assert acme_result.status == JobStatus.FINISHED
    assert acme_result.result["value"]["orm"] == ["Acme 数码 East", "Acme 数码 South"]
    globex_result = load_job(db, globex.id, globex_job)
    assert globex_result.result["value"]["orm"] == ["Globex 电子 East", "Globex 电子 South"]


def test_rolled_back_transaction_queues_nothing(db, redis, acme):
    session = db.session(acme.id)
    enqueue(session, note, "never")
    session.rollback()
    session.close()

    assert tenant_queue(redis, acme.id).count == 0
    assert not redis.sismember(ACTIVE_QUEUES_KEY, queue_name(acme.id))


def test_worker_sees_the_tenant_rows_only_through_row_level_security(app, db, redis, acme, globex):
    if not app.config["SETTINGS"].is_postgres:
        pytest.skip("row-level security needs PostgreSQL")
    job_id = enqueue_for(db, acme.id, dealer_names)

    run_worker(app, burst=True)

    result = load_job(db, acme.id, job_id).result["value"]
    assert result["raw"] == ["Acme 数码 East", "Acme 数码 South"]


def test_a_backlog_does_not_starve_another_tenant(app, db, redis, acme, globex):
    GLOBEX["id"] = globex.id
    with db.transaction(acme.id) as session:
        for n in range(1000):
            enqueue(session, note_and_let_globex_in if n == 2 else note, f"acme-{n}")
    assert tenant_queue(redis, acme.id).count == 1000
    assert not redis.sismember(ACTIVE_QUEUES_KEY, queue_name(globex.id))

    run_worker(app, burst=True, max_jobs=8)

    labels = [label for _, label in ORDER]
    assert labels[:3] == ["acme-0", "acme-1", "acme-2"]
    assert "globex" in labels[3:6], labels
    assert tenant_queue(redis, acme.id).count == 1000 - (len(ORDER) - 1)


def test_failing_job_backs_off_then_lands_in_the_tenants_failed_registry(
    app, db, redis, acme, globex, monkeypatch, api
):
    monkeypatch.setattr(app.config["SETTINGS"], "job_retry_backoff_seconds", 1)
    job_id = enqueue_for(db, acme.id, always_fails, max_retries=2)
    queued = Job.fetch(job_id, connection=redis, serializer=tenant_queue(redis, acme.id).serializer)
    assert queued.retries_left == 2
    assert queued.retry_intervals == [1, 2]

    run_worker(app, burst=True)
    job = load_job(db, acme.id, job_id)
    assert (job.status, job.attempts) == (JobStatus.SCHEDULED, 1)
    assert job.run_at > job.started_at
    assert job.error == "RuntimeError: attempt 1 failed"
    assert job_id in tenant_queue(redis, acme.id).scheduled_job_registry.get_job_ids()

    for attempts in (2, 3):
        time.sleep(2 if attempts == 3 else 1)
        run_worker(app, burst=True)
        assert load_job(db, acme.id, job_id).attempts == attempts

    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error == "RuntimeError: attempt 3 failed"
    assert tenant_queue(redis, acme.id).failed_job_registry.get_job_ids() == [job_id]
    assert tenant_queue(redis, globex.id).failed_job_registry.get_job_ids() == []

    listed = api(acme, "owner").get("/api/v1/jobs?status=failed")
    assert [item["id"] for item in listed.json["items"]] == [job_id]
    assert api(globex, "owner").get("/api/v1/jobs?status=failed").json["items"] == []


def test_retrying_a_failed_job_queues_it_afresh(app, db, redis, acme, api):
    job_id = enqueue_for(db, acme.id, always_fails, max_retries=0)
    run_worker(app, burst=True)
    assert tenant_queue(redis, acme.id).failed_job_registry.get_job_ids() == [job_id]

    retried = api(acme, "admin").post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 202, retried.json

    assert tenant_queue(redis, acme.id).failed_job_registry.get_job_ids() == []
    assert tenant_queue(redis, acme.id).job_ids == [job_id]
    run_worker(app, burst=True)
    job = load_job(db, acme.id, job_id)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert tenant_queue(redis, acme.id).failed_job_registry.get_job_ids() == [job_id]


def test_job_running_past_the_timeout_is_stopped_and_failed(app, db, redis, acme, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "job_timeout_seconds", 1)
    job_id = enqueue_for(db, acme.id, sleeps, 5, max_retries=0)

    started = time.monotonic()
    run_worker(app, burst=True)

    assert time.monotonic() - started < 4
    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("JobTimeoutException")


def test_delayed_job_runs_once_due(app, db, redis, acme):
    job_id = enqueue_for(db, acme.id, note, "later", delay=dt.timedelta(minutes=5))
    assert load_job(db, acme.id, job_id).status == JobStatus.SCHEDULED

    run_worker(app, burst=True)
    assert ORDER == []

    due = time.time() + 301
    assert promote_due_jobs(redis, [queue_name(acme.id)], now=due) == 1
    assert promote_due_jobs(redis, [queue_name(acme.id)], now=due) == 0
    run_worker(app, burst=True)
    assert ORDER == [(acme.id, "later")]
    assert load_job(db, acme.id, job_id).status == JobStatus.FINISHED


def test_worker_without_redis_refuses_to_start(app, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "redis_url", None)
    with pytest.raises(RuntimeError, match="DINGHUO_REDIS_URL"):
        run_worker(app, burst=True)
