"""The load generator: parsing, percentiles, and a bounded closed loop against a local server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.loadgen import ProtocolError, build_request, fetch, parse_response, percentile, run_load


def test_parse_response_waits_for_the_whole_body() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    assert parse_response(head) is None
    assert parse_response(head + b"abc") is None
    assert parse_response(head + b"abcde") == (200, len(head) + 5, False)


def test_parse_response_reads_connection_close_and_http10() -> None:
    assert parse_response(b"HTTP/1.1 404 X\r\nconnection: close\r\ncontent-length: 0\r\n\r\n") == (
        404,
        56,
        True,
    )
    assert parse_response(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")[2] is True


def test_parse_response_refuses_bodies_without_a_length() -> None:
    with pytest.raises(ProtocolError):
        parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(ProtocolError):
        parse_response(b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\n")


def test_percentile_is_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b'{"ok":true}'
        status = 200 if self.path == "/ok" else 500
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """The client abandons in-flight requests when its window ends: not an error."""


@pytest.fixture
def server() -> Iterator[int]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_closed_loop_counts_only_the_timed_window_and_stops_on_time(server: int) -> None:
    marks: list[str] = []
    started = time.perf_counter()
    result = run_load(
        host="127.0.0.1",
        port=server,
        request=build_request("/ok", {"Host": "x.localhost"}),
        concurrency=3,
        duration_s=0.5,
        warmup_s=0.2,
        on_measure_start=lambda: marks.append("start"),
        on_measure_end=lambda: marks.append("end"),
    )
    assert time.perf_counter() - started < 3
    assert marks == ["start", "end"]
    assert result.completed > 10
    assert len(result.latencies_s) == result.completed
    assert result.non_2xx == result.errors == 0
    assert 0.45 < result.duration_s < 0.7
    assert result.throughput == pytest.approx(result.completed / result.duration_s)


def test_non_2xx_answers_are_counted_apart(server: int) -> None:
    result = run_load(
        host="127.0.0.1",
        port=server,
        request=build_request("/broken", {"Host": "x.localhost"}),
        concurrency=1,
        duration_s=0.2,
        warmup_s=0.0,
    )
    assert result.completed > 0
    assert result.non_2xx == result.completed


def test_fetch_returns_status_and_body(server: int) -> None:
    assert fetch("127.0.0.1", server, build_request("/ok", {"Host": "x"})) == (200, b'{"ok":true}')


def test_only_loopback_is_a_target() -> None:
    with pytest.raises(ValueError):
        run_load(
            host="10.0.0.1",
            port=80,
            request=b"",
            concurrency=1,
            duration_s=0.1,
            warmup_s=0.0,
        )
