"""Jobs benchmark: worker throughput against a raw Redis floor, and fairness under a backlog.

``python bench/jobs.py`` (or ``bench/run jobs``, which calls :func:`main`)
prints one table:

* the floor: a raw redis-py loop popping pre-pushed ids with ``BRPOP`` (one
  round trip per item), measured in the same run;
* no-op jobs per second of one worker process (``dinghuo worker --burst`` in a
  subprocess), from the JobRun timestamps, so process start-up is excluded;
  each job is 3 database transactions (mark started, the job's own session,
  record the outcome) plus RQ's bookkeeping;
* ``enqueue()`` throughput (JobRun rows + one Redis pipeline per commit);
* fairness: a noisy tenant enqueues a 100,000-job backlog, one worker process
  starts on it, then a quiet tenant (whose queue did not exist yet) enqueues a
  job every 0.1 s; its queue wait (``started_at - created_at``) p50/p99/max,
  target p99 <= 2 s.

It brings up what it needs and removes it afterwards: Redis database 2
(flushed before and after; ``--redis-url``; a lock key there keeps two runs
apart, since RQ's keys cannot be namespaced) and a throwaway PostgreSQL
database ``dinghuo_bench_jobs_<pid>`` owned by ``dinghuo_owner``, created through
``BENCH_PG_ADMIN_URL`` (see bench/pg.py; ``dinghuo_owner`` cannot create
databases itself), migrated as the owner, used as ``dinghuo_app`` with RLS on.
Without PostgreSQL (or with ``--sqlite``) it uses an SQLite file and says so.
Exit status 1 when the p99 target is missed.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATABASE = f"dinghuo_bench_jobs_{os.getpid()}"
P99_TARGET_S = 2.0
LOCK_KEY = "bench:jobs:running"


def noop(ctx: Any) -> None:
    """The benchmarked job: all cost is the platform's."""


@dataclass
class Backend:
    description: str
    settings: dict[str, Any]
    env: dict[str, str]


@contextmanager
def _database(use_sqlite: bool, workdir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh, migrated-to-be database: (description, settings overrides)."""
    if not use_sqlite:
        try:
            from bench.pg import PgTarget, create_database, drop_database, ensure_roles

            target = PgTarget.from_env()
            ensure_roles(target)
            create_database(target, DATABASE)
        except Exception as exc:  # noqa: BLE001 - fall back, and say so
            print(f"PostgreSQL unavailable ({type(exc).__name__}: {exc}); using SQLite")
        else:
            try:
                yield (
                    f"PostgreSQL {DATABASE} as {target.app_role} (RLS on)",
                    {
                        "database_url": target.sqlalchemy_url(DATABASE, target.app_role),
                        "migration_database_url": target.sqlalchemy_url(
                            DATABASE, target.owner_role
                        ),
                        "app_db_role": target.app_role,
                    },
                )
            finally:
                drop_database(target, DATABASE)
            return
    yield f"SQLite {workdir / 'bench.db'}", {"database_url": f"sqlite:///{workdir / 'bench.db'}"}


def _env(settings: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in settings.items():
        if value is not None:
            env[f"DINGHUO_{key.upper()}"] = str(value)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _worker(env: dict[str, str], log: Path, *, burst: bool) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", "from dinghuo.cli import main; main()", "worker"]
    if burst:
        argv.append("--burst")
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _floor(connection: Any, items: int) -> float:
    """Raw redis-py: pop pre-pushed ids one BRPOP at a time."""
    key = "bench:floor"
    connection.delete(key)
    with connection.pipeline(transaction=False) as pipe:
        for n in range(items):
            pipe.lpush(key, f"job-{n}")
        pipe.execute()
    started = time.perf_counter()
    for _ in range(items):
        connection.brpop([key], timeout=1)
    return items / (time.perf_counter() - started)


def _enqueue_many(app: Any, tenant_id: int, count: int, batch: int) -> float:
    from dinghuo.platform.jobs import enqueue

    database = app.extensions["dinghuo.db"]
    started = time.perf_counter()
    left = count
    while left:
        size = min(batch, left)
        with database.transaction(tenant_id) as session:
            for _ in range(size):
                enqueue(session, noop)
        left -= size
    return time.perf_counter() - started


def _finished_span(app: Any, tenant_id: int) -> tuple[int, float]:
    from sqlalchemy import func, select

    from dinghuo.platform.jobs.models import JobRun, JobStatus

    with app.extensions["dinghuo.db"].transaction(tenant_id) as session:
        count, first, last = session.execute(
            select(func.count(), func.min(JobRun.started_at), func.max(JobRun.finished_at)).where(
                JobRun.status == JobStatus.FINISHED
            )
        ).one()
    return count, ((last - first).total_seconds() if count else 0.0)


def _quiet_waits(app: Any, tenant_id: int) -> tuple[list[float], int]:
    from sqlalchemy import select

    from dinghuo.platform.jobs.models import JobRun

    with app.extensions["dinghuo.db"].transaction(tenant_id) as session:
        rows = session.execute(select(JobRun.created_at, JobRun.started_at)).all()
    waits = [(started - created).total_seconds() for created, started in rows if started]
    return sorted(waits), len(rows) - len(waits)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[index]


def _wait_for(predicate: Any, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python bench/jobs.py", description=__doc__)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite, not PostgreSQL")
    parser.add_argument("--backlog", type=int, default=100_000, help="noisy tenant's jobs")
    parser.add_argument("--throughput-jobs", type=int, default=1_000)
    parser.add_argument("--floor-items", type=int, default=20_000)
    parser.add_argument("--quiet-seconds", type=float, default=15.0)
    parser.add_argument("--quiet-every", type=float, default=0.1, help="seconds between jobs")
    return parser


def _measure(args: argparse.Namespace, redis: Any) -> tuple[list[tuple[str, str, str]], bool]:
    """Every figure of the table, and whether the fairness target was met."""
    from dinghuo.app import create_app
    from dinghuo.config import load_settings
    from dinghuo.migrate import upgrade
    from dinghuo.platform.tenants.service import create_tenant

    rows: list[tuple[str, str, str]] = []
    with (
        tempfile.TemporaryDirectory(prefix="dinghuo-bench-jobs-") as tmp,
        _database(args.sqlite, Path(tmp)) as (db_description, db_settings),
    ):
        workdir = Path(tmp)
        overrides = {
            **db_settings,
            "redis_url": args.redis_url,
            "instance_dir": str(workdir),
            "log_level": "WARNING",
            "log_json": False,
            "autoload_plugins": False,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 1024,
        }
        settings = load_settings(overrides)
        upgrade(settings)
        app = create_app(settings)
        env = _env(overrides)
        log = workdir / "worker.log"
        print(f"jobs benchmark: {db_description}, Redis {args.redis_url}, 1 worker process")
        try:
            tenants: dict[str, int] = {}
            for slug in ("solo", "noisy", "quiet"):
                with app.extensions["dinghuo.db"].transaction() as session:
                    tenants[slug] = create_tenant(
                        session,
                        None,
                        slug=f"bench-{slug}",
                        name=f"Bench {slug}",
                        owner_email=f"owner@{slug}.bench",
                        owner_password="bench-password-1",
                    ).tenant.id

            floor = _floor(redis, args.floor_items)
            rows.append(("raw redis-py BRPOP loop (floor)", f"{floor:,.0f} /s", "floor"))

            seconds = _enqueue_many(app, tenants["solo"], args.throughput_jobs, 1000)
            rate = args.throughput_jobs / seconds
            rows.append(("enqueue() + commit, 1000 per transaction", f"{rate:,.0f} jobs/s", ""))
            worker = _worker(env, log, burst=True)
            try:
                worker.wait(timeout=120)
            finally:
                _stop(worker)
            done, span = _finished_span(app, tenants["solo"])
            rate = done / span if span else 0.0
            rows.append(
                (
                    "no-op jobs, 1 worker process",
                    f"{rate:,.0f} jobs/s",
                    f"{rate / floor:.1%} of floor ({done}/{args.throughput_jobs} ran)",
                )
            )

            seconds = _enqueue_many(app, tenants["noisy"], args.backlog, 5000)
            rows.append(("noisy backlog enqueued", f"{args.backlog:,} in {seconds:.1f} s", ""))
            worker = _worker(env, log, burst=False)
            try:
                if not _wait_for(lambda: _finished_span(app, tenants["noisy"])[0] > 0, 60):
                    raise RuntimeError("the worker did not start on the backlog")
                quiet_started = time.monotonic()
                sent = 0
                while time.monotonic() - quiet_started < args.quiet_seconds:
                    _enqueue_many(app, tenants["quiet"], 1, 1)
                    sent += 1
                    time.sleep(args.quiet_every)
                _wait_for(lambda: _quiet_waits(app, tenants["quiet"])[1] == 0, 30)
                noisy_done = _finished_span(app, tenants["noisy"])[0]
            finally:
                _stop(worker)
            waits, unstarted = _quiet_waits(app, tenants["quiet"])
        except Exception:
            if log.exists():
                print(log.read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            app.extensions["dinghuo.db"].dispose()
    p99 = _percentile(waits, 0.99)
    met = unstarted == 0 and p99 <= P99_TARGET_S
    rows += [
        ("quiet tenant jobs (one per 0.1 s)", f"{sent} sent, {unstarted} unrun", ""),
        ("quiet tenant queue wait p50", f"{_percentile(waits, 0.5):.3f} s", ""),
        ("quiet tenant queue wait p99", f"{p99:.3f} s", f"<= 2 s: {'PASS' if met else 'FAIL'}"),
        ("quiet tenant queue wait max", f"{max(waits, default=0):.3f} s", ""),
        (
            "noisy jobs run meanwhile",
            f"{noisy_done:,}",
            f"mean quiet wait {statistics.fmean(waits) if waits else 0:.3f} s",
        ),
    ]
    return rows, met


def main(argv: list[str] | None = None) -> int:
    """Run the jobs benchmark and print its table; 1 when the fairness target is missed."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser().parse_args(argv[1:] if argv[:1] == ["--"] else argv)
    from redis import Redis

    started = time.perf_counter()
    redis = Redis.from_url(args.redis_url)
    if not redis.set(LOCK_KEY, os.getpid(), nx=True, ex=600):
        print(f"another jobs benchmark is using {args.redis_url}; try again later", file=sys.stderr)
        return 2
    try:
        redis.flushdb()
        redis.set(LOCK_KEY, os.getpid(), ex=600)
        rows, met = _measure(args, redis)
    finally:
        redis.flushdb()
        redis.close()
    width = max(len(name) for name, _, _ in rows)
    print(f"{'metric':<{width}}  {'value':>22}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>22}  {note}")
    print(f"({time.perf_counter() - started:.0f} s in all; database and Redis db cleaned up)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from bench.jobs import main as bench_main  # the job function must live in bench.jobs

    sys.exit(bench_main())
