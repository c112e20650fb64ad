"""The job machinery's own periodic work: forgetting old job runs.

Every job leaves a row, and periodic jobs leave one per slot per tenant (a
sweep every minute is 1,440 rows a day), so finished and failed runs are
deleted once :data:`RETENTION` has passed. The newest run of each periodic
job is kept whatever its age: its ``dedup_key`` is what stops a restarted
scheduler from enqueuing that slot again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, or_, select
from sqlalchemy.orm import aliased

from dinghuo.db import utcnow
from dinghuo.platform.jobs.models import JobRun, JobStatus
from dinghuo.platform.jobs.runner import JobContext
from dinghuo.platform.jobs.schedule import periodic

RETENTION = dt.timedelta(days=30)


@periodic("23 * * * *", name="jobs.prune")
def prune_job_runs(ctx: JobContext) -> dict[str, int]:
    """Delete the tenant's finished and failed runs older than the retention."""
    newer = aliased(JobRun)
    superseded_slot = exists(
        select(newer.id).where(
            newer.name == JobRun.name,
            newer.dedup_key.is_not(None),
            newer.created_at > JobRun.created_at,
        )
    )
    result = ctx.session.execute(
        delete(JobRun)
        .where(
            JobRun.status.in_((JobStatus.FINISHED, JobStatus.FAILED)),
            JobRun.finished_at < utcnow() - RETENTION,
            or_(JobRun.dedup_key.is_(None), superseded_slot),
        )
        .execution_options(synchronize_session=False)
    )
    return {"deleted": cast(CursorResult[Any], result).rowcount}
