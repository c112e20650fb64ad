"""Job runs: the tenant-scoped record of every background job."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Enum, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dinghuo.db import Base, TenantScoped, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    STARTED = "started"
    SCHEDULED = "scheduled"
    FINISHED = "finished"
    FAILED = "failed"


class JobRun(TenantScoped, Base):
    """One enqueued job, readable by its tenant whatever the queue backend.

    The row is written in the enqueuing transaction, so the job exists exactly
    when the work that asked for it was committed. ``name`` is the job
    function's ``module:qualname``; ``args`` holds ``{"args": [...],
    "kwargs": {...}}`` (JSON values only: the runner re-loads objects by id).
    ``run_at`` is set while the job waits for a delay or a retry backoff.
    ``dedup_key`` makes an enqueue idempotent per tenant: the scheduler uses it
    so two schedulers cannot both enqueue the same periodic slot.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        Index(None, "tenant_id", "status", "created_at"),
        Index(None, "tenant_id", "name", "created_at"),
        UniqueConstraint("tenant_id", "dedup_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=20), default=JobStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_retries: Mapped[int] = mapped_column(default=3)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None]
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    run_at: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
