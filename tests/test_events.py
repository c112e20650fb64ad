"""The transactional outbox: written with the change, delivered after commit, never lost."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from dinghuo.db import TenantGuardError, utcnow
from dinghuo.platform.events.models import OutboxEvent
from dinghuo.platform.events.service import backoff, dispatch_pending, emit, pending_events
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.schedule import load_job_modules, periodic_jobs, tick
from dinghuo.platform.jobs.worker import run_worker

DISPATCH_JOB = "dinghuo.platform.events.jobs:dispatch_events"


@pytest.fixture(autouse=True)
def inline_jobs(app, monkeypatch):
    """Outbox semantics are tested with jobs run inline; the Redis path has its own test.

    Returns the Redis URL the suite was given (or None).
    """
    redis_url = app.config["SETTINGS"].redis_url
    monkeypatch.setattr(app.config["SETTINGS"], "redis_url", None)
    return redis_url


def events_of(db, world) -> list[OutboxEvent]:
    with db.transaction(world.id) as session:
        return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


def dispatch(db, world, plugin_host, **options):
    with db.transaction(world.id) as session:
        return dispatch_pending(session, plugin_host, **options)


def later(seconds: float):
    moment = utcnow() + dt.timedelta(seconds=seconds)
    return lambda: moment


def test_emit_writes_the_event_in_the_callers_transaction(db, acme):
    with pytest.raises(RuntimeError), db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 1, {"total": Decimal("10.00")})
        raise RuntimeError("the order could not be saved")
    assert [e.type for e in events_of(db, acme) if e.aggregate_type == "order"] == []
    with db.transaction(acme.id) as session:
        event = emit(
            session,
            "order.submitted",
            "order",
            42,
            {"total": Decimal("1299.00"), "at": dt.date(2026, 1, 2), "lines": [{"sku": "P60"}]},
        )
    [stored] = [e for e in events_of(db, acme) if e.aggregate_type == "order"]
    assert stored.id == event.id
    assert (stored.type, stored.aggregate_id) == ("order.submitted", "42")
    assert stored.payload == {"total": "1299.00", "at": "2026-01-02", "lines": [{"sku": "P60"}]}


def test_emit_needs_a_tenant_a_dotted_type_and_a_json_payload(db, acme):
    with db.transaction() as session:
        with pytest.raises(TenantGuardError):
            emit(session, "order.submitted", "order", 1, {})
    with db.transaction(acme.id) as session:
        for bad in ("OrderSubmitted", "order", "order..x", "order.Submitted"):
            with pytest.raises(ValueError, match="dotted lowercase"):
                emit(session, bad, "order", 1, {})
        with pytest.raises(TypeError, match="not JSON"):
            emit(session, "order.submitted", "order", 1, {"when": object()})


def test_onboarding_and_new_dealers_emit_events(db, acme):
    events = [(e.type, e.aggregate_type, e.payload.get("code")) for e in events_of(db, acme)]
    assert ("tenant.created", "tenant", None) in events
    assert ("dealer.created", "dealer", "D001") in events
    assert ("dealer.created", "dealer", "D002") in events


def test_an_event_is_delivered_after_commit_to_the_tenants_enabled_plugins(
    db, acme, globex, recording_plugin, enable_plugin
):
    erp = recording_plugin("erp")
    enable_plugin(acme, "erp")
    with db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 7, {"total": "5.00"})
        assert erp.events == []
    [event] = erp.events
    assert (event.type, event.aggregate_id, event.payload["total"]) == (
        "order.submitted",
        "7",
        "5.00",
    )
    assert event.tenant.slug == "acme"
    assert event.attempt == 1
    stored = [e for e in events_of(db, acme) if e.id == event.id][0]
    assert stored.delivered_at is not None
    assert stored.delivered_to == ["erp"]
    with db.transaction(globex.id) as session:
        emit(session, "order.submitted", "order", 7, {})
    assert len(erp.events) == 1


def test_one_dispatch_job_per_transaction_and_none_for_tenants_without_plugins(
    db, acme, globex, recording_plugin, enable_plugin
):
    recording_plugin("erp")
    enable_plugin(acme, "erp")
    for world in (acme, globex):
        with db.transaction(world.id) as session:
            for number in range(3):
                emit(session, "order.submitted", "order", number, {})
    with db.transaction(acme.id) as session:
        acme_jobs = list(session.scalars(select(JobRun).where(JobRun.name == DISPATCH_JOB)))
    with db.transaction(globex.id) as session:
        globex_jobs = list(session.scalars(select(JobRun).where(JobRun.name == DISPATCH_JOB)))
    assert [job.status for job in acme_jobs] == [JobStatus.FINISHED]
    assert acme_jobs[0].result == {"value": {"delivered": 3, "failed": 0, "more": False}}
    assert globex_jobs == []


def test_a_failed_delivery_backs_off_then_is_retried(
    db, acme, recording_plugin, enable_plugin, plugin_host
):
    erp = recording_plugin("erp", fail=True)
    enable_plugin(acme, "erp")
    with db.transaction(acme.id) as session:
        event_id = emit(session, "order.submitted", "order", 1, {}).id
    [failed] = [e for e in events_of(db, acme) if e.id == event_id]
    assert failed.delivered_at is None
    assert failed.attempts == 1
    assert "erp: RuntimeError('erp refuses order.submitted')" in failed.last_error
    wait = failed.next_attempt_at - utcnow()
    assert dt.timedelta(seconds=25) < wait <= dt.timedelta(seconds=30)
    assert dispatch(db, acme, plugin_host).delivered == 0
    erp.fail = False
    report = dispatch(db, acme, plugin_host, now=later(31))
    assert (report.delivered, report.failed) == (1, 0)
    assert [e.attempt for e in erp.events if e.id == event_id] == [2]
    [retried] = [e for e in events_of(db, acme) if e.id == event_id]
    assert retried.attempts == 2
    assert retried.last_error is None
    assert retried.next_attempt_at is None


def test_backoff_doubles_from_thirty_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30) == dt.timedelta(hours=1)


def test_later_events_of_a_failing_aggregate_wait_and_other_aggregates_proceed(
    db, acme, recording_plugin, enable_plugin, plugin_host
):
    erp = recording_plugin("erp", fail="order.submitted")
    enable_plugin(acme, "erp")
    with db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 1, {})
        emit(session, "order.approved", "order", 1, {})
        emit(session, "order.approved", "order", 2, {})
    assert erp.received() == [("order.approved", "order", "2")]
    with db.transaction(acme.id) as session:
        waiting = [(e.type, e.aggregate_id, e.attempts) for e in pending_events(session)]
    assert ("order.submitted", "1", 1) in waiting
    assert ("order.approved", "1", 0) in waiting
    erp.fail = False
    dispatch(db, acme, plugin_host, now=later(31))
    assert erp.received()[1:] == [
        ("order.submitted", "order", "1"),
        ("order.approved", "order", "1"),
    ]


def test_a_retry_caused_by_one_plugin_is_not_repeated_to_the_others(
    db, acme, recording_plugin, enable_plugin, plugin_host
):
    erp = recording_plugin("erp", fail=True)
    crm = recording_plugin("crm")
    enable_plugin(acme, "erp")
    enable_plugin(acme, "crm")
    with db.transaction(acme.id) as session:
        event_id = emit(session, "stock.low", "sku", "P60", {"on_hand": 3}).id
    assert [e.id for e in crm.events] == [event_id]
    erp.fail = False
    dispatch(db, acme, plugin_host, now=later(31))
    assert [e.id for e in erp.events] == [event_id]
    assert [e.id for e in crm.events] == [event_id]
    [stored] = [e for e in events_of(db, acme) if e.id == event_id]
    assert stored.delivered_to == ["crm", "erp"]


def test_a_plugin_past_its_time_limit_fails_the_delivery_for_a_retry(
    db, acme, recording_plugin, enable_plugin, plugin_host, monkeypatch
):
    recording_plugin("slow", delay=1.0)
    enable_plugin(acme, "slow")
    monkeypatch.setattr("dinghuo.platform.events.service.enqueue", lambda *a, **k: None)
    with db.transaction(acme.id) as session:
        emit(session, "order.submitted", "order", 1, {})
    report = dispatch(db, acme, plugin_host, timeout=0.05)
    assert report.failed == 1
    with db.transaction(acme.id) as session:
        [waiting] = pending_events(session)
    assert "did not answer within 0.05s" in waiting.last_error


def test_a_crash_between_commit_and_dispatch_loses_nothing(
    app, db, acme, recording_plugin, enable_plugin, monkeypatch
):
    erp = recording_plugin("erp")
    enable_plugin(acme, "erp")

    def killed(*args, **kwargs):
        raise SystemError("worker killed after the commit, before the dispatch")

    with monkeypatch.context() as crash:
        crash.setattr("dinghuo.platform.jobs.dispatch.run_inline", killed)
        with db.transaction(acme.id) as session:
            emit(session, "order.approved", "order", 9, {"by": "finance"})
    assert erp.events == []
    with db.transaction(acme.id) as session:
        assert [e.type for e in pending_events(session)] == ["order.approved"]

    load_job_modules()
    tick(app, utcnow())
    assert erp.received() == [("order.approved", "order", "9")]
    with db.transaction(acme.id) as session:
        assert pending_events(session) == []


def test_a_dispatch_that_never_got_enqueued_is_swept_up(
    app, db, acme, recording_plugin, enable_plugin, monkeypatch
):
    erp = recording_plugin("erp")
    enable_plugin(acme, "erp")
    with monkeypatch.context() as lost:
        lost.setattr("dinghuo.platform.events.service.enqueue", lambda *a, **k: None)
        with db.transaction(acme.id) as session:
            emit(session, "order.shipped", "order", 3, {})
    assert erp.events == []
    load_job_modules()
    tick(app, utcnow())
    assert erp.received() == [("order.shipped", "order", "3")]


def test_the_sweep_is_a_periodic_job_of_every_tenant(app):
    load_job_modules()
    [sweep] = [job for job in periodic_jobs() if job.name == "events.sweep"]
    assert sweep.cron == "* * * * *"
    assert sweep.reference == "dinghuo.platform.events.jobs:sweep_outbox"


def test_events_of_a_tenant_without_plugins_are_closed_at_once_without_a_job(
    db, globex, recording_plugin, enable_plugin
):
    events = events_of(db, globex)
    assert events and all(e.delivered_at is not None and e.delivered_to == [] for e in events)
    erp = recording_plugin("erp")
    enable_plugin(globex, "erp")
    with db.transaction(globex.id) as session:
        emit(session, "order.submitted", "order", 1, {})
    assert erp.received() == [("order.submitted", "order", "1")]


def test_concurrent_dispatchers_deliver_each_event_once_and_in_order_per_aggregate(
    db, acme, recording_plugin, enable_plugin, plugin_host, monkeypatch
):
    erp = recording_plugin("erp", delay=0.01)
    enable_plugin(acme, "erp")
    monkeypatch.setattr("dinghuo.platform.events.service.enqueue", lambda *a, **k: None)
    with db.transaction(acme.id) as session:
        for number in range(12):
            emit(session, f"order.step_{number}", "order", number % 3, {"n": number})
    errors: list[BaseException] = []

    def run() -> None:
        try:
            dispatch(db, acme, plugin_host)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    delivered = [e for e in erp.events if e.aggregate_type == "order"]
    assert sorted(e.payload["n"] for e in delivered) == list(range(12))
    for aggregate in ("0", "1", "2"):
        steps = [e.payload["n"] for e in delivered if e.aggregate_id == aggregate]
        assert steps == sorted(steps)
    with db.transaction(acme.id) as session:
        assert pending_events(session) == []


@pytest.mark.redis
def test_with_redis_the_dispatch_waits_in_the_tenants_queue_for_a_worker(
    app, db, acme, recording_plugin, enable_plugin, monkeypatch, inline_jobs, missing_service
):
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "redis_url", inline_jobs)
    if not settings.redis_url:
        missing_service("DINGHUO_TEST_REDIS_URL is not set")
    redis = app.extensions["dinghuo.jobs"].redis
    redis.flushdb()
    try:
        erp = recording_plugin("erp")
        enable_plugin(acme, "erp")
        with db.transaction(acme.id) as session:
            emit(session, "order.submitted", "order", 5, {})
        assert erp.events == []
        assert run_worker(app, burst=True)
        assert erp.received() == [("order.submitted", "order", "5")]
        with db.transaction(acme.id) as session:
            assert pending_events(session) == []
    finally:
        redis.flushdb()
