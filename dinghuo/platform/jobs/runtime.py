"""What the job machinery of one app needs: its settings, its database, its Redis.

``enqueue`` is handed only a session, so the runtime is found from the
session's engine; this works inside and outside a Flask app context (web
requests, the CLI, the worker, tests).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from redis import Redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dinghuo.config import Settings
from dinghuo.db import Database
from dinghuo.platform.jobs.queue import redis_connection


@dataclass(eq=False)
class JobsRuntime:
    settings: Settings
    database: Database

    @property
    def redis(self) -> Redis | None:
        """The queue's Redis, or ``None`` when jobs run inline (no ``DINGHUO_REDIS_URL``).

        Read from the settings on every use, so a test can switch one app to
        inline mode by clearing ``settings.redis_url``.
        """
        url = self.settings.redis_url
        return redis_connection(url) if url else None

    @property
    def inline(self) -> bool:
        return not self.settings.redis_url


_runtimes: weakref.WeakKeyDictionary[Engine, JobsRuntime] = weakref.WeakKeyDictionary()


def register_runtime(runtime: JobsRuntime) -> None:
    _runtimes[runtime.database.engine] = runtime


def runtime_for(session: Session) -> JobsRuntime:
    """The runtime of the app whose database ``session`` talks to."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    runtime = _runtimes.get(engine) if engine is not None else None
    if runtime is None:
        raise RuntimeError(
            "background jobs are not set up for this database: "
            "create the app with dinghuo.app.create_app()"
        )
    return runtime
