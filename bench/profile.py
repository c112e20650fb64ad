"""Where a Dinghuo request spends its time: cProfile over the measured request, in-process.

The app is built exactly as gunicorn builds it (same target, same ``DINGHUO_*``
settings, same seeded database, the app role under RLS) and called straight
through WSGI, so the profile shows the framework, ORM and driver, not the
server or the client.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import os
import pstats
import time
from typing import Any

from werkzeug.test import EnvironBuilder

from bench.harness import Environment
from bench.report import RESULTS_DIR

PACKAGES = (
    "flask_smorest",
    "flask_limiter",
    "flask",
    "werkzeug",
    "webargs",
    "marshmallow",
    "sqlalchemy",
    "psycopg",
    "dinghuo",
    "json",
    "logging",
)


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (exclusive) time summed by the top-level package each function lives in.

    Waiting for PostgreSQL shows up under psycopg (its ``wait`` loop).
    """
    totals: dict[str, float] = {}
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        parts = filename.replace("\\", "/").split("/")
        package = next((p for p in PACKAGES if p in parts), "other")
        totals[package] = totals.get(package, 0.0) + row[2]
    return sorted(totals.items(), key=lambda item: -item[1])


def load_target(target: str) -> Any:
    """The WSGI app named like gunicorn names it: ``module:app`` or ``module:factory()``."""
    module_name, _, expression = target.partition(":")
    module = importlib.import_module(module_name)
    if expression.endswith("()"):
        return getattr(module, expression[:-2])()
    return getattr(module, expression or "application")


def profile(env: Environment, requests: int, top: int) -> str:
    """Run ``requests`` requests under cProfile; return a report (and save the .prof)."""
    options = env.options
    os.environ.update(env.dinghuo_env(options.database, "profile"))
    app = load_target(options.dinghuo_target)
    environ = EnvironBuilder(
        path=options.path.split("?")[0],
        query_string=options.path.partition("?")[2],
        headers={
            "Host": f"{env.seeded.tenant_slug}.localhost",
            "Authorization": f"Bearer {env.seeded.token}",
            "Accept": "application/json",
        },
    ).get_environ()

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"the profiled request answered {status}")

    def call() -> None:
        body = app(dict(environ, **{"wsgi.input": io.BytesIO()}), start_response)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for _ in range(200):
        call()
    started = time.perf_counter()
    for _ in range(requests):
        call()
    plain_ms = (time.perf_counter() - started) * 1000 / requests

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    app.extensions["dinghuo.db"].dispose()

    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-profile.prof"
    profiler.dump_stats(path)
    out = io.StringIO()
    out.write(
        f"{requests} requests to {options.path} in-process: {plain_ms:.3f} ms wall each "
        f"without the profiler\nprofile saved to {path} (open with `python -m pstats` or snakeviz)\n"
    )
    stats = pstats.Stats(profiler, stream=out)
    out.write("\n== own time by package (ms per request, profiled) ==\n")
    for package, seconds in by_package(stats):
        out.write(f"  {package:<16} {seconds * 1000 / requests:7.3f}\n")
    stats.strip_dirs()
    out.write("\n== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(top)
    out.write("\n== by own time ==\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()
