"""``python -m bench [api|rls|jobs|imports|all|profile]``: run the benchmarks and print the table.

See bench/README.md for what each figure means and the targets.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bench.harness import (
    NOISY_SHARE,
    Environment,
    Options,
    bench_api,
    bench_rls,
    environment,
    machine_busy_share,
    summary,
)
from bench.report import Row, render, write_json

BENCHMARKS: dict[str, Callable[[Environment], list[Row]]] = {"api": bench_api, "rls": bench_rls}


def _options(args: argparse.Namespace) -> Options:
    return Options(
        duration=args.duration,
        warmup=args.warmup,
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        workers=args.workers,
        threads=args.threads,
        repeats=args.repeats,
        rls_repeats=args.rls_repeats,
        limit=args.limit,
        sql_seconds=args.sql_seconds,
        database=args.database,
        redis_url=args.redis_url,
        keep_db=args.keep_db,
        dinghuo_target=args.dinghuo_target,
    )


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    d = Options()
    common.add_argument(
        "--duration", type=float, default=d.duration, help="seconds timed per window"
    )
    common.add_argument(
        "--warmup", type=float, default=d.warmup, help="seconds of warm-up per window"
    )
    common.add_argument(
        "--concurrency", default=",".join(map(str, d.concurrency)), help="connections, e.g. 1,8"
    )
    common.add_argument("--workers", type=int, default=d.workers, help="gunicorn workers")
    common.add_argument(
        "--threads", type=int, default=d.threads, help="gunicorn threads per worker"
    )
    common.add_argument("--repeats", type=int, default=d.repeats, help="windows per side (api)")
    common.add_argument(
        "--rls-repeats", type=int, default=d.rls_repeats, help="windows per side (rls)"
    )
    common.add_argument("--limit", type=int, default=d.limit, help="page size of the measured list")
    common.add_argument(
        "--sql-seconds", type=float, default=d.sql_seconds, help="SQL-only time per side"
    )
    common.add_argument("--database", default=d.database, help="bench database name (recreated)")
    common.add_argument("--redis-url", default=d.redis_url)
    common.add_argument(
        "--keep-db", action="store_true", help="keep the bench databases afterwards"
    )
    common.add_argument(
        "--dinghuo-target",
        default=d.dinghuo_target,
        help="gunicorn WSGI target of the Dinghuo side (try a candidate change)",
    )
    common.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("api", parents=[common], help="Dinghuo vs a raw psycopg WSGI floor")
    sub.add_parser("rls", parents=[common], help="RLS on vs off, over HTTP and SQL only")
    sub.add_parser("all", parents=[common], help="api, rls, then jobs")
    search = sub.add_parser(
        "search", parents=[common], help="GET /catalog/search vs its own SQL on psycopg"
    )
    search.set_defaults(concurrency="8,50", repeats=1, warmup=2.0, duration=8.0)
    prof = sub.add_parser("profile", parents=[common], help="cProfile of the measured request")
    prof.add_argument("--requests", type=int, default=2000)
    prof.add_argument("--top", type=int, default=30)
    jobs = sub.add_parser("jobs", help="the jobs benchmark (bench/jobs.py); arguments pass through")
    jobs.add_argument("rest", nargs=argparse.REMAINDER)
    imports = sub.add_parser(
        "imports", help="100,000-SKU CSV/XLSX import vs COPY (bench/imports.py)"
    )
    imports.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def run_jobs(argv: list[str]) -> int | None:
    """Delegate to ``bench.jobs.main``; None when that module does not exist yet."""
    try:
        module = importlib.import_module("bench.jobs")
    except ModuleNotFoundError as exc:
        if exc.name == "bench.jobs":
            return None
        raise
    return module.main(argv)


def _stop_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if args.command == "imports":
        from bench.imports import main as run_imports

        return run_imports(args.rest)
    if args.command == "jobs":
        code = run_jobs(args.rest)
        if code is None:
            print("bench/jobs.py is not there yet (the jobs engineer provides it)", file=sys.stderr)
            return 2
        return code

    options = _options(args)
    started = time.perf_counter()
    if args.command == "profile":
        from bench.profile import profile

        with environment(options, with_norls=False) as env:
            print(profile(env, args.requests, args.top))
        return 0

    if args.command == "search":
        from bench.search import bench_search

        return _report(args, options, bench_search(options), started)

    busy = machine_busy_share()
    if busy > NOISY_SHARE:
        print(
            f"warning: the machine is already {busy:.0%} busy before the bench starts; "
            "throughput will be understated and verdicts marked (noisy)",
            flush=True,
        )
    names = ["api", "rls"] if args.command == "all" else [args.command]
    rows: list[Row] = []
    with environment(options, with_norls="rls" in names) as env:
        for name in names:
            rows += BENCHMARKS[name](env)
        seeded = {"tenant": env.seeded.tenant_slug, "users_per_tenant": env.seeded.users}
    print()
    print(render(rows))
    verdicts = summary(rows)
    extra: dict[str, Any] = {
        "seed": seeded,
        "summary": verdicts,
        "machine_busy_before": busy,
        "elapsed_s": time.perf_counter() - started,
    }
    path = write_json(args.command, asdict(options), extra, rows)
    jobs_ok = True
    if args.command == "all":
        extra["jobs"] = _jobs_inside_all(options)
        jobs_ok = extra["jobs"] in ("exit 0", "skipped: bench/jobs.py is not there yet")
        extra["elapsed_s"] = time.perf_counter() - started
        path = write_json(args.command, asdict(options), extra, rows, path=path)
    print(f"\n{extra['elapsed_s']:.0f}s in all; JSON copy: {path}")
    failed = not verdicts["all_pass"] or not jobs_ok
    return 1 if args.strict and failed else 0


def _report(args: argparse.Namespace, options: Options, rows: list[Row], started: float) -> int:
    """Print and save the rows of a benchmark run on its own (``search``)."""
    print()
    print(render(rows))
    verdicts = summary(rows)
    extra = {"summary": verdicts, "elapsed_s": time.perf_counter() - started}
    path = write_json(args.command, asdict(options), extra, rows)
    print(f"\n{extra['elapsed_s']:.0f}s in all; JSON copy: {path}")
    return 1 if args.strict and not verdicts["all_pass"] else 0


def _jobs_inside_all(options: Options) -> str:
    """Run the jobs benchmark after ours, on our Redis database; its failure spoils nothing else."""
    print("\njobs: delegating to bench/jobs.py", flush=True)
    try:
        code = run_jobs(["--redis-url", options.redis_url])
    except Exception as exc:  # noqa: BLE001 - reported, the other results stand
        outcome = f"error: {type(exc).__name__}: {exc}"
    else:
        outcome = "skipped: bench/jobs.py is not there yet" if code is None else f"exit {code}"
    print(f"jobs: {outcome}", flush=True)
    return outcome


if __name__ == "__main__":
    sys.exit(main())
