"""Starting, sampling and stopping the gunicorn servers under test.

Both Dinghuo and the raw floor run under the same gunicorn command line
(``gthread`` workers, same workers/threads, ``--no-control-socket``, log
level warning); only the WSGI target and the environment differ. CPU time is
read with psutil from the master and every worker, and from the PostgreSQL
backends serving the server's connections (found by ``application_name``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg

from bench.loadgen import fetch

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class CpuSnapshot:
    """CPU seconds (user + system) per process, at one instant."""

    at: float
    server: dict[int, float]
    database: dict[int, float]
    machine_busy_s: float


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out[pid] = times.user + times.system
    return out


def machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def cpu_delta(before: CpuSnapshot, after: CpuSnapshot) -> dict[str, float]:
    """Seconds of CPU used between two snapshots by the server, its DB backends and the machine.

    A process that appeared in between counts from zero (a pool opening a
    connection during the window); one that vanished is lost, which the
    harness avoids by warming up first.
    """

    def spent(a: dict[int, float], b: dict[int, float]) -> float:
        return sum(b[pid] - a.get(pid, 0.0) for pid in b)

    return {
        "server_s": spent(before.server, after.server),
        "database_s": spent(before.database, after.database),
        "machine_s": after.machine_busy_s - before.machine_busy_s,
        "wall_s": after.at - before.at,
    }


@dataclass
class Gunicorn:
    """One gunicorn serving ``target``; a context manager that always stops it."""

    name: str
    target: str
    env: dict[str, str]
    workers: int
    threads: int
    database: str
    admin_dsn: str
    application_name: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _admin: psycopg.Connection[Any] | None = None

    @property
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            self.target,
            "--no-control-socket",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--log-level",
            "warning",
            "--chdir",
            str(REPO),
        ]

    def __enter__(self) -> Gunicorn:
        handle, path = tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")
        self.log_path = Path(path)
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("DINGHUO_", "BENCH_"))
        }
        extra_path = os.environ.get("PYTHONPATH")
        env = {
            **inherited,
            **self.env,
            "PYTHONPATH": os.pathsep.join([str(REPO), *([extra_path] if extra_path else [])]),
        }
        self.process = subprocess.Popen(
            self.command, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO
        )
        os.close(handle)
        self._admin = psycopg.connect(self.admin_dsn, autocommit=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_ready(self, request: bytes, timeout_s: float = 60.0) -> tuple[int, bytes]:
        """Wait until the measured request answers 2xx; raise with the server log otherwise."""
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                status, body = fetch("127.0.0.1", self.port, request)
            except OSError as exc:
                last = exc
                time.sleep(0.2)
                continue
            if 200 <= status < 300:
                return status, body
            last = f"HTTP {status}: {body[:300]!r}"
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become ready ({last}); log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            master = psutil.Process(self.process.pid)
            return [master.pid, *(c.pid for c in master.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def snapshot(self) -> CpuSnapshot:
        assert self._admin is not None
        rows = self._admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (self.database, self.application_name),
        ).fetchall()
        return CpuSnapshot(
            at=time.perf_counter(),
            server=_cpu_seconds(self.pids()),
            database=_cpu_seconds([row[0] for row in rows]),
            machine_busy_s=machine_busy_seconds(),
        )

    def stop(self) -> None:
        """SIGTERM the master (graceful), SIGKILL the whole group if it lingers."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            self._remove_log()
            return
        children = []
        try:
            children = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            pass
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        for child in children:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        self._remove_log()

    def _remove_log(self) -> None:
        if self.log_path is not None and self.log_path.exists():
            self.log_path.unlink()
