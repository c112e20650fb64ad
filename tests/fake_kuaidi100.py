"""A local stand-in for Kuaidi100's query API, speaking its protocol on 127.0.0.1.

``POST /poll/query.do`` takes the form ``customer``, ``param`` (JSON with
``com``, ``num``) and ``sign`` (upper-case MD5 of ``param + key + customer``)
and answers as Kuaidi100 does: the steps newest first with the parcel's
``state``, or ``{"result": false, "returnCode": ...}`` for a wrong sign
(503) or an unknown parcel (500). ``parcels`` maps a waybill number to its
steps, oldest first, as ``(time, status, context, area)``.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CUSTOMER = "DH0001"
KEY = "kd100-test-key"
SALT = "push-salt"
STATE_OF = {"揽收": "1", "在途": "0", "派件": "5", "签收": "3", "疑难": "2"}


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


def result_of(num: str, com: str, steps: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    """A query answer (or a push's ``lastResult``) for ``steps``, oldest first."""
    newest_first = list(reversed(steps))
    return {
        "message": "ok",
        "nu": num,
        "ischeck": "1" if newest_first and newest_first[0][1] == "签收" else "0",
        "condition": "F00",
        "com": com,
        "status": "200",
        "state": STATE_OF.get(newest_first[0][1], "0") if newest_first else "0",
        "data": [
            {"time": t, "ftime": t, "context": context, "status": status, "areaName": area}
            for t, status, context, area in newest_first
        ],
    }


def push_body(num: str, steps: list[tuple[str, str, str, str]], *, salt: str = SALT) -> bytes:
    """A push as Kuaidi100 POSTs it: a form with ``param`` and ``sign`` = MD5(param + salt)."""
    param = json.dumps(
        {"status": "polling", "message": "", "lastResult": result_of(num, "shunfeng", steps)},
        ensure_ascii=False,
    )
    return urllib.parse.urlencode({"param": param, "sign": md5_upper(param + salt)}).encode()


class FakeKuaidi100:
    def __init__(self) -> None:
        self.parcels: dict[str, list[tuple[str, str, str, str]]] = {}
        self.queries: list[dict[str, Any]] = []
        self.url = ""

    def answer(self, form: dict[str, str]) -> dict[str, Any]:
        param = form.get("param", "")
        if form.get("customer") != CUSTOMER or form.get("sign") != md5_upper(
            param + KEY + CUSTOMER
        ):
            return {"result": False, "returnCode": "503", "message": "验证签名失败"}
        query = json.loads(param)
        self.queries.append(query)
        steps = self.parcels.get(query["num"])
        if steps is None:
            return {"result": False, "returnCode": "500", "message": "查询无结果，请隔段时间再查"}
        return result_of(query["num"], query["com"], steps)


@contextmanager
def running() -> Iterator[FakeKuaidi100]:
    """The fake on an ephemeral port of 127.0.0.1, for the length of the block."""
    fake = FakeKuaidi100()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            body = json.dumps(fake.answer(form), ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_port}/poll/query.do"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
