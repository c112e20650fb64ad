"""Reading job runs and retrying failed ones (the rules behind the jobs API)."""

from __future__ import annotations

from sqlalchemy import Select, select

from dinghuo.db import TenantSession
from dinghuo.errors import Conflict, NotFound
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.jobs.dispatch import dispatch_after_commit
from dinghuo.platform.jobs.models import JobRun, JobStatus


def jobs_query(*, status: JobStatus | None = None, name: str | None = None) -> Select[JobRun]:
    """The bound tenant's job runs, optionally of one status and one job function."""
    query = select(JobRun)
    if status is not None:
        query = query.where(JobRun.status == status)
    if name is not None:
        query = query.where(JobRun.name == name)
    return query


def get_job(session: TenantSession, job_id: str) -> JobRun:
    """One of the bound tenant's jobs; another tenant's id is as missing as a wrong one."""
    job = session.scalars(select(JobRun).where(JobRun.id == job_id)).one_or_none()
    if job is None:
        raise NotFound("No such job.")
    return job


def retry_job(session: TenantSession, actor: Principal | None, job_id: str) -> JobRun:
    """Queue a failed job again, with a fresh retry budget, once this transaction commits."""
    job = get_job(session, job_id)
    if job.status != JobStatus.FAILED:
        raise Conflict(f"Only a failed job can be retried; this one is {job.status.value}.")
    previous_error = job.error
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.error = None
    job.result = None
    job.run_at = None
    job.started_at = None
    job.finished_at = None
    record(
        session,
        actor,
        "job.retried",
        "job",
        job.id,
        {"name": job.name, "previous_error": previous_error},
    )
    dispatch_after_commit(session, job, replace=True)
    return job
