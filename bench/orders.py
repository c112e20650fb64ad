"""The orders benchmark: submitting orders through the API against the same writes in raw SQL.

Three parts, on one seeded database (:mod:`bench.orders_seed`: 200 SKUs in
two warehouses, 50 dealers on account, a 200-line cart), Dinghuo under
gunicorn as the app role with RLS forced:

1. **Throughput.** 50 dealers at once, each in a closed loop, submit 20-line
   orders (random SKUs of the 200, 1-3 units each) with ``POST
   /api/v1/orders`` and a fresh ``Idempotency-Key``. The floor is the same
   orders written by one hand-made SQL transaction each on psycopg, one
   connection per dealer: bind the tenant, the idempotency look-up, the
   dealer row locked and its open on-account total summed (credit), the
   SKUs' prices and names, the ship-to address, 20 conditional ``UPDATE
   stock_levels ... WHERE on_hand - reserved >= q`` in SKU order, the number
   sequence bumped, then the order, its 20 lines, 20 allocations, 20
   reservations, 20 stock movements, the timeline entry, the review row and
   the outbox event as multi-row ``INSERT``s; commit. Windows alternate (A B,
   B A). Target: at least half the floor's orders/s, p99 under 300 ms.
2. **Hot SKU.** Every order of every dealer wants the one scarce launch SKU
   (100 units over two warehouses). Some submissions are sent twice in a row
   with the same key, some twice at once on two connections. Afterwards the
   database must show no unit oversold (reserved ≤ on hand, nothing negative,
   reservations = reserved = the accepted orders' quantities, the ledger
   adding up), exactly one order per accepted key, replays answering the
   same order, and every refusal naming the SKU.
3. **A 200-line cart.** ``GET /api/v1/cart`` and the portal's cart page for
   a buyer whose cart holds 200 lines, priced live. Target: p95 under 150 ms.

``bench/run orders`` (``python -m bench.orders``); see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psutil
import psycopg
import redis
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Json

from bench import pg
from bench.harness import (
    NOISY_SHARE,
    Environment,
    Options,
    _annotate,
    machine_busy_share,
    measure,
    summary,
)
from bench.loadgen import RECV_SIZE, build_request, fetch, parse_response, percentile
from bench.orders_seed import HOT_SKU_CODE, Buyer, OrdersSeeded, SeedSize, seed
from bench.report import Measurement, Row, median_row, render, write_json
from bench.seed import Seeded, bench_settings
from bench.server import CpuSnapshot, Gunicorn, machine_busy_seconds

RATIO_TARGET = 0.5
P99_TARGET_MS = 300.0
CART_P95_TARGET_MS = 150.0
KEEPALIVE_S = 1.0
REQUEST_TIMEOUT_S = 60.0
"""A dealer waits this long for a submission before it counts as failed (not 10 s as for reads:
under 50 dealers on a small machine an order queues for seconds, and its latency is the figure)."""
ORDERS_PATH = "/api/v1/orders"
CART_API_PATH = "/api/v1/cart"
PORTAL_CART_PATH = "/cart"
FLOOR_APP_NAME = "bench-orders-floor"
TAX_RATE = Decimal("0.13")
OPEN_STATUSES = [
    "DEALER_REVIEW",
    "SUBMITTED",
    "APPROVED",
    "IN_PRODUCTION",
    "BACKORDERED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "DELIVERED",
]
"""``states.OPEN`` as stored (SQLAlchemy's non-native enums keep member names)."""


@dataclass
class OrdersOptions:
    """Knobs of a run (defaults: the figures the issue asks for, about seven minutes)."""

    duration: float = 15.0
    warmup: float = 3.0
    dealers: int = 50
    lines: int = 20
    skus: int = 200
    cart_lines: int = 200
    cart_concurrency: int = 4
    hot_stock: int = 100
    hot_orders: int = 4
    """Submissions per dealer in the hot-SKU run."""
    workers: int = 2
    threads: int = 4
    repeats: int = 2
    database: str = "dinghuo_bench_orders"
    redis_url: str = "redis://127.0.0.1:6379/6"
    keep_db: bool = False
    dinghuo_target: str = "dinghuo.app:create_app()"

    def harness(self) -> Options:
        """The shared harness's options (gunicorn settings, windows, Redis, database)."""
        return Options(
            duration=self.duration,
            warmup=self.warmup,
            concurrency=(self.dealers,),
            workers=self.workers,
            threads=self.threads,
            repeats=self.repeats,
            database=self.database,
            redis_url=self.redis_url,
            keep_db=self.keep_db,
            dinghuo_target=self.dinghuo_target,
        )


@dataclass
class HotOutcome:
    """What the hot-SKU run saw and what the database holds afterwards."""

    submissions: int = 0
    accepted_keys: int = 0
    refusals: dict[int, int] = field(default_factory=dict)
    """Refused answers by HTTP status."""
    refusals_not_naming_sku: int = 0
    errors: list[str] = field(default_factory=list)
    sequential_retries: int = 0
    racing_pairs: int = 0
    inconsistent_replays: list[str] = field(default_factory=list)
    orders_in_db: int = 0
    duplicate_orders: int = 0
    stock: int = 0
    sold: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.errors or self.inconsistent_replays or self.problems) and (
            self.duplicate_orders == 0 and self.refusals_not_naming_sku == 0
        )


# --- HTTP ---------------------------------------------------------------------------------------


class ApiConnection:
    """One keep-alive HTTP/1.1 connection to the server under test, as one dealer's client."""

    def __init__(
        self, port: int, host: str, token: str, timeout_s: float = REQUEST_TIMEOUT_S
    ) -> None:
        self.port = port
        self.host = host
        self.token = token
        self.timeout_s = timeout_s
        self.sock: socket.socket | None = None
        self.idle_since = 0.0

    def _socket(self) -> socket.socket:
        if self.sock is not None and time.monotonic() - self.idle_since > KEEPALIVE_S:
            # Gunicorn closes a keep-alive connection idle for 2 s; a request written to it
            # would be lost (a POST must not be retried blindly), so open a fresh one.
            self.close()
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout_s)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.idle_since = float("inf")  # busy until the answer is read
        return self.sock

    def order_request(self, key: str, body: dict[str, Any]) -> bytes:
        payload = json.dumps(body).encode()
        head = (
            f"POST {ORDERS_PATH} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {self.token}\r\nIdempotency-Key: {key}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            f"User-Agent: dinghuo-bench\r\nContent-Length: {len(payload)}\r\n"
            "Connection: keep-alive\r\n\r\n"
        )
        return head.encode("latin-1") + payload

    def send(self, request: bytes) -> None:
        try:
            self._socket().sendall(request)
        except OSError:
            self.close()
            self._socket().sendall(request)

    def receive(self) -> tuple[int, bytes]:
        """Read one whole response to what :meth:`send` wrote: ``(status, body)``."""
        sock = self.sock
        if sock is None:
            raise ConnectionError("nothing was sent on this connection")
        buf = bytearray()
        try:
            while True:
                chunk = sock.recv(RECV_SIZE)
                if not chunk:
                    raise ConnectionError("the server closed the connection mid-response")
                buf += chunk
                parsed = parse_response(buf)
                if parsed is not None:
                    break
        except BaseException:
            self.close()
            raise
        status, total, close = parsed
        body = bytes(buf[buf.find(b"\r\n\r\n") + 4 : total])
        self.idle_since = time.monotonic()
        if close:
            self.close()
        return status, body

    def post_order(self, key: str, body: dict[str, Any]) -> tuple[int, bytes]:
        self.send(self.order_request(key, body))
        return self.receive()

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def order_body(buyer: Buyer, lines: list[tuple[int, int]], po: str) -> dict[str, Any]:
    """The checkout of ``POST /orders``: explicit lines, the default address, pickup."""
    return {
        "lines": [{"sku_id": sku_id, "quantity": quantity} for sku_id, quantity in lines],
        "ship_to_address_id": buyer.address_id,
        "delivery_method": "pickup",
        "po_number": po,
    }


def _order_id(body: bytes) -> int | None:
    try:
        return int(json.loads(body)["id"])
    except (ValueError, KeyError, TypeError):
        return None


# --- the closed loop ----------------------------------------------------------------------------


def closed_loop(
    operation: str,
    concurrency: int,
    options: OrdersOptions,
    work: Callable[[int, int], bool],
    snapshot: Callable[[], CpuSnapshot],
    *,
    client_is_server: bool = False,
) -> Measurement:
    """``concurrency`` threads each calling ``work(client, n)`` back to back; one timed window.

    ``work`` returns whether the operation succeeded (a 2xx, a committed
    transaction). As in :mod:`bench.loadgen`, the operations that finish
    inside the window count, each with its whole latency; after the window
    every client finishes the operation it is in, then stops. ``snapshot`` is taken at the window's edges for
    CPU per operation; ``client_is_server`` says this process does the work
    (the SQL floor), so its CPU is the "server" CPU.
    """
    start = time.perf_counter()
    measure_from = start + options.warmup
    stop = measure_from + options.duration
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    failed = [0] * concurrency
    crashed: list[str] = []

    def client(index: int) -> None:
        n = 0
        while (began := time.perf_counter()) < stop:
            try:
                ok = work(index, n)
            except Exception as exc:  # noqa: BLE001 - counted and reported, the loop goes on
                ok = False
                if len(crashed) < 5:
                    crashed.append(f"{type(exc).__name__}: {exc}")
            n += 1
            ended = time.perf_counter()
            if measure_from <= ended <= stop:
                latencies[index].append(ended - began)
                failed[index] += not ok

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_from - time.perf_counter()))
    before, process_before = snapshot(), _process_cpu()
    time.sleep(max(0.0, stop - time.perf_counter()))
    after, process_after = snapshot(), _process_cpu()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT_S + 5)
    for message in crashed:
        print(f"    ! {operation}: {message}", flush=True)
    samples = sorted(s for per_client in latencies for s in per_client)
    ops = max(len(samples), 1)
    wall = after.at - before.at
    process = process_after - process_before
    server = sum(after.server[p] - before.server.get(p, 0.0) for p in after.server)
    database = sum(after.database[p] - before.database.get(p, 0.0) for p in after.database)
    if client_is_server:
        server, client_cpu = process, 0.0
    else:
        client_cpu = process
    other = after.machine_busy_s - before.machine_busy_s - server - database - client_cpu
    capacity = wall * (psutil.cpu_count() or 1)
    return Measurement(
        operation=operation,
        concurrency=concurrency,
        throughput=len(samples) / options.duration,
        p50_ms=percentile(samples, 50) * 1000,
        p95_ms=percentile(samples, 95) * 1000,
        p99_ms=percentile(samples, 99) * 1000,
        server_cpu_ms_per_op=server * 1000 / ops,
        db_cpu_ms_per_op=database * 1000 / ops,
        client_cpu_ms_per_op=client_cpu * 1000 / ops,
        completed=len(samples),
        errors=sum(failed),
        non_2xx=0,
        other_cpu_share=max(0.0, other) / capacity if capacity else 0.0,
        duration_s=options.duration,
    )


def _process_cpu() -> float:
    times = os.times()
    return times.user + times.system


# --- the SQL floor ------------------------------------------------------------------------------


def _minor(amount: Decimal) -> int:
    """Money as stored: integer fen."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


RESERVE_SQL = """
WITH pick AS (
    SELECT warehouse_id FROM stock_levels
    WHERE sku_id = %(sku)s AND on_hand - reserved >= %(q)s
    ORDER BY on_hand - reserved DESC, warehouse_id LIMIT 1
)
UPDATE stock_levels l SET reserved = l.reserved + %(q)s, updated_at = now()
FROM pick
WHERE l.sku_id = %(sku)s AND l.warehouse_id = pick.warehouse_id
  AND l.on_hand - l.reserved >= %(q)s
RETURNING l.warehouse_id, l.on_hand, l.reserved
"""


class FloorRefused(Exception):
    """The floor's conditional UPDATE found no warehouse with the units (nothing written)."""


class SqlFloor:
    """The same order written by hand in one transaction per order (see the module doc)."""

    def __init__(self, dsn: str, tenant_id: int) -> None:
        self.dsn = dsn
        self.tenant_id = tenant_id
        self.connections: dict[int, psycopg.Connection[Any]] = {}
        """One connection per client (dealer), opened on its first order, kept across windows."""

    def close_all(self) -> None:
        for conn in self.connections.values():
            conn.close()
        self.connections.clear()

    def submit(self, client: int, buyer: Buyer, lines: list[tuple[int, int]], key: str) -> int:
        conn = self.connections.get(client)
        if conn is None or conn.closed:
            conn = self.connections[client] = psycopg.connect(self.dsn)
        try:
            order_id = self._submit(conn, buyer, lines, key)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return order_id

    def _submit(
        self, conn: psycopg.Connection[Any], buyer: Buyer, lines: list[tuple[int, int]], key: str
    ) -> int:
        tid = self.tenant_id
        cur = conn.cursor()
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tid),))
        existing = cur.execute(
            "SELECT id FROM orders WHERE created_by_id = %s AND idempotency_key = %s",
            (buyer.user_id, key),
        ).fetchone()
        if existing:
            return existing[0]
        terms, limit = cur.execute(
            "SELECT payment_terms, credit_limit FROM dealers WHERE id = %s FOR UPDATE",
            (buyer.dealer_id,),
        ).fetchone()
        used = cur.execute(
            "SELECT coalesce(sum(total), 0) FROM orders WHERE dealer_id = %s "
            "AND status = ANY(%s) AND payment_terms <> 'prepaid'",
            (buyer.dealer_id, OPEN_STATUSES),
        ).fetchone()[0]
        skus = {
            row[0]: row
            for row in cur.execute(
                "SELECT s.id, s.code, s.base_price, s.msrp, p.name_zh, s.variant "
                "FROM skus s JOIN products p ON p.id = s.product_id "
                "WHERE s.id = ANY(%s) AND s.status = 'ACTIVE' AND p.status = 'ACTIVE'",
                ([sku for sku, _ in lines],),
            )
        }
        address = cur.execute(
            "SELECT recipient, phone, province, city, district, street, postal_code "
            "FROM dealer_addresses WHERE id = %s AND dealer_id = %s",
            (buyer.address_id, buyer.dealer_id),
        ).fetchone()
        if len(skus) != len(lines) or address is None:
            raise FloorRefused("unknown SKU or address")
        priced = []
        for line_no, (sku_id, quantity) in enumerate(lines, start=1):
            _id, code, base, msrp, name, variant = skus[sku_id]
            subtotal = base * quantity
            tax = _minor(Decimal(subtotal) / 100 * TAX_RATE / (1 + TAX_RATE))
            label = f"{name} {' '.join(str(v) for v in (variant or {}).values())}".strip()
            priced.append((line_no, sku_id, code, label, quantity, msrp, base, subtotal, tax))
        total = sum(p[7] for p in priced)
        if used + total > limit:
            raise FloorRefused("over the credit limit")
        held: dict[int, tuple[int, int, int]] = {}
        for sku_id, quantity in sorted(lines):
            row = cur.execute(RESERVE_SQL, {"sku": sku_id, "q": quantity}).fetchone()
            if row is None:
                raise FloorRefused(f"SKU {sku_id} out of stock")
            held[sku_id] = row
        number = cur.execute(
            "UPDATE number_sequences SET last_number = last_number + 1 WHERE kind = 'order' "
            "RETURNING last_number"
        ).fetchone()[0]
        ship_to = dict(
            zip(
                ("recipient", "phone", "province", "city", "district", "street", "postal_code"),
                address,
                strict=True,
            )
        )
        order_id = cur.execute(
            "INSERT INTO orders (tenant_id, number, dealer_id, status, review_step, "
            "created_by_id, placed_by_staff, idempotency_key, request_fingerprint, po_number, "
            "notes, ship_to_address_id, ship_to, delivery_method, delivery_label, payment_terms, "
            "currency, list_total, subtotal, adjustments_total, adjustments, tax_rate, "
            "prices_include_tax, tax_total, freight, total, needs_dealer_approval, submitted_at, "
            "version, created_at, updated_at) VALUES (%s, %s, %s, 'SUBMITTED', 'SALES', %s, "
            "false, %s, %s, %s, '', %s, %s, 'pickup', '自提', %s, 'CNY', %s, %s, 0, '[]', %s, "
            "true, %s, 0, %s, false, now(), 2, now(), now()) RETURNING id",
            (
                tid,
                f"SO-{number:06d}",
                buyer.dealer_id,
                buyer.user_id,
                key,
                uuid.uuid5(uuid.NAMESPACE_URL, key).hex,
                f"PO-{key[-12:]}",
                buyer.address_id,
                Json(ship_to),
                terms,
                sum(p[5] * p[4] for p in priced),
                total,
                _minor(TAX_RATE),
                sum(p[8] for p in priced),
                total,
            ),
        ).fetchone()[0]
        line_ids = dict(
            cur.execute(
                "INSERT INTO order_lines (tenant_id, order_id, line_no, sku_id, sku_code, name, "
                "quantity, list_price, base_price, unit_price, price_source, adjustments, "
                "adjustments_total, subtotal, tax, total, shipped_quantity, returned_quantity) "
                "SELECT %s, %s, n, s, c, l, q, m, b, b, 'base', '[]', 0, st, tx, st, 0, 0 "
                "FROM unnest(%s::int[], %s::int[], %s::text[], %s::text[], %s::int[], "
                "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) "
                "AS t(n, s, c, l, q, m, b, st, tx) RETURNING sku_id, id",
                (tid, order_id, *(list(column) for column in zip(*priced, strict=True))),
            ).fetchall()
        )
        allocation_ids = [
            row[0]
            for row in cur.execute(
                "SELECT nextval(pg_get_serial_sequence('order_allocations', 'id')) "
                "FROM generate_series(1, %s)",
                (len(lines),),
            )
        ]
        allocation_of = dict(zip(sorted(held), allocation_ids, strict=True))
        quantities = dict(lines)
        reservations = cur.execute(
            "INSERT INTO stock_reservations (tenant_id, warehouse_id, sku_id, quantity, status, "
            "reference_type, reference_id, created_at) SELECT %s, w, s, q, 'ACTIVE', "
            "'order_allocation', r, now() FROM unnest(%s::int[], %s::int[], %s::int[], %s::text[]) "
            "AS t(w, s, q, r) RETURNING id, sku_id",
            (
                tid,
                [held[s][0] for s in sorted(held)],
                sorted(held),
                [quantities[s] for s in sorted(held)],
                [str(allocation_of[s]) for s in sorted(held)],
            ),
        ).fetchall()
        reservation_of = {sku: rid for rid, sku in reservations}
        skus_sorted = sorted(held)
        cur.execute(
            "INSERT INTO order_allocations (id, tenant_id, order_line_id, sku_id, warehouse_id, "
            "quantity, status, reservation_id, created_at) SELECT a, %s, l, s, w, q, 'RESERVED', "
            "r, now() FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[], "
            "%s::int[]) AS t(a, l, s, w, q, r)",
            (
                tid,
                [allocation_of[s] for s in skus_sorted],
                [line_ids[s] for s in skus_sorted],
                skus_sorted,
                [held[s][0] for s in skus_sorted],
                [quantities[s] for s in skus_sorted],
                [reservation_of[s] for s in skus_sorted],
            ),
        )
        cur.execute(
            "INSERT INTO stock_movements (tenant_id, warehouse_id, sku_id, kind, on_hand_delta, "
            "reserved_delta, on_hand_after, reserved_after, reason, reference_type, reference_id, "
            "actor_type, actor_label, created_at) SELECT %s, w, s, 'RESERVATION', 0, q, oh, rv, "
            "'reserved', 'order_allocation', r, 'system', 'system', now() FROM unnest(%s::int[], "
            "%s::int[], %s::int[], %s::int[], %s::int[], %s::text[]) AS t(w, s, q, oh, rv, r)",
            (
                tid,
                [held[s][0] for s in skus_sorted],
                skus_sorted,
                [quantities[s] for s in skus_sorted],
                [held[s][1] for s in skus_sorted],
                [held[s][2] for s in skus_sorted],
                [str(allocation_of[s]) for s in skus_sorted],
            ),
        )
        cur.execute(
            "INSERT INTO order_activities (tenant_id, order_id, kind, from_status, to_status, "
            "message, details, visible_to_dealer, actor_type, actor_id, actor_label, created_at) "
            "VALUES (%s, %s, 'status', 'draft', 'submitted', '', '{}', true, 'user', %s, %s, now())",
            (tid, order_id, buyer.user_id, f"buyer {buyer.user_id}"),
        )
        cur.execute(
            "INSERT INTO order_reviews (tenant_id, order_id, step, outcome, rule, reason) "
            "VALUES (%s, %s, 'SALES', 'PENDING', '', '')",
            (tid, order_id),
        )
        cur.execute(
            "INSERT INTO outbox_events (tenant_id, type, aggregate_type, aggregate_id, payload, "
            "created_at, attempts, delivered_at, delivered_to) VALUES (%s, 'order.submitted', "
            "'order', %s, %s, now(), 0, now(), '[]')",
            (tid, str(order_id), Json({"order_id": order_id, "number": f"SO-{number:06d}"})),
        )
        return order_id


# --- the benchmark ------------------------------------------------------------------------------


def bench_orders(opts: OrdersOptions) -> tuple[list[Row], dict[str, Any]]:
    """Seed, start Dinghuo, run the three parts; the rows and the hot run's findings."""
    options = opts.harness()
    target = pg.PgTarget.from_env()
    redis.Redis.from_url(opts.redis_url, socket_connect_timeout=3).ping()
    pg.ensure_roles(target)
    instance_dir = tempfile.mkdtemp(prefix="dinghuo-bench-orders-")
    database = opts.database
    try:
        started = time.perf_counter()
        pg.create_database(target, database)
        settings = bench_settings(
            target.sqlalchemy_url(database, target.app_role),
            target.sqlalchemy_url(database, target.owner_role),
            target.app_role,
            opts.redis_url,
        )
        size = SeedSize(opts.skus, opts.dealers, opts.cart_lines, opts.hot_stock)
        seeded = seed(settings, size)
        pg.analyze(target, database)
        print(
            f"seeded {len(seeded.sku_ids)} SKUs, {len(seeded.buyers)} dealers, a "
            f"{seeded.cart_lines}-line cart, {opts.hot_stock} units of {HOT_SKU_CODE} in "
            f"{time.perf_counter() - started:.1f}s",
            flush=True,
        )
        assert seeded.cart_buyer is not None
        env = Environment(
            options,
            target,
            Seeded(seeded.tenant_slug, seeded.tenant_id, seeded.cart_buyer.token, {}),
            False,
            instance_dir,
        )
        with ExitStack() as stack:
            server = stack.enter_context(env.dinghuo(database, "orders"))
            server.wait_ready(_cart_request(seeded))
            first = _probe_submission(server, seeded, opts)
            print(f"orders: POST {ORDERS_PATH} answers 201 ({first})", flush=True)
            floor = SqlFloor(
                target.dsn(database, target.app_role, application_name=FLOOR_APP_NAME),
                seeded.tenant_id,
            )
            rows = throughput(server, floor, target, database, seeded, opts)
            hot_row, hot = hot_sku_run(server, target, database, seeded, opts)
            rows.append(hot_row)
            rows += cart_rows(server, seeded, options, opts, settings)
        return rows, {"hot_sku": asdict(hot)}
    finally:
        if not opts.keep_db:
            pg.drop_database(target, database)
        for leftover in os.listdir(instance_dir):
            path = os.path.join(instance_dir, leftover)
            if os.path.isfile(path):
                os.unlink(path)
        try:
            os.rmdir(instance_dir)
        except OSError:
            pass


def _host(seeded: OrdersSeeded) -> str:
    return f"{seeded.tenant_slug}.localhost"


def _cart_request(seeded: OrdersSeeded) -> bytes:
    assert seeded.cart_buyer is not None
    return build_request(
        CART_API_PATH,
        {
            "Host": _host(seeded),
            "Authorization": f"Bearer {seeded.cart_buyer.token}",
            "Accept": "application/json",
            "User-Agent": "dinghuo-bench",
        },
    )


def _probe_submission(server: Gunicorn, seeded: OrdersSeeded, opts: OrdersOptions) -> str:
    """One order before measuring: it must be created (201), else stop with the answer."""
    buyer = seeded.buyers[0]
    client = ApiConnection(server.port, _host(seeded), buyer.token)
    lines = [(sku_id, 1) for sku_id in seeded.sku_ids[: opts.lines]]
    try:
        status, body = client.post_order(f"probe-{uuid.uuid4().hex}", order_body(buyer, lines, "P"))
    finally:
        client.close()
    if status != 201:
        raise RuntimeError(f"POST {ORDERS_PATH} answered {status}: {body[:500]!r}")
    answer = json.loads(body)
    return f"order {answer.get('number')}, status {answer.get('status')}"


def _random_lines(rnd: random.Random, sku_ids: list[int], count: int) -> list[tuple[int, int]]:
    return [(sku_id, rnd.randint(1, 3)) for sku_id in rnd.sample(sku_ids, count)]


def throughput(
    server: Gunicorn,
    floor: SqlFloor,
    target: pg.PgTarget,
    database: str,
    seeded: OrdersSeeded,
    opts: OrdersOptions,
) -> list[Row]:
    """Part 1: Dinghuo's ``POST /orders`` against the SQL floor, alternated."""
    concurrency = len(seeded.buyers)
    host = _host(seeded)
    clients = [ApiConnection(server.port, host, b.token) for b in seeded.buyers]
    randoms = [random.Random(i) for i in range(concurrency)]
    run = uuid.uuid4().hex[:8]

    refused: dict[int, bytes] = {}

    def api_order(index: int, n: int) -> bool:
        buyer = seeded.buyers[index]
        lines = _random_lines(randoms[index], seeded.sku_ids, opts.lines)
        key = f"tp-{run}-{index}-{uuid.uuid4().hex[:16]}"  # n restarts in each window
        status, body = clients[index].post_order(key, order_body(buyer, lines, key))
        if status != 201:
            refused.setdefault(status, body[:300])
        return status == 201

    def floor_order(index: int, n: int) -> bool:
        lines = _random_lines(randoms[index], seeded.sku_ids, opts.lines)
        floor.submit(
            index, seeded.buyers[index], lines, f"fl-{run}-{index}-{uuid.uuid4().hex[:16]}"
        )
        return True

    def floor_snapshot() -> CpuSnapshot:
        backends = pg.backend_pids(target, database, FLOOR_APP_NAME)
        return CpuSnapshot(time.perf_counter(), {}, _cpu_of(backends), machine_busy_seconds())

    operation_app = f"dinghuo POST {ORDERS_PATH} ({opts.lines} lines)"
    operation_floor = "same writes, one SQL transaction (floor)"
    print(
        f"orders: {concurrency} dealers, {opts.lines}-line orders over {len(seeded.sku_ids)} SKUs; "
        f"gunicorn {opts.workers} workers x {opts.threads} threads",
        flush=True,
    )
    app_runs: list[Measurement] = []
    floor_runs: list[Measurement] = []
    try:
        for round_no in range(opts.repeats):
            sides = ["app", "floor"] if round_no % 2 == 0 else ["floor", "app"]
            for side in sides:
                if side == "app":
                    m = closed_loop(operation_app, concurrency, opts, api_order, server.snapshot)
                    app_runs.append(m)
                    drain(target, database, server.application_name)
                else:
                    m = closed_loop(
                        operation_floor,
                        concurrency,
                        opts,
                        floor_order,
                        floor_snapshot,
                        client_is_server=True,
                    )
                    floor_runs.append(m)
                _print_window(m)
    finally:
        for client in clients:
            client.close()
        floor.close_all()
    for status, body in sorted(refused.items()):
        print(f"    ! answered {status}: {body!r}", flush=True)
    row_app = median_row("orders", app_runs)
    row_floor = median_row("orders", floor_runs)
    row_floor.is_floor = True
    row_app.ratio = row_app.throughput / row_floor.throughput if row_floor.throughput else 0.0
    row_app.target = f">= {RATIO_TARGET}x floor orders/s, p99 < {P99_TARGET_MS:.0f} ms"
    passed = row_app.ratio >= RATIO_TARGET and row_app.p99_ms < P99_TARGET_MS
    row_app.verdict = "PASS" if passed else "FAIL"
    app_cpu = row_app.server_cpu_ms_per_op + row_app.db_cpu_ms_per_op
    floor_cpu = row_floor.server_cpu_ms_per_op + row_floor.db_cpu_ms_per_op
    row_app.notes.append(
        f"{row_app.ratio:.2f}x the floor's orders/s; p99 {row_app.p99_ms:.0f} ms vs "
        f"{row_floor.p99_ms:.0f} ms; CPU per order (app + DB) {app_cpu:.1f} vs {floor_cpu:.1f} ms "
        f"({floor_cpu / app_cpu if app_cpu else 0:.2f}x, the ratio when the cores are the limit)"
    )
    for row in (row_app, row_floor):
        if row.throughput:
            row.notes.append(
                f"Little's law: {concurrency} dealers / {row.throughput:.1f} orders/s = "
                f"{concurrency / row.throughput:.1f} s per order on average while saturated"
            )
    row_app.other_cpu_share = max(row_app.other_cpu_share, row_floor.other_cpu_share)
    for row in (row_app, row_floor):
        _annotate(row)
    return [row_app, row_floor]


def drain(target: pg.PgTarget, database: str, application_name: str, limit_s: float = 120) -> None:
    """Wait until the server finished the requests the window abandoned (their client timed out).

    Gunicorn goes on with a request whose client left; the next window must
    not start while those transactions still hold locks and cores.
    """
    deadline = time.monotonic() + limit_s
    with target.admin() as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND application_name = %s AND state <> 'idle'",
                (database, application_name),
            ).fetchone()[0]
            if not busy:
                return
            time.sleep(0.2)
    print(f"  ! {application_name} still busy after {limit_s:.0f}s", flush=True)


def _cpu_of(pids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out[pid] = times.user + times.system
    return out


def _print_window(m: Measurement, unit: str = "orders/s") -> None:
    print(
        f"  {m.operation[:44]:<44} c={m.concurrency:<3} {m.throughput:7.1f} {unit}  "
        f"p50 {m.p50_ms:6.0f} ms  p99 {m.p99_ms:6.0f} ms  "
        f"cpu {m.server_cpu_ms_per_op:.1f}+{m.db_cpu_ms_per_op:.1f} ms/op"
        + (f"  failed {m.errors}" if m.errors else ""),
        flush=True,
    )


# --- part 2: the hot SKU ------------------------------------------------------------------------

ACCEPTED = (200, 201)
REFUSED = (409, 422)


def hot_sku_run(
    server: Gunicorn,
    target: pg.PgTarget,
    database: str,
    seeded: OrdersSeeded,
    opts: OrdersOptions,
) -> tuple[Row, HotOutcome]:
    """Part 2: every dealer at once orders the scarce SKU; then the database is checked."""
    host = _host(seeded)
    run = uuid.uuid4().hex[:8]
    outcome = HotOutcome(stock=sum(seeded.hot_stock.values()))
    answers: dict[str, list[tuple[int, int | None, bytes]]] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(seeded.buyers))

    def timed(client: ApiConnection, key: str, body: dict[str, Any]) -> None:
        began = time.perf_counter()
        status, answer = client.post_order(key, body)
        with lock:
            latencies.append(time.perf_counter() - began)
            answers.setdefault(key, []).append((status, _order_id(answer), answer[:600]))

    def dealer(index: int) -> None:
        buyer = seeded.buyers[index]
        rnd = random.Random(1000 + index)
        one = ApiConnection(server.port, host, buyer.token)
        two = ApiConnection(server.port, host, buyer.token)
        start.wait()
        try:
            for n in range(opts.hot_orders):
                key = f"hot-{run}-{index}-{n}"
                lines = [(seeded.hot_sku_id, rnd.randint(1, 3))]
                lines += [(sku_id, 1) for sku_id in rnd.sample(seeded.sku_ids, 2)]
                body = order_body(buyer, lines, key)
                try:
                    if n % 4 == 1:
                        # The same submission twice at once (a double click, a client retry
                        # racing the first attempt): both in flight before either answers.
                        request = one.order_request(key, body)
                        began = time.perf_counter()
                        one.send(request)
                        two.send(request)
                        pair = [one.receive(), two.receive()]
                        elapsed = time.perf_counter() - began
                        with lock:
                            latencies.extend([elapsed, elapsed])
                            answers[key] = [(s, _order_id(a), a[:600]) for s, a in pair]
                            outcome.racing_pairs += 1
                    else:
                        timed(one, key, body)
                        if n % 4 == 2:
                            timed(one, key, body)  # a retry after the answer
                            with lock:
                                outcome.sequential_retries += 1
                except (OSError, ConnectionError) as exc:
                    with lock:
                        outcome.errors.append(f"{key}: {type(exc).__name__}: {exc}")
        finally:
            one.close()
            two.close()

    threads = [
        threading.Thread(target=dealer, args=(i,), daemon=True) for i in range(len(seeded.buyers))
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - began
    _judge_answers(answers, outcome)
    _check_database(target, database, seeded, run, answers, outcome)
    samples = sorted(latencies)
    m = Measurement(
        operation=f"hot SKU: {len(answers)} orders on {outcome.stock} units",
        concurrency=len(seeded.buyers),
        throughput=len(samples) / elapsed if elapsed else 0.0,
        p50_ms=percentile(samples, 50) * 1000,
        p95_ms=percentile(samples, 95) * 1000,
        p99_ms=percentile(samples, 99) * 1000,
        server_cpu_ms_per_op=0.0,
        db_cpu_ms_per_op=0.0,
        client_cpu_ms_per_op=0.0,
        completed=len(samples),
        errors=len(outcome.errors),
        non_2xx=0,
        other_cpu_share=0.0,
        duration_s=elapsed,
    )
    row = median_row("orders-hot", [m])
    row.target = "0 oversold, 0 duplicate orders"
    row.verdict = "PASS" if outcome.ok else "FAIL"
    refused = sum(outcome.refusals.values())
    row.notes.append(
        f"sold {outcome.sold} of {outcome.stock} units in {outcome.accepted_keys} orders; "
        f"{refused} refused ("
        + ", ".join(f"{status}: {count}" for status, count in sorted(outcome.refusals.items()))
        + f"), {refused - outcome.refusals_not_naming_sku} of them naming {HOT_SKU_CODE}"
    )
    row.notes.append(
        f"{outcome.sequential_retries} retries after the answer and {outcome.racing_pairs} "
        f"racing pairs with the same key: {outcome.orders_in_db} orders in the database for "
        f"{outcome.accepted_keys} accepted keys, {outcome.duplicate_orders} duplicates, "
        f"{len(outcome.inconsistent_replays)} replays answering differently"
    )
    for problem in outcome.problems + outcome.inconsistent_replays[:5] + outcome.errors[:5]:
        row.notes.append(problem)
    if outcome.errors:
        print(f"  hot SKU: {len(outcome.errors)} errors; server log:\n{server.log_tail(15)}")
    print(f"  hot SKU: {row.notes[0]}", flush=True)
    return row, outcome


def _judge_answers(
    answers: dict[str, list[tuple[int, int | None, bytes]]], outcome: HotOutcome
) -> None:
    """Each key: accepted with one order (one 201, replays 200, same id) or refused, naming why."""
    for key, replies in answers.items():
        outcome.submissions += len(replies)
        statuses = [status for status, _, _ in replies]
        unexpected = [s for s in statuses if s not in ACCEPTED + REFUSED]
        if unexpected:
            outcome.errors.append(f"{key}: HTTP {unexpected} ({replies[0][2][:200]!r})")
            continue
        accepted = [(status, order_id) for status, order_id, _ in replies if status in ACCEPTED]
        for status, _order, body in replies:
            if status in REFUSED:
                outcome.refusals[status] = outcome.refusals.get(status, 0) + 1
                if HOT_SKU_CODE.encode() not in body and b"lines.0." not in body:
                    outcome.refusals_not_naming_sku += 1
        if not accepted:
            continue
        outcome.accepted_keys += 1
        ids = {order_id for _, order_id in accepted}
        created = [status for status, _ in accepted].count(201)
        if len(accepted) != len(replies) or len(ids) != 1 or None in ids or created != 1:
            outcome.inconsistent_replays.append(f"{key}: answers {[r[:2] for r in replies]}")


def _check_database(
    target: pg.PgTarget,
    database: str,
    seeded: OrdersSeeded,
    run: str,
    answers: dict[str, list[tuple[int, int | None, bytes]]],
    outcome: HotOutcome,
) -> None:
    """Read what the run left (as the administrator, every row of the tenant)."""
    tid, hot = seeded.tenant_id, seeded.hot_sku_id
    with psycopg.connect(_admin_dsn(target, database)) as conn:
        per_key = conn.execute(
            "SELECT idempotency_key, count(*) FROM orders WHERE tenant_id = %s "
            "AND idempotency_key LIKE %s GROUP BY created_by_id, idempotency_key",
            (tid, f"hot-{run}-%"),
        ).fetchall()
        outcome.orders_in_db = sum(count for _, count in per_key)
        outcome.duplicate_orders = sum(count - 1 for _, count in per_key)
        accepted = {k for k, r in answers.items() if any(s in ACCEPTED for s, _, _ in r)}
        stored = {key for key, _ in per_key}
        if stored != accepted:
            outcome.problems.append(
                f"orders without an accepted answer: {sorted(stored - accepted)[:5]}; "
                f"accepted keys without an order: {sorted(accepted - stored)[:5]}"
            )
        levels = conn.execute(
            "SELECT w.code, l.on_hand, l.reserved FROM stock_levels l "
            "JOIN warehouses w ON w.id = l.warehouse_id "
            "WHERE l.tenant_id = %s AND l.sku_id = %s ORDER BY w.code",
            (tid, hot),
        ).fetchall()
        reserved = sum(row[2] for row in levels)
        for code, on_hand, held in levels:
            if held < 0 or on_hand < 0 or held > on_hand:
                outcome.problems.append(f"{code}: on hand {on_hand}, reserved {held}: oversold")
            if on_hand != seeded.hot_stock.get(code, 0):
                outcome.problems.append(f"{code}: on hand {on_hand}, seeded {seeded.hot_stock}")
        figures = {
            "active reservations": conn.execute(
                "SELECT coalesce(sum(quantity), 0) FROM stock_reservations WHERE tenant_id = %s "
                "AND sku_id = %s AND status = 'ACTIVE'",
                (tid, hot),
            ).fetchone()[0],
            "reserved allocations": conn.execute(
                "SELECT coalesce(sum(quantity), 0) FROM order_allocations WHERE tenant_id = %s "
                "AND sku_id = %s AND status = 'RESERVED'",
                (tid, hot),
            ).fetchone()[0],
            "accepted orders' lines": conn.execute(
                "SELECT coalesce(sum(l.quantity), 0) FROM order_lines l "
                "JOIN orders o ON o.id = l.order_id WHERE o.tenant_id = %s AND l.sku_id = %s "
                "AND o.idempotency_key LIKE %s",
                (tid, hot, f"hot-{run}-%"),
            ).fetchone()[0],
        }
        for name, value in figures.items():
            if value != reserved:
                outcome.problems.append(f"{name} {value} != reserved {reserved}")
        ledger = conn.execute(
            "SELECT w.code, sum(m.on_hand_delta), sum(m.reserved_delta) FROM stock_movements m "
            "JOIN warehouses w ON w.id = m.warehouse_id WHERE m.tenant_id = %s AND m.sku_id = %s "
            "GROUP BY w.code ORDER BY w.code",
            (tid, hot),
        ).fetchall()
        if [tuple(row) for row in ledger] != [tuple(row) for row in levels]:
            outcome.problems.append(f"ledger {ledger} does not add up to levels {levels}")
    outcome.sold = reserved
    if reserved > outcome.stock:
        outcome.problems.append(f"{reserved} units reserved of {outcome.stock}: oversold")


def _admin_dsn(target: pg.PgTarget, database: str) -> str:
    params = conninfo_to_dict(target.admin_url)
    params.update(dbname=database)
    return make_conninfo(**params)


# --- part 3: the 200-line cart ------------------------------------------------------------------


def cart_rows(
    server: Gunicorn,
    seeded: OrdersSeeded,
    options: Options,
    opts: OrdersOptions,
    settings: Any,
) -> list[Row]:
    """Part 3: the cart through the API (bearer token) and the portal page (session cookie)."""
    assert seeded.cart_buyer is not None
    headers = {"Host": _host(seeded), "User-Agent": "dinghuo-bench"}
    api = build_request(
        CART_API_PATH,
        {
            **headers,
            "Authorization": f"Bearer {seeded.cart_buyer.token}",
            "Accept": "application/json",
        },
    )
    cookie = _portal_cookie(settings, seeded.tenant_id, seeded.cart_buyer.user_id)
    page = build_request(PORTAL_CART_PATH, {**headers, "Cookie": cookie, "Accept": "text/html"})
    rows: list[Row] = []
    for operation, request in (
        (f"dinghuo GET {CART_API_PATH} ({seeded.cart_lines} lines)", api),
        (f"portal GET {PORTAL_CART_PATH} ({seeded.cart_lines} lines)", page),
    ):
        status, body = fetch("127.0.0.1", server.port, request)
        if status != 200:
            print(f"  {operation}: answered {status}, skipped; server log:", flush=True)
            print(server.log_tail(15), flush=True)
            continue
        shown = _cart_line_count(body)
        if shown is not None and shown != seeded.cart_lines:
            raise RuntimeError(f"{operation}: {shown} lines shown, {seeded.cart_lines} in the cart")
        runs = []
        for _ in range(opts.repeats):
            m = measure(server, operation, request, opts.cart_concurrency, options)
            _print_window(m, "req/s")
            runs.append(m)
        row = median_row("cart", runs)
        row.target = f"p95 < {CART_P95_TARGET_MS:.0f} ms"
        row.verdict = "PASS" if row.p95_ms < CART_P95_TARGET_MS else "FAIL"
        row.notes.append(f"{len(body):,} bytes per answer")
        _annotate(row)
        rows.append(row)
    return rows


def _cart_line_count(body: bytes) -> int | None:
    """Lines in a JSON cart (None for a page, or a document without ``lines``)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    lines = document.get("lines") if isinstance(document, dict) else None
    return len(lines) if isinstance(lines, list) else None


def _portal_cookie(settings: Any, tenant_id: int, user_id: int) -> str:
    """A signed-in portal session, signed as the server signs it (same secret key).

    What signing in through ``/login`` leaves in the cookie, minted directly:
    the buyer has no password (seeding skips the hashing) and the login form's
    rate limit would otherwise throttle repeated runs.
    """
    from dinghuo.app import create_app

    app = create_app(settings)
    try:
        serializer = app.session_interface.get_signing_serializer(app)
        assert serializer is not None
        value = serializer.dumps({"tenant_id": tenant_id, "user_id": user_id})
        return f"{app.config['SESSION_COOKIE_NAME']}={value}"
    finally:
        app.extensions["dinghuo.db"].dispose()


# --- command line -------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    d = OrdersOptions()
    parser = argparse.ArgumentParser(prog="bench/run orders", description=__doc__)
    parser.add_argument("--duration", type=float, default=d.duration, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=d.warmup, help="warm-up seconds")
    parser.add_argument("--dealers", type=int, default=d.dealers, help="concurrent dealers")
    parser.add_argument("--lines", type=int, default=d.lines, help="lines per order")
    parser.add_argument("--skus", type=int, default=d.skus, help="SKUs the orders draw from")
    parser.add_argument("--cart-lines", type=int, default=d.cart_lines)
    parser.add_argument("--cart-concurrency", type=int, default=d.cart_concurrency)
    parser.add_argument("--hot-stock", type=int, default=d.hot_stock, help="units of the hot SKU")
    parser.add_argument(
        "--hot-orders", type=int, default=d.hot_orders, help="hot-SKU submissions per dealer"
    )
    parser.add_argument("--workers", type=int, default=d.workers, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=d.threads, help="threads per worker")
    parser.add_argument("--repeats", type=int, default=d.repeats, help="windows per side")
    parser.add_argument("--database", default=d.database, help="bench database (recreated)")
    parser.add_argument("--redis-url", default=d.redis_url)
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument("--dinghuo-target", default=d.dinghuo_target)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    opts = OrdersOptions(
        **{k: v for k, v in vars(args).items() if k != "strict"},
    )
    started = time.perf_counter()
    busy = machine_busy_share()
    if busy > NOISY_SHARE:
        print(
            f"warning: the machine is already {busy:.0%} busy before the bench starts; "
            "throughput will be understated and verdicts marked (noisy)",
            flush=True,
        )
    rows, extra = bench_orders(opts)
    print()
    print(render(rows))
    verdicts = summary(rows)
    extra.update(summary=verdicts, machine_busy_before=busy)
    extra["elapsed_s"] = time.perf_counter() - started
    path = write_json("orders", asdict(opts), extra, rows)
    print(f"\n{extra['elapsed_s']:.0f}s in all; JSON copy: {path}")
    return 1 if args.strict and not verdicts["all_pass"] else 0


if __name__ == "__main__":
    sys.exit(main())
