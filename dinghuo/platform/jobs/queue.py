"""RQ on Redis: one queue per tenant, JSON payloads holding only ids.

Each tenant has its own RQ queue, ``dinghuo:t:<tenant_id>``; every queue that
ever received a job is a member of the Redis set :data:`ACTIVE_QUEUES_KEY`,
which the workers re-read on every loop to discover new tenants. An RQ job
carries ``[tenant_id, job_run_id]`` and nothing else: the runner re-loads the
job's function reference and arguments from its :class:`JobRun` row. The
JSON serializer is used throughout (never pickle).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from rq.utils import current_timestamp

QUEUE_PREFIX = "dinghuo:t:"
ACTIVE_QUEUES_KEY = "dinghuo:jobs:queues"
RUNNER = "dinghuo.platform.jobs.runner.perform"
SERIALIZER = JSONSerializer
MAX_BACKOFF_SECONDS = 3600
PROMOTE_BATCH = 1000


@functools.cache
def redis_connection(url: str) -> Redis:
    """One shared client (and connection pool) per Redis URL in this process."""
    return Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


def queue_name(tenant_id: int) -> str:
    return f"{QUEUE_PREFIX}{tenant_id}"


def tenant_queue(connection: Redis, tenant_id: int) -> Queue:
    """The RQ queue of one tenant (its failed registry lists that tenant's failures)."""
    return named_queue(connection, queue_name(tenant_id))


def named_queue(connection: Redis, name: str) -> Queue:
    return Queue(name, connection=connection, serializer=SERIALIZER)


def active_queue_names(connection: Redis) -> list[str]:
    """Every tenant queue known to the workers, sorted (round-robin order)."""
    names = (
        m.decode() if isinstance(m, bytes) else m for m in connection.smembers(ACTIVE_QUEUES_KEY)
    )
    return sorted(names, key=lambda name: (len(name), name))


def retry_intervals(max_retries: int, backoff_seconds: int) -> list[int]:
    """Exponential backoff: ``backoff, 2*backoff, 4*backoff, ...`` capped at an hour."""
    return [
        min(backoff_seconds * 2**attempt, MAX_BACKOFF_SECONDS) for attempt in range(max_retries)
    ]


@dataclass(frozen=True)
class Push:
    """A committed :class:`JobRun` to hand to its tenant's queue."""

    job_id: str
    tenant_id: int
    name: str
    max_retries: int
    run_at: dt.datetime | None = None
    replace: bool = False


def push(connection: Redis, pushes: Sequence[Push], *, timeout: int, backoff_seconds: int) -> None:
    """Enqueue (or schedule, when ``run_at`` is set) every push in one round trip.

    ``replace`` first forgets an earlier RQ job of the same id (a failed job
    being retried), so the new one starts with a fresh retry budget.
    """
    grouped: dict[int, list[Push]] = defaultdict(list)
    for item in pushes:
        grouped[item.tenant_id].append(item)
    with connection.pipeline() as pipe:
        pipe.multi()  # one MULTI/EXEC; RQ's enqueue_job expects the caller's transaction open
        for tenant_id, items in grouped.items():
            queue = tenant_queue(connection, tenant_id)
            pipe.sadd(ACTIVE_QUEUES_KEY, queue.name)
            for item in items:
                if item.replace:
                    queue.failed_job_registry.remove(item.job_id, pipeline=pipe)
                    pipe.delete(Job.key_for(item.job_id))
                job = queue.create_job(
                    RUNNER,
                    args=[tenant_id, item.job_id],
                    timeout=timeout,
                    result_ttl=0,
                    description=f"{item.name} (tenant {tenant_id})",
                    job_id=item.job_id,
                    meta={"tenant_id": tenant_id, "job": item.name},
                    retry=(
                        Retry(
                            max=item.max_retries,
                            interval=retry_intervals(item.max_retries, backoff_seconds),
                        )
                        if item.max_retries > 0
                        else None
                    ),
                )
                if item.run_at is not None:
                    queue.schedule_job(job, item.run_at, pipeline=pipe)
                else:
                    queue.enqueue_job(job, pipeline=pipe)
        pipe.execute()


def promote_due_jobs(
    connection: Redis, queue_names: Iterable[str], *, now: float | None = None
) -> int:
    """Move scheduled jobs (delays, retry backoffs) that are due onto their queues.

    This is RQ's scheduler step, done by the worker itself for a queue set that
    changes as tenants appear. Each job is claimed with ``ZREM`` before it is
    enqueued, so workers promoting at the same time never enqueue a job twice.
    """
    registries = [
        ScheduledJobRegistry(name, connection=connection, serializer=SERIALIZER)
        for name in queue_names
    ]
    if not registries:
        return 0
    now = current_timestamp() if now is None else now
    with connection.pipeline(transaction=False) as pipe:
        for registry in registries:
            pipe.zrangebyscore(registry.key, 0, now, start=0, num=PROMOTE_BATCH)
        due = pipe.execute()
    promoted = 0
    for registry, raw_ids in zip(registries, due, strict=True):
        if not raw_ids:
            continue
        job_ids = [i.decode() if isinstance(i, bytes) else i for i in raw_ids]
        with connection.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.zrem(registry.key, job_id)
            claimed = [job_id for job_id, won in zip(job_ids, pipe.execute(), strict=True) if won]
        if not claimed:
            continue
        queue = named_queue(connection, registry.name)
        jobs = Job.fetch_many(claimed, connection=connection, serializer=SERIALIZER)
        with connection.pipeline() as pipe:
            pipe.multi()
            for job in jobs:
                if job is not None:
                    queue.enqueue_job(job, pipeline=pipe)
                    promoted += 1
            pipe.execute()
    return promoted
