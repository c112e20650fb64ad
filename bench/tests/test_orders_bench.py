"""The orders benchmark end to end at a toy size, on PostgreSQL + Redis, so it cannot rot."""

from __future__ import annotations

import os

import psycopg
import pytest
import redis

from bench import pg
from bench.orders import OrdersOptions, bench_orders

TOY = OrdersOptions(
    duration=0.6,
    warmup=0.3,
    dealers=3,
    lines=3,
    skus=8,
    cart_lines=8,
    cart_concurrency=1,
    hot_stock=5,
    hot_orders=4,
    workers=1,
    threads=2,
    repeats=1,
    database="dinghuo_bench_orders_smoke",
)


def _services_or_skip() -> None:
    try:
        psycopg.connect(pg.PgTarget.from_env().admin_url, connect_timeout=3).close()
        redis.Redis.from_url(TOY.redis_url, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL or Redis unreachable: {exc}")


@pytest.mark.postgres
@pytest.mark.redis
def test_orders_benchmark_submits_against_its_floor_and_never_oversells_the_hot_sku() -> None:
    _services_or_skip()
    rows, extra = bench_orders(TOY)
    with pg.PgTarget.from_env().admin() as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = %s", (TOY.database,)
        ).fetchall()
    assert left == [], "the bench database is dropped afterwards"

    by_benchmark = {(row.benchmark, row.is_floor): row for row in rows}
    app, floor = by_benchmark[("orders", False)], by_benchmark[("orders", True)]
    assert floor.throughput > 0 and floor.errors == 0
    assert app.ratio is not None and app.verdict.split()[0] in ("PASS", "FAIL", "ERROR")

    hot = extra["hot_sku"]
    assert by_benchmark[("orders-hot", False)].verdict == "PASS", hot
    assert hot["sold"] <= hot["stock"] == 5
    assert hot["duplicate_orders"] == 0 and hot["orders_in_db"] == hot["accepted_keys"]
    assert sum(hot["refusals"].values()) > 0, "demand exceeds the stock, so some are refused"
    assert hot["racing_pairs"] == 3 and hot["sequential_retries"] == 3

    cart = [row for row in rows if row.benchmark == "cart"]
    assert cart and all(row.verdict.split()[0] in ("PASS", "FAIL") for row in cart)
