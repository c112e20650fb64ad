"""Import benchmark: a 100,000-SKU products import (CSV and XLSX) beside a bare COPY.

``python -m bench.imports`` (or ``bench/run imports``) prints one table:

* the floor: ``COPY`` of the same 25,000 products and 100,000 SKUs into the
  same tables (``products``, ``skus``), one transaction, from memory, no
  validation and no search index (as the administrative role: PostgreSQL
  refuses ``COPY FROM`` into tables with row-level security otherwise);
* ``service``: :func:`start_import` then :func:`process_import` called
  directly (read the file, validate every row, bulk INSERT, one transaction);
  the search documents of the 100,000 SKUs are then built by follow-up
  indexing jobs (inline here, right after the import commits): the row
  ``+ search index`` is the time until every SKU is searchable, the
  import's own row that time less the indexing jobs' (from their job runs);
* ``end to end``: ``POST /api/v1/imports`` through the WSGI app (jobs inline,
  as in the embedded mode), the request returning once the job has run, then
  ``GET /api/v1/imports/<id>`` confirming ``applied``.

Each run imports into a fresh tenant, so every side writes 100,000 new rows.
Target (issue 3): at least a quarter of COPY's rows/s, and under 60 s.

It creates a throwaway database ``dinghuo_bench_imports_<pid>`` through
``BENCH_PG_ADMIN_URL`` (see bench/pg.py) and drops it afterwards
(``--keep-db`` keeps it).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

ROWS = 100_000
SKUS_PER_PRODUCT = 4
TARGET_SHARE = 0.25
TARGET_SECONDS = 60.0
DATABASE = f"dinghuo_bench_imports_{os.getpid()}"
HEADER = [
    "product_code",
    "name_zh",
    "name_en",
    "brand_code",
    "category_code",
    "model_number",
    "product_status",
    "sku_code",
    "barcode",
    "variant",
    "sku_status",
    "moq",
    "order_multiple",
    "weight_g",
    "msrp",
    "base_price",
]
COLOURS = ("雅丹黑", "白沙银", "南糯紫", "雅川青")


def _ean13(n: int) -> str:
    body = f"69{n:010d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def rows(count: int = ROWS) -> list[list[str]]:
    """``count`` SKU rows of ``count / 4`` products, Chinese and English names, valid barcodes."""
    out = []
    for i in range(count):
        p, v = divmod(i, SKUS_PER_PRODUCT)
        out.append(
            [
                f"P{p:06d}",
                f"鼎新 Mate {p} Pro 旗舰手机",
                f"Dingxin Mate {p} Pro",
                "DX",
                "PHONE",
                f"ALN-{p:06d}",
                "active",
                f"P{p:06d}-{v}",
                _ean13(i),
                f"颜色={COLOURS[v]};内存=12+{256 * (1 + v % 2)}G",
                "active",
                "1",
                "1",
                "225",
                "6999.00",
                f"{5000 + p % 1000}.00",
            ]
        )
    return out


def csv_bytes(data: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(data)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(data: list[list[str]]) -> bytes:
    """As Excel would store them: numbers (barcodes, prices, quantities) as numbers."""
    from openpyxl import Workbook

    numeric = {HEADER.index(k) for k in ("barcode", "moq", "order_multiple", "weight_g")}
    money = {HEADER.index(k) for k in ("msrp", "base_price")}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in data:
        sheet.append(
            [int(v) if i in numeric else float(v) if i in money else v for i, v in enumerate(row)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@dataclass
class Result:
    name: str
    seconds: float
    tenant_id: int = 0
    informational: bool = False

    @property
    def rows_per_s(self) -> float:
        return ROWS / self.seconds


@contextmanager
def _database(keep: bool) -> Iterator[dict[str, Any]]:
    from psycopg.conninfo import conninfo_to_dict

    from bench.pg import PgTarget, create_database, drop_database, ensure_roles

    target = PgTarget.from_env()
    ensure_roles(target)
    create_database(target, DATABASE)
    try:
        yield {
            "database_url": target.sqlalchemy_url(DATABASE, target.app_role),
            "migration_database_url": target.sqlalchemy_url(DATABASE, target.owner_role),
            "app_db_role": target.app_role,
            "admin_dsn": target.dsn(DATABASE, conninfo_to_dict(target.admin_url)["user"]),
        }
    finally:
        if not keep:
            drop_database(target, DATABASE)


def _tenant(app: Any, slug: str) -> tuple[int, str]:
    """A fresh tenant with brand DX and category PHONE; (tenant id, owner's bearer token)."""
    import datetime as dt

    from dinghuo.core.catalog.models import Brand, Category
    from dinghuo.platform.auth.service import issue_token
    from dinghuo.platform.tenants.service import create_tenant

    database = app.extensions["dinghuo.db"]
    with database.transaction() as session:
        onboarded = create_tenant(
            session,
            None,
            slug=slug,
            name=slug,
            owner_email=f"owner@{slug}.test",
            owner_password="bench-password-42",
        )
        tenant_id = onboarded.tenant.id
        session.bind_tenant(tenant_id)
        session.add_all([Brand(code="DX", name="鼎新"), Category(code="PHONE", name_zh="手机")])
        token, _ = issue_token(session, ttl=dt.timedelta(hours=2), user=onboarded.owner)
    return tenant_id, token


def bench_copy(app: Any, data: list[list[str]], admin_dsn: str) -> Result:
    """The floor: COPY products and SKUs (ids assigned up front) in one transaction.

    PostgreSQL refuses ``COPY FROM`` into a table with row-level security to
    any role RLS applies to (the app role, and the owner since RLS is forced),
    so the floor connects as the administrative role, which RLS skips.
    """
    import psycopg

    tenant_id, _ = _tenant(app, "floor")
    products: dict[str, list[str]] = {}
    for row in data:
        products.setdefault(row[0], row)
    started = time.perf_counter()
    with psycopg.connect(admin_dsn) as connection, connection.cursor() as cursor:
        brand_id, category_id = cursor.execute(
            "SELECT (SELECT id FROM brands WHERE tenant_id = %(t)s), "
            "(SELECT id FROM categories WHERE tenant_id = %(t)s)",
            {"t": tenant_id},
        ).fetchone()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('products', 'id')) FROM generate_series(1, %s)",
            (len(products),),
        )
        ids = dict(zip(products, (r[0] for r in cursor.fetchall()), strict=True))
        now = "2026-01-01 00:00:00+00"
        with cursor.copy(
            "COPY products (id, tenant_id, code, name_zh, name_en, model_number, description, "
            "brand_id, category_id, status, variant_axes, created_at, updated_at) FROM STDIN"
        ) as copy:
            for code, row in products.items():
                copy.write_row(
                    (
                        ids[code],
                        tenant_id,
                        code,
                        row[1],
                        row[2],
                        row[5],
                        "",
                        brand_id,
                        category_id,
                        "ACTIVE",
                        '["颜色", "内存"]',
                        now,
                        now,
                    )
                )
        with cursor.copy(
            "COPY skus (tenant_id, product_id, code, barcode, variant, status, moq, "
            "order_multiple, weight_g, msrp, base_price, sales_qty, position, created_at) "
            "FROM STDIN"
        ) as copy:
            for n, row in enumerate(data):
                copy.write_row(
                    (
                        tenant_id,
                        ids[row[0]],
                        row[7],
                        row[8],
                        json.dumps(
                            dict(p.split("=") for p in row[9].split(";")), ensure_ascii=False
                        ),
                        "ACTIVE",
                        1,
                        1,
                        225,
                        699900,
                        int(float(row[15]) * 100),
                        0,
                        n % 4,
                        now,
                    )
                )
    return Result("COPY (floor)", time.perf_counter() - started)


def bench_service(app: Any, name: str, filename: str, payload: bytes) -> Result:
    from dinghuo.core.imports.models import ImportKind, ImportStatus
    from dinghuo.core.imports.service import process_import, start_import

    tenant_id, _ = _tenant(app, f"svc-{filename.replace('.', '-')}")
    database = app.extensions["dinghuo.db"]
    started = time.perf_counter()
    with database.transaction(tenant_id) as session:
        batch_id = start_import(session, None, ImportKind.PRODUCTS, filename, payload).id
    seconds = time.perf_counter() - started
    status = _status(database, tenant_id, batch_id)
    if status is ImportStatus.PENDING:  # a queue is configured: run it here, timed
        started = time.perf_counter()
        with database.transaction(tenant_id) as session:
            process_import(session, batch_id)
        seconds += time.perf_counter() - started
    _expect_applied(database, tenant_id, batch_id)
    return Result(name, seconds, tenant_id=tenant_id)


def split_indexing(database: Any, tenant_id: int, result: Result) -> list[Result]:
    """The import without its follow-up indexing jobs, then the time until searchable."""
    from sqlalchemy import select

    from dinghuo.platform.jobs.models import JobRun

    with database.transaction(tenant_id) as session:
        runs = session.execute(
            select(JobRun.started_at, JobRun.finished_at).where(
                JobRun.name.endswith("reindex_products")
            )
        ).all()
    indexing = sum((end - start).total_seconds() for start, end in runs if start and end)
    return [
        Result(result.name, result.seconds - indexing),
        Result(f"{result.name} + search index", result.seconds, informational=True),
    ]


def bench_http(app: Any, name: str, filename: str, payload: bytes) -> Result:
    tenant_id, token = _tenant(app, f"http-{filename.replace('.', '-')}")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"http://http-{filename.replace('.', '-')}.localhost"
    started = time.perf_counter()
    response = client.post(
        "/api/v1/imports",
        base_url=base,
        headers=headers,
        data={"kind": "products", "file": (io.BytesIO(payload), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    state = client.get(f"/api/v1/imports/{response.json['id']}", base_url=base, headers=headers)
    seconds = time.perf_counter() - started
    assert state.json["status"] == "applied", state.json
    return Result(name, seconds, tenant_id=tenant_id)


def _status(database: Any, tenant_id: int, batch_id: int) -> Any:
    from dinghuo.core.imports.models import ImportBatch

    with database.transaction(tenant_id) as session:
        return session.get(ImportBatch, batch_id).status


def _expect_applied(database: Any, tenant_id: int, batch_id: int) -> None:
    from dinghuo.core.imports.models import ImportBatch, ImportStatus

    with database.transaction(tenant_id) as session:
        batch = session.get(ImportBatch, batch_id)
        assert batch.status is ImportStatus.APPLIED, (batch.status, batch.message)


def render(results: list[Result], floor: Result) -> str:
    lines = [
        f"{'side':<34}{'seconds':>10}{'rows/s':>12}{'of COPY':>10}  verdict",
        "-" * 78,
    ]
    for result in results:
        share = result.rows_per_s / floor.rows_per_s
        verdict = ""
        if result is not floor and not result.informational:
            ok = share >= TARGET_SHARE and result.seconds < TARGET_SECONDS
            verdict = "pass" if ok else "MISS"
        lines.append(
            f"{result.name:<34}{result.seconds:>10.2f}{result.rows_per_s:>12,.0f}"
            f"{share:>9.0%}  {verdict}"
        )
    return "\n".join(lines)


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run imports", description=__doc__)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    from dinghuo.app import create_app
    from dinghuo.migrate import upgrade

    print(f"load average (1, 5, 15 min): {_load()}; the figures are only as quiet as the machine")
    print(f"building {ROWS:,} rows as CSV and XLSX ...", flush=True)
    data = rows()
    payloads = {"products.csv": csv_bytes(data), "products.xlsx": xlsx_bytes(data)}
    for filename, payload in payloads.items():
        print(f"  {filename}: {len(payload) / 1e6:.1f} MB", flush=True)
    with _database(args.keep_db) as urls, tempfile.TemporaryDirectory() as instance:
        settings = {
            **{k: v for k, v in urls.items() if k != "admin_dsn"},
            "instance_dir": instance,
            "secret_key": "bench-secret-key",
            "autoload_plugins": False,
            "log_json": False,
            "redis_url": None,
        }
        from dinghuo.config import load_settings

        loaded = load_settings(settings)
        upgrade(loaded)
        app = create_app(loaded)
        results = [bench_copy(app, data, urls["admin_dsn"])]
        print(f"  {results[-1].name}: {results[-1].seconds:.2f}s", flush=True)
        for filename, payload in payloads.items():
            fmt = filename.rsplit(".", 1)[1].upper()
            for side, fn in (("service", bench_service), ("end to end", bench_http)):
                measured = fn(app, f"{fmt} {side}", filename, payload)
                for result in split_indexing(
                    app.extensions["dinghuo.db"], measured.tenant_id, measured
                ):
                    results.append(result)
                    print(f"  {result.name}: {result.seconds:.2f}s", flush=True)
        app.extensions["dinghuo.db"].dispose()
    print()
    print(render(results, results[0]))
    print(f"load average at the end (1, 5, 15 min): {_load()}")
    missed = any(
        r.rows_per_s / results[0].rows_per_s < TARGET_SHARE or r.seconds >= TARGET_SECONDS
        for r in results[1:]
        if not r.informational
    )
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
