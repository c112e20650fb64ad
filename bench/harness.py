"""The benchmarks: Dinghuo against a raw WSGI floor, and RLS on against RLS off.

Every comparison is measured in the same run, on the same seeded data, under
the same gunicorn settings and load, with the two sides alternated (A B, then
B A) so a burst of other work on the shared machine hits both alike.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil
import psycopg
import redis

from bench import pg
from bench.loadgen import build_request, percentile, run_load
from bench.raw_wsgi import BIND_SQL, TOKEN_SQL, USERS_SQL
from bench.report import Measurement, Row, median_row
from bench.seed import Seeded, bench_settings, seed
from bench.server import Gunicorn, cpu_delta, machine_busy_seconds

API_RATIO_TARGET = 0.35
RLS_RATIO_TARGET = 0.95
RLS_P99_BUDGET_MS = 1.0
NOISY_SHARE = 0.15


@dataclass
class Options:
    """Knobs of a run; the defaults keep ``all`` well under five minutes on two cores."""

    duration: float = 8.0
    warmup: float = 2.0
    concurrency: tuple[int, ...] = (8,)
    workers: int = 2
    threads: int = 4
    repeats: int = 2
    rls_repeats: int = 3
    limit: int = 20
    sql_seconds: float = 3.0
    database: str = "dinghuo_bench"
    redis_url: str = "redis://127.0.0.1:6379/7"
    keep_db: bool = False
    dinghuo_target: str = "dinghuo.app:create_app()"

    @property
    def norls_database(self) -> str:
        return f"{self.database}_norls"

    @property
    def path(self) -> str:
        return f"/api/v1/users?limit={self.limit}"


@dataclass
class Environment:
    """The seeded databases, the bearer token and how to start each server."""

    options: Options
    target: pg.PgTarget
    seeded: Seeded
    has_norls: bool
    instance_dir: str
    rls_tables: list[str] = field(default_factory=list)

    @property
    def request(self) -> bytes:
        return build_request(
            self.options.path,
            {
                "Host": f"{self.seeded.tenant_slug}.localhost",
                "Authorization": f"Bearer {self.seeded.token}",
                "Accept": "application/json",
                "User-Agent": "dinghuo-bench",
            },
        )

    def _gunicorn(self, name: str, target: str, database: str, env: dict[str, str]) -> Gunicorn:
        return Gunicorn(
            name=name,
            target=target,
            env=env,
            workers=self.options.workers,
            threads=self.options.threads,
            database=database,
            admin_dsn=self.target.admin_url,
            application_name=f"bench-{name}",
        )

    def dinghuo(self, database: str, name: str) -> Gunicorn:
        """Dinghuo as production runs it: the app role, RLS as the database has it."""
        env = self.dinghuo_env(database, name)
        return self._gunicorn(name, self.options.dinghuo_target, database, env)

    def dinghuo_env(self, database: str, name: str) -> dict[str, str]:
        """The ``DINGHUO_*`` settings of the Dinghuo side (what gunicorn's app reads)."""
        t = self.target
        return {
            "DINGHUO_DATABASE_URL": t.sqlalchemy_url(
                database, t.app_role, application_name=f"bench-{name}"
            ),
            "DINGHUO_MIGRATION_DATABASE_URL": t.sqlalchemy_url(database, t.owner_role),
            "DINGHUO_APP_DB_ROLE": t.app_role,
            "DINGHUO_REDIS_URL": self.options.redis_url,
            "DINGHUO_SECRET_KEY": "bench-secret-key-not-for-production",
            "DINGHUO_BASE_DOMAIN": "localhost",
            "DINGHUO_LOG_LEVEL": "WARNING",
            "DINGHUO_INSTANCE_DIR": self.instance_dir,
        }

    def raw(self) -> Gunicorn:
        t = self.target
        db = self.options.database
        env = {
            "BENCH_RAW_DSN": t.dsn(db, t.app_role, application_name="bench-raw"),
            "DINGHUO_BASE_DOMAIN": "localhost",
        }
        return self._gunicorn("raw", "bench.raw_wsgi:app", db, env)


@contextmanager
def environment(options: Options, *, with_norls: bool) -> Iterator[Environment]:
    """Create, migrate and seed the bench database (and its RLS-off copy); drop them after.

    With ``keep_db`` the databases are left for inspection (and recreated on
    the next run anyway).
    """
    target = pg.PgTarget.from_env()
    redis.Redis.from_url(options.redis_url, socket_connect_timeout=3).ping()
    pg.ensure_roles(target)
    databases = [options.database] + ([options.norls_database] if with_norls else [])
    instance_dir = tempfile.mkdtemp(prefix="dinghuo-bench-")
    try:
        started = time.perf_counter()
        pg.create_database(target, options.database)
        settings = bench_settings(
            target.sqlalchemy_url(options.database, target.app_role),
            target.sqlalchemy_url(options.database, target.owner_role),
            target.app_role,
            options.redis_url,
        )
        seeded = seed(settings)
        pg.analyze(target, options.database)
        rls_tables: list[str] = []
        if with_norls:
            pg.create_database(target, options.norls_database, template=options.database)
            rls_tables = pg.disable_row_level_security(target, options.norls_database)
            pg.analyze(target, options.norls_database)
        print(
            f"seeded {sum(seeded.users.values()):,} users in {len(seeded.users)} tenants "
            f"in {time.perf_counter() - started:.1f}s (measured tenant: {seeded.tenant_slug}, "
            f"{seeded.users[seeded.tenant_slug]:,} users)",
            flush=True,
        )
        yield Environment(options, target, seeded, with_norls, instance_dir, rls_tables)
    finally:
        if not options.keep_db:
            for name in databases:
                pg.drop_database(target, name)
        for leftover in sorted(os.listdir(instance_dir), reverse=True):
            path = os.path.join(instance_dir, leftover)
            if os.path.isfile(path):
                os.unlink(path)
        try:
            os.rmdir(instance_dir)
        except OSError:
            pass


def measure(
    server: Gunicorn, operation: str, request: bytes, concurrency: int, options: Options
) -> Measurement:
    """One warm-up plus one timed window against ``server``."""
    result = run_load(
        host="127.0.0.1",
        port=server.port,
        request=request,
        concurrency=concurrency,
        duration_s=options.duration,
        warmup_s=options.warmup,
        on_measure_start=server.snapshot,
        on_measure_end=server.snapshot,
    )
    spent = cpu_delta(result.marks["start"], result.marks["end"])
    ops = max(result.completed, 1)
    other = spent["machine_s"] - spent["server_s"] - spent["database_s"] - result.client_cpu_s
    capacity = spent["wall_s"] * (psutil.cpu_count() or 1)
    return Measurement(
        operation=operation,
        concurrency=concurrency,
        throughput=result.throughput,
        p50_ms=result.percentile_ms(50),
        p95_ms=result.percentile_ms(95),
        p99_ms=result.percentile_ms(99),
        server_cpu_ms_per_op=spent["server_s"] * 1000 / ops,
        db_cpu_ms_per_op=spent["database_s"] * 1000 / ops,
        client_cpu_ms_per_op=result.client_cpu_s * 1000 / ops,
        completed=result.completed,
        errors=result.errors,
        non_2xx=result.non_2xx,
        other_cpu_share=max(0.0, other) / capacity if capacity else 0.0,
        duration_s=result.duration_s,
    )


def alternate(
    sides: list[tuple[Gunicorn, str]],
    request: bytes,
    concurrency: int,
    repeats: int,
    options: Options,
) -> list[list[Measurement]]:
    """``repeats`` windows per side, the order reversed each round (A B, B A, ...)."""
    runs: list[list[Measurement]] = [[] for _ in sides]
    for round_no in range(repeats):
        order = list(range(len(sides)))
        if round_no % 2:
            order.reverse()
        for i in order:
            server, operation = sides[i]
            m = measure(server, operation, request, concurrency, options)
            print(
                f"  {operation:<34} c={concurrency:<3} {m.throughput:8.0f} req/s  "
                f"p99 {m.p99_ms:6.2f} ms  cpu {m.server_cpu_ms_per_op:.3f}+{m.db_cpu_ms_per_op:.3f} ms/op"
                + (f"  errors {m.errors + m.non_2xx}" if m.errors or m.non_2xx else ""),
                flush=True,
            )
            runs[i].append(m)
    return runs


def _same_answer(a: bytes, b: bytes) -> str | None:
    """None when both bodies carry the same JSON document, else a short explanation."""
    left, right = json.loads(a), json.loads(b)
    if left == right:
        return None
    if left.keys() != right.keys():
        return f"keys differ: {sorted(left)} vs {sorted(right)}"
    for i, (x, y) in enumerate(zip(left.get("items", []), right.get("items", []), strict=False)):
        if x != y:
            return f"item {i} differs: {x} vs {y}"
    return f"next_cursor or length differs: {left.get('next_cursor')} vs {right.get('next_cursor')}"


def _cpu_per_op(row: Row) -> float:
    return row.server_cpu_ms_per_op + row.db_cpu_ms_per_op + row.client_cpu_ms_per_op


def _cpu_ratio_note(row: Row, floor: Row) -> str:
    """The CPU-bound estimate of the throughput ratio, steadier than req/s on a busy machine."""
    ratio = _cpu_per_op(floor) / _cpu_per_op(row) if _cpu_per_op(row) else 0.0
    return (
        f"CPU per op (app + DB + client) {_cpu_per_op(row):.3f} vs {_cpu_per_op(floor):.3f} ms: "
        f"{ratio:.2f}x, the ratio req/s tends to when the cores are the limit"
    )


def _annotate(row: Row) -> None:
    if row.errors:
        row.verdict = "ERROR"
        row.notes.append(f"{row.errors} failed or non-2xx responses: the figures are not valid")
    if row.other_cpu_share > NOISY_SHARE:
        if row.verdict in ("PASS", "FAIL"):
            row.verdict += " (noisy)"
        row.notes.append(
            f"other processes used up to {row.other_cpu_share:.0%} of the machine during a "
            "window: throughput is understated, CPU-ms/op is the steadier figure"
        )


def bench_api(env: Environment) -> list[Row]:
    """Dinghuo's ``GET /api/v1/users`` against the raw psycopg floor."""
    options = env.options
    op_dinghuo = f"dinghuo GET {options.path}"
    op_raw = "raw psycopg WSGI (floor)"
    rows: list[Row] = []
    print(f"api: {options.workers} workers x {options.threads} threads (gthread)", flush=True)
    with ExitStack() as stack:
        dinghuo = stack.enter_context(env.dinghuo(options.database, "dinghuo"))
        raw = stack.enter_context(env.raw())
        _status, body_d = dinghuo.wait_ready(env.request)
        _status, body_r = raw.wait_ready(env.request)
        mismatch = _same_answer(body_d, body_r)
        if mismatch:
            raise RuntimeError(f"the floor does not answer what Dinghuo answers: {mismatch}")
        for concurrency in options.concurrency:
            runs_d, runs_r = alternate(
                [(dinghuo, op_dinghuo), (raw, op_raw)],
                env.request,
                concurrency,
                options.repeats,
                options,
            )
            row_d, row_r = median_row("api", runs_d), median_row("api", runs_r)
            row_r.is_floor = True
            row_d.ratio = row_d.throughput / row_r.throughput if row_r.throughput else 0.0
            row_d.target = f">= {API_RATIO_TARGET:.2f}x floor req/s"
            row_d.verdict = "PASS" if row_d.ratio >= API_RATIO_TARGET else "FAIL"
            row_d.notes.append(_cpu_ratio_note(row_d, row_r))
            row_d.other_cpu_share = max(row_d.other_cpu_share, row_r.other_cpu_share)
            for row in (row_d, row_r):
                _annotate(row)
            rows += [row_d, row_r]
    return rows


def bench_rls(env: Environment) -> list[Row]:
    """The same Dinghuo endpoint with RLS forced (production) and disabled (a copy database)."""
    options = env.options
    op_on = "dinghuo, RLS on (forced)"
    op_off = "dinghuo, RLS off (floor)"
    rows: list[Row] = []
    print(
        f"rls: RLS off = {options.norls_database}, a TEMPLATE copy with RLS disabled on "
        f"{len(env.rls_tables)} tables; same app role",
        flush=True,
    )
    with ExitStack() as stack:
        on = stack.enter_context(env.dinghuo(options.database, "rls-on"))
        off = stack.enter_context(env.dinghuo(options.norls_database, "rls-off"))
        _s, body_on = on.wait_ready(env.request)
        _s, body_off = off.wait_ready(env.request)
        mismatch = _same_answer(body_on, body_off)
        if mismatch:
            raise RuntimeError(f"RLS off answers differently: {mismatch}")
        for concurrency in options.concurrency:
            runs_on, runs_off = alternate(
                [(on, op_on), (off, op_off)],
                env.request,
                concurrency,
                options.rls_repeats,
                options,
            )
            rows += _rls_rows(median_row("rls", runs_on), median_row("rls", runs_off))
    rows += _rls_rows(*sql_only(env))
    return rows


def _rls_rows(on: Row, off: Row) -> list[Row]:
    off.is_floor = True
    on.ratio = on.throughput / off.throughput if off.throughput else 0.0
    delta_p99 = on.p99_ms - off.p99_ms
    on.target = f">= {RLS_RATIO_TARGET:.2f}x, p99 +<= {RLS_P99_BUDGET_MS:g} ms"
    on.verdict = (
        "PASS" if on.ratio >= RLS_RATIO_TARGET and delta_p99 <= RLS_P99_BUDGET_MS else "FAIL"
    )
    on.notes.append(
        f"throughput {100 * (on.ratio - 1):+.1f}%, p99 {delta_p99:+.2f} ms, "
        f"DB CPU {on.db_cpu_ms_per_op - off.db_cpu_ms_per_op:+.3f} ms/op vs RLS off"
    )
    if on.benchmark == "rls":
        on.notes.append(_cpu_ratio_note(on, off))
    on.other_cpu_share = max(on.other_cpu_share, off.other_cpu_share)
    for row in (on, off):
        _annotate(row)
    return [on, off]


def sql_only(env: Environment) -> tuple[Row, Row]:
    """The request's SQL alone (bind tenant, token, page of users) on one connection per side.

    Strips gunicorn, Flask and the ORM away so the RLS difference is not
    drowned by them; run in alternating chunks for ``sql_seconds`` per side.
    """
    options, t, seeded = env.options, env.target, env.seeded
    from dinghuo.platform.auth.service import digest

    token_hash = digest(seeded.token)
    sides = {
        "SQL only, RLS on": options.database,
        "SQL only, RLS off (floor)": options.norls_database,
    }
    latencies: dict[str, list[float]] = {name: [] for name in sides}
    cpu: dict[str, float] = dict.fromkeys(sides, 0.0)
    db_cpu: dict[str, float] = dict.fromkeys(sides, 0.0)
    elapsed: dict[str, float] = dict.fromkeys(sides, 0.0)
    machine: dict[str, float] = dict.fromkeys(sides, 0.0)
    with ExitStack() as stack:
        conns = {
            name: stack.enter_context(
                psycopg.connect(t.dsn(db, t.app_role, application_name="bench-sql"))
            )
            for name, db in sides.items()
        }
        for conn in conns.values():
            _transactions(conn, seeded.tenant_id, token_hash, options.limit, 100)  # warm, prepare
        while min(elapsed.values()) < options.sql_seconds:
            for name, conn in conns.items():
                backend = psutil.Process(conn.info.backend_pid)
                b0 = sum(backend.cpu_times()[:2])
                m0 = machine_busy_seconds()
                c0, w0 = time.process_time(), time.perf_counter()
                latencies[name] += _transactions(
                    conn, seeded.tenant_id, token_hash, options.limit, 200
                )
                elapsed[name] += time.perf_counter() - w0
                cpu[name] += time.process_time() - c0
                db_cpu[name] += sum(backend.cpu_times()[:2]) - b0
                machine[name] += machine_busy_seconds() - m0
        plans = {name: _plan(conn, seeded.tenant_id, options.limit) for name, conn in conns.items()}
    rows = []
    for name in sides:
        samples, n = latencies[name], len(latencies[name])
        row = Row(
            benchmark="rls-sql",
            operation=name,
            concurrency=1,
            throughput=n / elapsed[name],
            p50_ms=percentile(samples, 50) * 1000,
            p95_ms=percentile(samples, 95) * 1000,
            p99_ms=percentile(samples, 99) * 1000,
            server_cpu_ms_per_op=cpu[name] * 1000 / n,
            db_cpu_ms_per_op=db_cpu[name] * 1000 / n,
            client_cpu_ms_per_op=cpu[name] * 1000 / n,
            errors=0,
            other_cpu_share=max(0.0, machine[name] - cpu[name] - db_cpu[name])
            / (elapsed[name] * (psutil.cpu_count() or 1)),
        )
        rows.append(row)
        print(
            f"  {name:<34} c=1   {row.throughput:8.0f} tx/s   p99 {row.p99_ms:6.2f} ms  "
            f"db cpu {row.db_cpu_ms_per_op:.3f} ms/tx",
            flush=True,
        )
    rows[0].notes.append("CPU-ms/op here is the psycopg client's; DB CPU is the one backend's")
    for row in rows:
        row.notes.append(f"plan: {plans[row.operation]}")
    return rows[0], rows[1]


def _plan(conn: psycopg.Connection[Any], tenant_id: int, limit: int) -> str:
    """The page query's plan, squeezed to one line (RLS adds a filter, not another scan)."""
    with conn.cursor() as cur:
        cur.execute(BIND_SQL, (str(tenant_id),))
        lines = [
            row[0].strip() for row in cur.execute("EXPLAIN " + USERS_SQL, (tenant_id, limit + 1))
        ]
    conn.rollback()
    return " / ".join(line.split("  (cost")[0] for line in lines)


def _transactions(
    conn: psycopg.Connection[Any], tenant_id: int, token_hash: str, limit: int, count: int
) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        with conn.cursor() as cur:
            cur.execute(BIND_SQL, (str(tenant_id),))
            if cur.execute(TOKEN_SQL, (token_hash, tenant_id, tenant_id)).fetchone() is None:
                raise RuntimeError("the bench token is not visible: RLS or seeding is broken")
            if len(cur.execute(USERS_SQL, (tenant_id, limit + 1)).fetchall()) != limit + 1:
                raise RuntimeError("the measured tenant has fewer users than one page")
        conn.commit()
        out.append(time.perf_counter() - started)
    return out


def machine_busy_share(seconds: float = 1.0) -> float:
    """Share of all cores busy right now, before anything of the bench runs."""
    return psutil.cpu_percent(interval=seconds) / 100.0


def summary(rows: list[Row]) -> dict[str, Any]:
    """Verdicts by benchmark, for the JSON copy and the exit code."""
    judged = [row for row in rows if row.verdict]
    return {
        "noisy": any("noisy" in row.verdict for row in judged),
        "verdicts": {
            f"{row.benchmark}: {row.operation} c={row.concurrency}": row.verdict for row in judged
        },
        "all_pass": all(row.verdict.startswith("PASS") for row in judged),
    }
