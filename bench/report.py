"""Rows of results, the printed table and the JSON copy under ``bench/results/``."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    """One timed window of one operation."""

    operation: str
    concurrency: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    server_cpu_ms_per_op: float
    db_cpu_ms_per_op: float
    client_cpu_ms_per_op: float
    completed: int
    errors: int
    non_2xx: int
    other_cpu_share: float
    duration_s: float


@dataclass
class Row:
    """A line of the table: the median of repeated measurements, maybe judged against a floor."""

    benchmark: str
    operation: str
    concurrency: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    server_cpu_ms_per_op: float
    db_cpu_ms_per_op: float
    client_cpu_ms_per_op: float
    errors: int
    other_cpu_share: float
    ratio: float | None = None
    is_floor: bool = False
    target: str = ""
    verdict: str = ""
    notes: list[str] = field(default_factory=list)
    runs: list[Measurement] = field(default_factory=list)


def median_row(benchmark: str, runs: list[Measurement]) -> Row:
    """Collapse repeats: the median of each figure (robust to one disturbed window)."""

    def med(name: str) -> float:
        return statistics.median(getattr(run, name) for run in runs)

    return Row(
        benchmark=benchmark,
        operation=runs[0].operation,
        concurrency=runs[0].concurrency,
        throughput=med("throughput"),
        p50_ms=med("p50_ms"),
        p95_ms=med("p95_ms"),
        p99_ms=med("p99_ms"),
        server_cpu_ms_per_op=med("server_cpu_ms_per_op"),
        db_cpu_ms_per_op=med("db_cpu_ms_per_op"),
        client_cpu_ms_per_op=med("client_cpu_ms_per_op"),
        errors=sum(run.errors + run.non_2xx for run in runs),
        other_cpu_share=max(run.other_cpu_share for run in runs),
        runs=runs,
    )


HEADERS = (
    ("operation", "<"),
    ("conc", ">"),
    ("req/s", ">"),
    ("p50 ms", ">"),
    ("p95 ms", ">"),
    ("p99 ms", ">"),
    ("CPU-ms/op", ">"),
    ("DB CPU-ms/op", ">"),
    ("vs floor", ">"),
    ("target", "<"),
    ("result", "<"),
)


def _cells(row: Row) -> list[str]:
    return [
        row.operation,
        str(row.concurrency),
        f"{row.throughput:,.0f}",
        f"{row.p50_ms:.2f}",
        f"{row.p95_ms:.2f}",
        f"{row.p99_ms:.2f}",
        f"{row.server_cpu_ms_per_op:.3f}",
        f"{row.db_cpu_ms_per_op:.3f}",
        "floor" if row.is_floor else "" if row.ratio is None else f"{row.ratio:.2f}x",
        row.target,
        row.verdict,
    ]


def render(rows: list[Row]) -> str:
    """A fixed-width table, one block per benchmark, notes underneath."""
    table = [[name for name, _ in HEADERS]] + [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]

    def fmt(line: list[str]) -> str:
        return "  ".join(
            cell.ljust(w) if align == "<" else cell.rjust(w)
            for cell, w, (_, align) in zip(line, widths, HEADERS, strict=True)
        ).rstrip()

    out = [fmt(table[0]), "  ".join("-" * w for w in widths)]
    previous = None
    for row, line in zip(rows, table[1:], strict=True):
        if previous is not None and row.benchmark != previous:
            out.append("")
        previous = row.benchmark
        out.append(fmt(line))
    notes = [
        f"  * {row.operation} (c={row.concurrency}): {note}" for row in rows for note in row.notes
    ]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def machine_info() -> dict[str, Any]:
    import psutil

    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "loadavg_at_end": os.getloadavg(),
    }


def write_json(
    command: str,
    options: dict[str, Any],
    extra: dict[str, Any],
    rows: list[Row],
    *,
    path: Path | None = None,
) -> Path:
    """Save the run under ``bench/results/`` (git-ignored), or over ``path``; return the path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    if path is None:
        path = RESULTS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{command}.json"
    payload = {
        "command": command,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "options": options,
        "machine": machine_info(),
        **extra,
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")
    return path
