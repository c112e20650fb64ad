"""Browser tests: the app served on a loopback port, driven by Debian's Chromium.

The server runs in a thread against the same test database as the ``app``
fixture, so data seeded in a test is what the browser sees. Chromium resolves
``*.localhost`` to the loopback address, so ``http://acme.localhost:<port>``
reaches tenant acme.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL: each test names the tenant host it browses.

    Replaces pytest-playwright's fallback fixture, an instance method that
    pytest 9 deprecates (and warnings are errors here).
    """
    return None


@dataclass(frozen=True)
class LiveServer:
    port: int

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="session")
def live_server(_app: Flask) -> Iterator[LiveServer]:
    """The test app on 127.0.0.1 and a free port, for the whole session."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, _app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
