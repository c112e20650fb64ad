"""A bounded, closed-loop HTTP/1.1 load generator for loopback servers.

``concurrency`` keep-alive connections each send one request, wait for the
whole response, record its latency and send the next one (closed loop: the
offered load adapts to the server, nothing queues up unseen). A warm-up phase
is run and thrown away, then a fixed measurement window is timed.

One thread drives every connection through ``selectors`` (epoll), so client
threads never compete for the GIL and a latency sample is not inflated by a
client thread waiting for its turn. Requests are prebuilt bytes and responses
are parsed only as far as the status and ``Content-Length``: the client costs a
few tens of microseconds of CPU per request, measured and reported so a reader
can see how much of the shared machine it took.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RECV_SIZE = 262144


class ProtocolError(RuntimeError):
    """The server answered something this client does not parse (e.g. chunked bodies)."""


def build_request(path: str, headers: dict[str, str]) -> bytes:
    """A GET request as raw bytes, with keep-alive."""
    lines = [f"GET {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    lines += ["Connection: keep-alive", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def parse_response(buf: bytes | bytearray) -> tuple[int, int, bool] | None:
    """``(status, total_length, close)`` once ``buf`` holds a whole response, else None.

    Only ``Content-Length`` bodies are understood; a chunked body raises, since
    every server measured here sends a length.
    """
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buf[:head_end]).decode("latin-1")
    status_line, _, header_block = head.partition("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ProtocolError(f"bad status line {status_line!r}")
    status = int(parts[1])
    length = None
    close = parts[0] == "HTTP/1.0"
    for line in header_block.split("\r\n"):
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection":
            close = value.strip().lower() == "close"
        elif name == "transfer-encoding" and value.strip().lower() != "identity":
            raise ProtocolError("chunked responses are not supported by this client")
    if length is None:
        raise ProtocolError("response without Content-Length")
    total = head_end + 4 + length
    if len(buf) < total:
        return None
    return status, total, close


@dataclass
class LoadResult:
    """What one measurement window produced."""

    concurrency: int
    duration_s: float
    completed: int
    non_2xx: int
    errors: int
    latencies_s: list[float]
    client_cpu_s: float
    reconnects: int
    marks: dict[str, Any] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.completed / self.duration_s if self.duration_s else 0.0

    def percentile_ms(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000.0


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0-100) of ``samples``; 0.0 when empty."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), -(-len(ordered) * q // 100)))
    return ordered[int(rank) - 1]


class _Conn:
    __slots__ = ("sock", "buf", "sent_at")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.sent_at = 0.0


def _connect(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def run_load(
    *,
    host: str,
    port: int,
    request: bytes,
    concurrency: int,
    duration_s: float,
    warmup_s: float,
    on_measure_start: Callable[[], Any] | None = None,
    on_measure_end: Callable[[], Any] | None = None,
    request_timeout_s: float = 10.0,
) -> LoadResult:
    """Drive ``concurrency`` closed-loop connections; time only the window after warm-up.

    ``on_measure_start`` / ``on_measure_end`` run exactly at the window's edges
    (CPU snapshots of the servers); their return values land in ``marks``.
    Only responses that complete inside the window count. The run always ends:
    after the window, requests still in flight are abandoned and every socket
    is closed.
    """
    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise ValueError("the load generator only targets loopback addresses")
    selector = selectors.DefaultSelector()
    conns: list[_Conn] = []
    reconnects = 0

    def send(conn: _Conn) -> None:
        conn.sent_at = time.perf_counter()
        conn.sock.sendall(request)

    def reopen(conn: _Conn) -> None:
        nonlocal reconnects
        reconnects += 1
        selector.unregister(conn.sock)
        conn.sock.close()
        conn.sock = _connect(host, port)
        conn.buf.clear()
        selector.register(conn.sock, selectors.EVENT_READ, conn)

    latencies: list[float] = []
    completed = non_2xx = errors = 0
    marks: dict[str, Any] = {}
    start = time.perf_counter()
    measure_from = start + warmup_s
    measure_to = measure_from + duration_s
    measuring = False
    cpu_start = 0.0
    t0 = t1 = 0.0
    try:
        for _ in range(concurrency):
            conn = _Conn(_connect(host, port))
            selector.register(conn.sock, selectors.EVENT_READ, conn)
            conns.append(conn)
            send(conn)
        while True:
            now = time.perf_counter()
            if not measuring and now >= measure_from:
                measuring = True
                if on_measure_start:
                    marks["start"] = on_measure_start()
                cpu_start = time.process_time()
                t0 = time.perf_counter()
            if measuring and now >= measure_to:
                t1 = time.perf_counter()
                client_cpu = time.process_time() - cpu_start
                if on_measure_end:
                    marks["end"] = on_measure_end()
                break
            for key, _events in selector.select(timeout=0.02):
                conn = key.data
                try:
                    chunk = conn.sock.recv(RECV_SIZE)
                except OSError:
                    chunk = b""
                if not chunk:
                    errors += measuring
                    reopen(conn)
                    send(conn)
                    continue
                conn.buf += chunk
                parsed = parse_response(conn.buf)
                if parsed is None:
                    continue
                status, total, close = parsed
                done = time.perf_counter()
                if measuring:
                    latencies.append(done - conn.sent_at)
                    completed += 1
                    if not 200 <= status < 300:
                        non_2xx += 1
                del conn.buf[:total]
                if close:
                    reopen(conn)
                send(conn)
            stale = time.perf_counter() - request_timeout_s
            for conn in conns:
                if conn.sent_at < stale:
                    errors += measuring
                    reopen(conn)
                    send(conn)
    finally:
        for conn in conns:
            try:
                selector.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
            conn.sock.close()
        selector.close()
    return LoadResult(
        concurrency=concurrency,
        duration_s=t1 - t0,
        completed=completed,
        non_2xx=non_2xx,
        errors=errors,
        latencies_s=latencies,
        client_cpu_s=client_cpu,
        reconnects=reconnects,
        marks=marks,
    )


def fetch(host: str, port: int, request: bytes, timeout_s: float = 10.0) -> tuple[int, bytes]:
    """One request on a fresh connection: ``(status, body)`` (readiness and sanity checks)."""
    with _connect(host, port) as sock:
        sock.settimeout(timeout_s)
        sock.sendall(request)
        buf = bytearray()
        while True:
            chunk = sock.recv(RECV_SIZE)
            if not chunk:
                raise ProtocolError("connection closed before a whole response")
            buf += chunk
            parsed = parse_response(buf)
            if parsed is not None:
                status, total, _close = parsed
                head_end = buf.find(b"\r\n\r\n") + 4
                return status, bytes(buf[head_end:total])
