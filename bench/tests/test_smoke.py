"""End to end on PostgreSQL + Redis: both comparisons run, answer alike and produce judged rows."""

from __future__ import annotations

import os

import psycopg
import pytest
import redis

from bench import pg
from bench.harness import Options, bench_api, bench_rls, environment


def _services_or_skip(options: Options) -> None:
    try:
        psycopg.connect(pg.PgTarget.from_env().admin_url, connect_timeout=3).close()
        redis.Redis.from_url(options.redis_url, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL or Redis unreachable: {exc}")


@pytest.mark.postgres
@pytest.mark.redis
def test_api_and_rls_benchmarks_run_and_judge_against_their_floors() -> None:
    options = Options(
        duration=0.6,
        warmup=0.3,
        concurrency=(2,),
        workers=1,
        threads=2,
        repeats=1,
        rls_repeats=1,
        sql_seconds=0.2,
        database="dinghuo_bench_smoke",
    )
    _services_or_skip(options)
    with environment(options, with_norls=True) as env:
        api_rows = bench_api(env)
        rls_rows = bench_rls(env)
    target = pg.PgTarget.from_env()
    with target.admin() as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'dinghuo_bench_smoke%'"
        ).fetchall()
    assert left == [], "the bench databases are dropped afterwards"

    dinghuo, raw = api_rows
    assert raw.is_floor and raw.throughput > 0 and raw.errors == 0
    assert dinghuo.ratio is not None and dinghuo.errors == 0
    assert dinghuo.verdict.split()[0] in ("PASS", "FAIL")
    assert [row.benchmark for row in rls_rows] == ["rls", "rls", "rls-sql", "rls-sql"]
    assert all(row.errors == 0 for row in rls_rows)
    assert "Index Scan" in " ".join(rls_rows[2].notes)
