"""Collapsing repeats, CPU deltas and the printed table."""

from __future__ import annotations

from bench.report import Measurement, median_row, render
from bench.server import CpuSnapshot, cpu_delta


def _m(throughput: float, p99: float, **kw: float) -> Measurement:
    base = dict(
        operation="op",
        concurrency=8,
        throughput=throughput,
        p50_ms=1.0,
        p95_ms=2.0,
        p99_ms=p99,
        server_cpu_ms_per_op=1.0,
        db_cpu_ms_per_op=0.5,
        client_cpu_ms_per_op=0.1,
        completed=100,
        errors=0,
        non_2xx=0,
        other_cpu_share=0.0,
        duration_s=10.0,
    )
    return Measurement(**{**base, **kw})


def test_median_row_takes_each_figures_median_and_sums_errors() -> None:
    row = median_row("api", [_m(100, 9.0), _m(300, 3.0, errors=2), _m(200, 5.0, non_2xx=1)])
    assert row.throughput == 200
    assert row.p99_ms == 5.0
    assert row.errors == 3
    assert len(row.runs) == 3


def test_cpu_delta_counts_new_processes_from_zero() -> None:
    before = CpuSnapshot(at=1.0, server={1: 2.0, 2: 1.0}, database={9: 0.5}, machine_busy_s=10.0)
    after = CpuSnapshot(
        at=3.0, server={1: 2.5, 2: 1.5, 3: 0.25}, database={9: 0.75}, machine_busy_s=13.0
    )
    assert cpu_delta(before, after) == {
        "server_s": 1.25,
        "database_s": 0.25,
        "machine_s": 3.0,
        "wall_s": 2.0,
    }


def test_table_marks_the_floor_and_the_verdict() -> None:
    measured = median_row("api", [_m(100, 9.0)])
    floor = median_row("api", [_m(400, 3.0)])
    measured.ratio, measured.target, measured.verdict = 0.25, ">= 0.35x", "FAIL"
    floor.is_floor = True
    lines = render([measured, floor]).splitlines()
    assert lines[0].split()[:3] == ["operation", "conc", "req/s"]
    assert lines[2].endswith("0.25x  >= 0.35x  FAIL")
    assert lines[3].rstrip().endswith("floor")
