"""The worker: every tenant's queue, served in turn, by one long-lived process.

:class:`TenantWorker` is an RQ ``SimpleWorker`` (jobs run in the worker's own
process, inside the app context pushed once: no fork and no app built per
job) whose queue list is the Redis set of tenant queues, re-read on every
loop. After taking a job from a tenant's queue it moves that queue to the
back of the line, so each non-empty tenant queue gets one job per round:
a tenant with a large backlog delays another tenant's job by about one job.
Every second it also moves due scheduled jobs (delays and retry backoffs) of
all tenant queues onto their queues, which is what RQ's ``--with-scheduler``
does for a fixed queue list.
"""

from __future__ import annotations

import bisect
import signal
import threading
import time
from typing import Any

import redis.exceptions
from flask import Flask
from redis import Redis
from rq import Queue
from rq.exceptions import DequeueTimeout
from rq.job import Job
from rq.worker import SimpleWorker, WorkerStatus

from dinghuo.platform.jobs.queue import (
    SERIALIZER,
    active_queue_names,
    named_queue,
    promote_due_jobs,
)
from dinghuo.platform.jobs.runtime import JobsRuntime

POLL_SECONDS = 1
MAX_RECONNECT_WAIT = 60.0


def _queue_order(name: str) -> tuple[int, str]:
    return (len(name), name)


class TenantWorker(SimpleWorker):
    """Serves every tenant queue, round robin, discovering new tenants as they come."""

    def __init__(
        self, connection: Redis, *, name: str | None = None, listen_for_commands: bool = True
    ) -> None:
        super().__init__([], name=name, connection=connection, serializer=SERIALIZER)
        self._listen_for_commands = listen_for_commands
        self._last_served: str | None = None
        self._promoted_at = 0.0
        self.refresh_queues()

    def subscribe(self) -> None:
        """Listen for RQ commands (``rq.command``), unless this is a short burst run.

        The listening thread takes up to a second to stop, which a burst run
        (CI, tests) would pay every time for commands it never gets.
        """
        if self._listen_for_commands:
            super().subscribe()

    def refresh_queues(self) -> None:
        """Re-read the tenant queues and line them up after the last one served."""
        names = active_queue_names(self.connection)
        if names != [queue.name for queue in self.queues]:
            known = {queue.name: queue for queue in self.queues}
            self.queues = [known.get(name) or named_queue(self.connection, name) for name in names]
        self._line_up()

    def _line_up(self) -> None:
        if self._last_served is None:
            self._ordered_queues = list(self.queues)
            return
        keys = [_queue_order(queue.name) for queue in self.queues]
        start = bisect.bisect_right(keys, _queue_order(self._last_served))
        self._ordered_queues = self.queues[start:] + self.queues[:start]

    def reorder_queues(self, reference_queue: Queue) -> None:
        self._last_served = reference_queue.name
        self._line_up()

    def promote_scheduled(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._promoted_at >= POLL_SECONDS:
            self._promoted_at = now
            promote_due_jobs(self.connection, [queue.name for queue in self.queues])

    def dequeue_job_and_maintain_ttl(
        self, timeout: int | None, max_idle_time: int | None = None
    ) -> tuple[Job, Queue] | None:
        """Take the next job, round robin; ``timeout=None`` (burst) returns ``None`` when idle.

        Blocking waits last at most a second, so new tenant queues and due
        scheduled jobs are picked up while idle.
        """
        self.set_state(WorkerStatus.IDLE)
        self.procline("Listening on every tenant queue")
        idle_since = time.monotonic()
        reconnect_wait = 1.0
        while True:
            try:
                self.heartbeat()
                if self.should_run_maintenance_tasks:
                    self.run_maintenance_tasks()
                self.refresh_queues()
                self.promote_scheduled()
                if self.queues:
                    result = self.queue_class.dequeue_any(
                        self._ordered_queues,
                        None if timeout is None else POLL_SECONDS,
                        connection=self.connection,
                        job_class=self.job_class,
                        serializer=self.serializer,
                        death_penalty_class=self.death_penalty_class,
                    )
                    if result is not None:
                        job, queue = result
                        self.reorder_queues(queue)
                        self.log.info(
                            "Worker %s: %s: %s (%s)", self.name, queue.name, job.description, job.id
                        )
                        return result
                if timeout is None:
                    return None
                if not self.queues:
                    time.sleep(POLL_SECONDS)
            except DequeueTimeout:
                pass
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
                self.log.error(
                    "Worker %s: Redis unreachable (%s); retrying in %.0fs",
                    self.name,
                    error,
                    reconnect_wait,
                )
                time.sleep(reconnect_wait)
                reconnect_wait = min(reconnect_wait * 2, MAX_RECONNECT_WAIT)
                continue
            reconnect_wait = 1.0
            if max_idle_time is not None and time.monotonic() - idle_since >= max_idle_time:
                return None


def run_worker(
    app: Flask, burst: bool = False, name: str | None = None, max_jobs: int | None = None
) -> bool:
    """Run jobs of every tenant until stopped (SIGTERM/SIGINT finish the current job first).

    ``burst`` runs what is queued or due now, then returns; ``max_jobs`` stops
    after that many jobs. Returns whether any job ran.
    """
    runtime: JobsRuntime = app.extensions["dinghuo.jobs"]
    settings = runtime.settings
    if not settings.redis_url:
        raise RuntimeError(
            "DINGHUO_REDIS_URL is not set: jobs run inline where they are enqueued; "
            "a worker needs Redis"
        )
    # A client of its own: RQ raises the socket timeout of the client it is given.
    connection = Redis.from_url(settings.redis_url)
    saved = _signal_handlers()
    try:
        with app.app_context():
            worker = TenantWorker(connection, name=name, listen_for_commands=not burst)
            worker.promote_scheduled(force=True)
            return worker.work(burst=burst, max_jobs=max_jobs, logging_level=settings.log_level)
    finally:
        _restore_signal_handlers(saved)
        connection.close()


def _signal_handlers() -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore_signal_handlers(saved: dict[int, Any]) -> None:
    for sig, handler in saved.items():
        signal.signal(sig, handler)
