"""Background jobs without Redis: enqueue after commit, tenant context, retries, API, schedules.

These tests force inline mode (jobs run right after the enqueuing commit);
tests/test_jobs_redis.py covers the queues and the worker.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from dinghuo.core.crm.models import Dealer
from dinghuo.core.crm.service import create_dealer
from dinghuo.db import TenantGuardError
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.audit.service import record
from dinghuo.platform.jobs import JobContext, enqueue
from dinghuo.platform.jobs import schedule as schedule_module
from dinghuo.platform.jobs.jobs import prune_job_runs
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.runner import Outcome, execute
from dinghuo.platform.jobs.schedule import (
    Scheduler,
    latest_slot,
    load_job_modules,
    periodic,
    register_periodic,
    run_scheduler,
    tick,
)

CALLS: list[tuple[str, int, int]] = []
BROKEN: set[str] = set()


def list_dealer_names(ctx: JobContext, label: str = "") -> list[str]:
    CALLS.append(("list_dealer_names", ctx.tenant_id, ctx.attempt))
    return sorted(dealer.name_en for dealer in ctx.session.scalars(select(Dealer)))


def always_fails(ctx: JobContext, reason: str) -> None:
    CALLS.append(("always_fails", ctx.tenant_id, ctx.attempt))
    raise RuntimeError(reason)


def fails_on_first_attempt(ctx: JobContext) -> int:
    CALLS.append(("fails_on_first_attempt", ctx.tenant_id, ctx.attempt))
    if ctx.attempt == 1:
        raise ConnectionError("ERP did not answer")
    return ctx.attempt


def fails_while_broken(ctx: JobContext, key: str) -> str:
    CALLS.append(("fails_while_broken", ctx.tenant_id, ctx.attempt))
    if key in BROKEN:
        raise RuntimeError(f"{key} is broken")
    return "ok"


def creates_dealer_then_fails(ctx: JobContext, code: str) -> None:
    create_dealer(ctx.session, None, code=code, name_zh="临时经销商", name_en="Temporary")
    ctx.session.flush()
    raise RuntimeError("crashed after writing")


def enqueues_follow_up(ctx: JobContext) -> str:
    follow_up = ctx.enqueue(list_dealer_names, "follow-up")
    return follow_up.id


def writes_audit_entry(ctx: JobContext) -> None:
    record(ctx.session, None, "test.job_ran", "job", ctx.job_id)


def log_context(ctx: JobContext) -> list[str]:
    """What the app's log handler stamps on a record emitted inside this job."""
    record = logging.LogRecord("dinghuo.test", logging.INFO, __file__, 1, "hello", None, None)
    for handler in logging.getLogger("dinghuo").handlers:
        handler.filter(record)
    return [record.tenant, record.request_id]


def nightly_report(ctx: JobContext) -> None:
    CALLS.append(("nightly_report", ctx.tenant_id, ctx.attempt))


@pytest.fixture(autouse=True)
def inline_jobs(app, monkeypatch):
    """Inline mode whatever DINGHUO_TEST_REDIS_URL says; a clean call log."""
    monkeypatch.setattr(app.config["SETTINGS"], "redis_url", None)
    CALLS.clear()
    BROKEN.clear()
    yield
    CALLS.clear()
    BROKEN.clear()


@pytest.fixture
def no_periodic_jobs(monkeypatch):
    """An empty periodic registry for the test, whatever other modules registered.

    The job modules are imported first, so their registrations land in the
    real registry, which comes back after the test.
    """
    load_job_modules()
    monkeypatch.setattr(schedule_module, "_registry", {})


def enqueue_for(db, tenant_id: int, fn, *args, **kwargs) -> str:
    with db.transaction(tenant_id) as session:
        return enqueue(session, fn, *args, **kwargs).id


def load_job(db, tenant_id: int, job_id: str) -> JobRun:
    with db.transaction(tenant_id) as session:
        job = session.get(JobRun, job_id)
        assert job is not None
        return job


def test_rolled_back_transaction_enqueues_nothing(db, acme):
    session = db.session(acme.id)
    job = enqueue(session, list_dealer_names)
    session.rollback()
    session.close()

    with db.transaction(acme.id) as check:
        assert check.scalar(select(func.count()).select_from(JobRun)) == 0
    assert CALLS == []
    assert job.status == JobStatus.QUEUED


def test_job_runs_only_after_commit_with_its_tenant_bound(db, acme, globex):
    with db.transaction(acme.id) as session:
        job_id = enqueue(session, list_dealer_names, "acme").id
        assert CALLS == []

    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FINISHED
    assert job.name == "test_jobs:list_dealer_names"
    assert job.args == {"args": ["acme"], "kwargs": {}}
    assert job.attempts == 1
    assert job.result == {"value": ["Acme 数码 East", "Acme 数码 South"]}
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert CALLS == [("list_dealer_names", acme.id, 1)]


def test_savepoints_neither_run_jobs_early_nor_lose_the_outer_transactions_jobs(db, acme, run_jobs):
    with db.transaction(acme.id) as session:
        enqueue(session, list_dealer_names, "before")
        with session.begin_nested():
            enqueue(session, list_dealer_names, "kept")
        assert CALLS == [], "a released savepoint is not a commit"
        with pytest.raises(RuntimeError), session.begin_nested():
            enqueue(session, list_dealer_names, "dropped")
            raise RuntimeError("roll this savepoint back")
        enqueue(session, list_dealer_names, "after")
        assert CALLS == []
    run_jobs()

    with db.transaction(acme.id) as check:
        ran = check.scalars(select(JobRun).order_by(JobRun.created_at)).all()
        assert [job.args["args"] for job in ran] == [["before"], ["kept"], ["after"]]
        assert {job.status for job in ran} == {JobStatus.FINISHED}


def test_enqueue_needs_a_tenant(db, acme):
    with db.transaction() as session, pytest.raises(TenantGuardError):
        enqueue(session, list_dealer_names)


def test_enqueue_refuses_what_a_worker_could_not_find(db, acme):
    def nested(ctx: JobContext) -> None:
        return None

    with db.transaction(acme.id) as session:
        for fn in (lambda ctx: None, nested, print, JobContext.enqueue):
            with pytest.raises(TypeError, match="module-level function"):
                enqueue(session, fn)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((dt.date(2026, 1, 1),), {}),
        ((), {"dealer": object()}),
        (((1, 2),), {}),
        (({1: "x"},), {}),
        ((float("nan"),), {}),
    ],
)
def test_enqueue_refuses_arguments_that_are_not_json(db, acme, args, kwargs):
    with db.transaction(acme.id) as session, pytest.raises(TypeError):
        enqueue(session, list_dealer_names, *args, **kwargs)


def test_failing_job_is_retried_at_once_then_marked_failed(db, acme):
    job_id = enqueue_for(db, acme.id, always_fails, "ERP down", max_retries=2)

    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 3
    assert job.error == "RuntimeError: ERP down"
    assert job.finished_at is not None
    assert CALLS == [("always_fails", acme.id, n) for n in (1, 2, 3)]


def test_default_retry_budget_comes_from_the_settings(db, acme, app):
    job_id = enqueue_for(db, acme.id, always_fails, "no")

    job = load_job(db, acme.id, job_id)
    assert job.max_retries == app.config["SETTINGS"].job_max_retries
    assert job.attempts == job.max_retries + 1


def test_job_that_fails_once_succeeds_on_its_retry(db, acme):
    job_id = enqueue_for(db, acme.id, fails_on_first_attempt)

    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FINISHED
    assert job.attempts == 2
    assert job.result == {"value": 2}
    assert job.error is None


def test_failed_attempt_rolls_back_what_the_job_wrote(db, acme):
    job_id = enqueue_for(db, acme.id, creates_dealer_then_fails, "TMP1", max_retries=0)

    assert load_job(db, acme.id, job_id).status == JobStatus.FAILED
    with db.transaction(acme.id) as session:
        assert session.scalars(select(Dealer).where(Dealer.code == "TMP1")).first() is None


def test_follow_up_job_runs_once_its_parent_commits(db, acme):
    parent_id = enqueue_for(db, acme.id, enqueues_follow_up)

    parent = load_job(db, acme.id, parent_id)
    follow_up = load_job(db, acme.id, parent.result["value"])
    assert follow_up.status == JobStatus.FINISHED
    assert follow_up.args == {"args": ["follow-up"], "kwargs": {}}


def test_audit_entries_written_by_a_job_carry_its_id(db, acme):
    job_id = enqueue_for(db, acme.id, writes_audit_entry)

    with db.transaction(acme.id) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "test.job_ran")).one()
    assert entry.request_id == f"job:{job_id}"
    assert entry.actor_type == "system"


def test_job_records_carry_its_tenant_and_id_in_the_logs(db, acme):
    job_id = enqueue_for(db, acme.id, log_context)

    assert load_job(db, acme.id, job_id).result == {"value": ["acme", f"job:{job_id}"]}


def test_a_job_is_never_run_under_another_tenant(app, db, acme, globex):
    job_id = enqueue_for(db, acme.id, list_dealer_names, delay=dt.timedelta(hours=1))
    runtime = app.extensions["dinghuo.jobs"]

    assert execute(runtime, globex.id, job_id).outcome is Outcome.SKIPPED
    assert load_job(db, acme.id, job_id).status == JobStatus.SCHEDULED
    assert execute(runtime, acme.id, job_id).outcome is Outcome.FINISHED
    assert CALLS == [("list_dealer_names", acme.id, 1)]


def test_job_the_queue_refused_is_left_failed_for_a_retry(app, db, acme, monkeypatch):
    monkeypatch.setattr(app.config["SETTINGS"], "redis_url", "redis://127.0.0.1:1/0")

    job_id = enqueue_for(db, acme.id, list_dealer_names)

    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("could not reach the job queue: ConnectionError")
    assert CALLS == []


def test_failed_jobs_are_listed_for_their_tenant_only(db, acme, globex, api):
    failed_id = enqueue_for(db, acme.id, always_fails, "carrier rejected", max_retries=0)
    enqueue_for(db, acme.id, list_dealer_names)

    listed = api(acme, "warehouse").get("/api/v1/jobs?status=failed")
    assert listed.status_code == 200, listed.json
    assert [item["id"] for item in listed.json["items"]] == [failed_id]
    assert listed.json["items"][0]["error"] == "RuntimeError: carrier rejected"
    assert listed.json["items"][0]["name"] == "test_jobs:always_fails"

    one = api(acme, "owner").get(f"/api/v1/jobs/{failed_id}")
    assert one.status_code == 200
    assert one.json["status"] == "failed"
    assert one.json["attempts"] == 1

    assert api(globex, "owner").get("/api/v1/jobs").json["items"] == []
    assert api(globex, "owner").get(f"/api/v1/jobs/{failed_id}").status_code == 404
    assert api(globex, "owner").post(f"/api/v1/jobs/{failed_id}/retry").status_code == 404


def test_dealers_and_anonymous_callers_cannot_read_jobs(acme, api):
    assert api(acme, "buyer").get("/api/v1/jobs").status_code == 403
    assert api(acme).get("/api/v1/jobs").status_code == 401


def test_job_list_pages_and_filters_by_name(db, acme, api):
    ids = [enqueue_for(db, acme.id, list_dealer_names, str(n)) for n in range(3)]
    enqueue_for(db, acme.id, fails_on_first_attempt)

    client = api(acme, "owner")
    first = client.get("/api/v1/jobs?name=test_jobs:list_dealer_names&limit=2&sort=created_at")
    assert first.status_code == 200, first.json
    second = client.get(
        "/api/v1/jobs?name=test_jobs:list_dealer_names&limit=2&sort=created_at"
        f"&cursor={first.json['next_cursor']}"
    )
    assert second.json["next_cursor"] is None
    seen = [item["id"] for item in first.json["items"] + second.json["items"]]
    assert sorted(seen) == sorted(ids)

    bad = client.get("/api/v1/jobs?status=exploded")
    assert bad.status_code == 422
    assert "status" in bad.json["error"]["fields"]


def test_failed_job_can_be_retried_by_a_tenant_manager(db, acme, api):
    BROKEN.add("erp")
    job_id = enqueue_for(db, acme.id, fails_while_broken, "erp", max_retries=1)
    assert load_job(db, acme.id, job_id).status == JobStatus.FAILED

    assert api(acme, "warehouse").post(f"/api/v1/jobs/{job_id}/retry").status_code == 403

    BROKEN.clear()
    retried = api(acme, "owner").post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 202, retried.json
    assert retried.json["status"] == "queued"

    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FINISHED
    assert job.attempts == 1
    assert job.result == {"value": "ok"}
    with db.transaction(acme.id) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "job.retried")).one()
    assert entry.object_id == job_id
    assert entry.details["previous_error"] == "RuntimeError: erp is broken"

    again = api(acme, "owner").post(f"/api/v1/jobs/{job_id}/retry")
    assert again.status_code == 409


def test_delayed_job_waits_for_the_scheduler_when_it_falls_due(app, db, acme, no_periodic_jobs):
    job_id = enqueue_for(db, acme.id, list_dealer_names, delay=dt.timedelta(hours=1))
    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.SCHEDULED
    assert job.run_at - job.created_at == dt.timedelta(hours=1)

    tick(app, dt.datetime.now(dt.UTC))
    assert load_job(db, acme.id, job_id).status == JobStatus.SCHEDULED

    tick(app, dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    job = load_job(db, acme.id, job_id)
    assert job.status == JobStatus.FINISHED
    assert job.run_at is None


def test_scheduler_enqueues_each_slot_once_per_active_tenant(
    app, db, acme, globex, platform_api, no_periodic_jobs
):
    periodic("*/5 * * * *")(nightly_report)
    suspended = platform_api.post(
        f"/api/v1/platform/tenants/{globex.id}/suspend", json={"reason": "unpaid"}
    )
    assert suspended.status_code == 200, suspended.json
    at = dt.datetime(2026, 3, 2, 12, 3, tzinfo=dt.UTC)

    assert tick(app, at) == 1
    assert tick(app, at + dt.timedelta(minutes=1)) == 0
    one_scheduler, another = (
        Scheduler(app.extensions["dinghuo.jobs"]),
        Scheduler(app.extensions["dinghuo.jobs"]),
    )
    assert another.tick(at) == 0
    assert one_scheduler.tick(at + dt.timedelta(minutes=2)) == 1
    assert one_scheduler.tick(at + dt.timedelta(minutes=3)) == 0

    reports = select(JobRun).where(JobRun.name == "test_jobs:nightly_report")
    with db.transaction(acme.id) as session:
        runs = list(session.scalars(reports))
    keys = sorted(run.dedup_key for run in runs)
    statuses = {run.status for run in runs}
    assert keys == [
        "test_jobs:nightly_report@2026-03-02T12:00Z",
        "test_jobs:nightly_report@2026-03-02T12:05Z",
    ]
    assert statuses == {JobStatus.FINISHED}
    assert CALLS == [("nightly_report", acme.id, 1)] * 2
    with db.transaction(globex.id) as session:
        assert list(session.scalars(reports)) == []


def test_scheduler_command_makes_one_pass_with_once(app, db, acme, no_periodic_jobs):
    register_periodic("report", "* * * * *", nightly_report)

    run_scheduler(app, once=True)

    assert CALLS == [("nightly_report", acme.id, 1)]


def test_old_runs_are_pruned_but_each_periodic_jobs_last_slot_is_kept(db, acme, globex):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)

    def run(tenant_id: int, key: str, status: JobStatus, *, age: dt.timedelta, slot: bool = False):
        with db.transaction(tenant_id) as session:
            session.add(
                JobRun(
                    id=key,
                    name="test_jobs:nightly_report" if slot else "test_jobs:list_dealer_names",
                    args={"args": [], "kwargs": {}},
                    status=status,
                    dedup_key=f"test_jobs:nightly_report@{key}" if slot else None,
                    created_at=old + age,
                    finished_at=old + age,
                )
            )

    run(acme.id, "old-finished", JobStatus.FINISHED, age=dt.timedelta(0))
    run(acme.id, "old-failed", JobStatus.FAILED, age=dt.timedelta(0))
    run(acme.id, "old-queued", JobStatus.QUEUED, age=dt.timedelta(0))
    run(acme.id, "recent", JobStatus.FINISHED, age=dt.timedelta(days=39))
    run(acme.id, "slot-1", JobStatus.FINISHED, age=dt.timedelta(0), slot=True)
    run(acme.id, "slot-2", JobStatus.FINISHED, age=dt.timedelta(minutes=5), slot=True)
    run(globex.id, "globex-old", JobStatus.FINISHED, age=dt.timedelta(0))

    prune_id = enqueue_for(db, acme.id, prune_job_runs)

    assert load_job(db, acme.id, prune_id).result == {"value": {"deleted": 3}}
    with db.transaction(acme.id) as session:
        left = set(session.scalars(select(JobRun.id))) - {prune_id}
    assert left >= {"old-queued", "recent", "slot-2"}
    assert not left & {"old-finished", "old-failed", "slot-1"}
    assert load_job(db, globex.id, "globex-old").status == JobStatus.FINISHED


def test_cron_slots_are_read_in_the_tenants_time_zone():
    now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    assert latest_slot("0 3 * * *", now, "Asia/Shanghai") == dt.datetime(
        2026, 3, 1, 19, 0, tzinfo=dt.UTC
    )
    assert latest_slot("0 3 * * *", now, "UTC") == dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
    assert latest_slot("*/5 * * * *", now, "UTC") == now


def test_periodic_registration_refuses_bad_schedules(no_periodic_jobs):
    with pytest.raises(ValueError):
        register_periodic("report", "every night", nightly_report)
    register_periodic("report", "0 3 * * *", nightly_report)
    register_periodic("report", "0 3 * * *", nightly_report)
    with pytest.raises(ValueError, match="already registered"):
        register_periodic("report", "0 4 * * *", nightly_report)
