"""The search benchmark: ``GET /api/v1/catalog/search`` against its own SQL on bare psycopg.

The measured tenant has 100,000 SKUs among 50 tenants of uneven sizes (see
:mod:`bench.search_seed`). A dealer's user searches a Chinese + model query
(hits, facets, the dealer's prices and stock for the page). The floor is
**the same SQL**: the statements the app sent for that request, captured
once through SQLAlchemy's ``before_cursor_execute`` and replayed verbatim
(same text, same parameters, one transaction per request) on one psycopg
connection per client thread, as the app role with RLS forced.

Targets: p99 within 15 ms of the floor's p99; throughput at least half the floor's.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import event

from bench import pg
from bench.harness import Environment, Options, _annotate, measure
from bench.loadgen import build_request, percentile
from bench.report import Measurement, Row, median_row
from bench.search_seed import SearchSeeded, seed
from bench.seed import Seeded, bench_settings

P99_BUDGET_MS = 15.0
RATIO_TARGET = 0.5
QUERY = {"q": "mate 雅丹黑", "limit": "20"}


def bench_search(options: Options) -> list[Row]:
    target = pg.PgTarget.from_env()
    pg.ensure_roles(target)
    database = f"{options.database}_search"
    instance_dir = tempfile.mkdtemp(prefix="dinghuo-bench-search-")
    try:
        started = time.perf_counter()
        pg.create_database(target, database)
        settings = bench_settings(
            target.sqlalchemy_url(database, target.app_role),
            target.sqlalchemy_url(database, target.owner_role),
            target.app_role,
            options.redis_url,
        )
        admin = conninfo_to_dict(target.admin_url)
        admin.update(dbname=database)
        seeded = seed(settings, make_conninfo(**admin))
        pg.analyze(target, database)
        print(
            f"seeded {sum(seeded.skus.values()):,} SKUs in {len(seeded.skus)} tenants in "
            f"{time.perf_counter() - started:.1f}s (measured: {seeded.tenant_slug}, "
            f"{seeded.skus[seeded.tenant_slug]:,} SKUs)",
            flush=True,
        )
        return _measure(options, target, database, seeded, instance_dir, settings)
    finally:
        if not options.keep_db:
            pg.drop_database(target, database)


def _measure(
    options: Options,
    target: pg.PgTarget,
    database: str,
    seeded: SearchSeeded,
    instance_dir: str,
    settings: Any,
) -> list[Row]:
    path = "/api/v1/catalog/search?" + urlencode(QUERY)
    headers = {
        "Host": f"{seeded.tenant_slug}.localhost",
        "Authorization": f"Bearer {seeded.dealer_token}",
        "Accept": "application/json",
        "User-Agent": "dinghuo-bench",
    }
    statements = capture_sql(settings, path, headers)
    print(f"search: the request sends {len(statements)} statements; the floor replays them")
    env = Environment(
        options,
        target,
        Seeded(seeded.tenant_slug, seeded.tenant_id, seeded.dealer_token, {}),
        False,
        instance_dir,
    )
    request = build_request(path, headers)
    floor_dsn = target.dsn(database, target.app_role, application_name="bench-search-floor")
    rows: list[Row] = []
    operation = f"dinghuo GET {path}"
    with ExitStack() as stack:
        server = stack.enter_context(env.dinghuo(database, "search"))
        status, body = server.wait_ready(request)
        if status != 200:
            raise RuntimeError(f"the search answered {status}: {body[:300]!r}")
        for concurrency in options.concurrency:
            app_runs, floor_runs = [], []
            for round_no in range(options.repeats):
                sides = ["app", "floor"] if round_no % 2 == 0 else ["floor", "app"]
                for side in sides:
                    if side == "app":
                        m = measure(server, operation, request, concurrency, options)
                        app_runs.append(m)
                    else:
                        m = replay(floor_dsn, statements, concurrency, options)
                        floor_runs.append(m)
                    print(
                        f"  {m.operation[:40]:<40} c={concurrency:<3} {m.throughput:8.0f} req/s"
                        f"  p50 {m.p50_ms:7.2f} ms  p99 {m.p99_ms:7.2f} ms",
                        flush=True,
                    )
            row_app = median_row("search", app_runs)
            row_floor = median_row("search", floor_runs)
            row_floor.is_floor = True
            row_app.ratio = row_app.throughput / row_floor.throughput if row_floor.throughput else 0
            row_app.target = f"p99 <= floor + {P99_BUDGET_MS:.0f} ms, >= {RATIO_TARGET}x req/s"
            p99_ok = row_app.p99_ms <= row_floor.p99_ms + P99_BUDGET_MS
            row_app.verdict = "PASS" if p99_ok and row_app.ratio >= RATIO_TARGET else "FAIL"
            row_app.notes.append(
                f"p99 {row_app.p99_ms:.1f} ms vs floor {row_floor.p99_ms:.1f} ms "
                f"(+{row_app.p99_ms - row_floor.p99_ms:.1f} ms); "
                f"throughput {row_app.ratio:.2f}x the floor's"
            )
            row_app.other_cpu_share = max(row_app.other_cpu_share, row_floor.other_cpu_share)
            for row in (row_app, row_floor):
                _annotate(row)
            rows += [row_app, row_floor]
    return rows


def capture_sql(settings: Any, path: str, headers: dict[str, str]) -> list[tuple[str, Any]]:
    """The statements (text, parameters) the app sends for one request, in order."""
    from dinghuo.app import create_app

    app = create_app(settings)
    engine = app.extensions["dinghuo.db"].engine
    captured: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        captured.append((statement, parameters))

    client = app.test_client()
    forwarded = {k: v for k, v in headers.items() if k != "Host"}
    base = f"http://{headers['Host']}"
    client.get(path, base_url=base, headers=forwarded)  # warm caches; capture the next one
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, base_url=base, headers=forwarded)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        app.extensions["dinghuo.db"].dispose()
    if response.status_code != 200:
        raise RuntimeError(f"capture: the search answered {response.status_code}")
    return captured


def replay(
    dsn: str, statements: list[tuple[str, Any]], concurrency: int, options: Options
) -> Measurement:
    """Run the captured transaction in a closed loop on ``concurrency`` psycopg connections."""
    stop_warmup = time.perf_counter() + options.warmup
    stop = stop_warmup + options.duration
    samples: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency

    def client(index: int) -> None:
        with psycopg.connect(dsn) as conn:
            while (now := time.perf_counter()) < stop:
                try:
                    with conn.cursor() as cur:
                        for statement, parameters in statements:
                            cur.execute(statement, parameters or None)
                            if cur.description is not None:
                                cur.fetchall()
                    conn.commit()
                except psycopg.Error:
                    conn.rollback()
                    errors[index] += 1
                    continue
                end = time.perf_counter()
                if now >= stop_warmup and end <= stop:
                    samples[index].append(end - now)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    cpu_before = os.times()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_after = os.times()
    latencies = sorted(s for per_client in samples for s in per_client)
    completed = len(latencies)
    client_cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return Measurement(
        operation="same SQL on psycopg (floor)",
        concurrency=concurrency,
        throughput=completed / options.duration,
        p50_ms=percentile(latencies, 50) * 1000 if latencies else 0.0,
        p95_ms=percentile(latencies, 95) * 1000 if latencies else 0.0,
        p99_ms=percentile(latencies, 99) * 1000 if latencies else 0.0,
        server_cpu_ms_per_op=client_cpu * 1000 / max(completed, 1),
        db_cpu_ms_per_op=0.0,
        client_cpu_ms_per_op=0.0,
        completed=completed,
        errors=sum(errors),
        non_2xx=0,
        other_cpu_share=0.0,
        duration_s=options.duration,
    )
