"""Background entry points of the outbox: dispatch after commit, and the sweep.

``emit`` enqueues :func:`dispatch_events` once per transaction in which a
plugin of the tenant listens; the periodic :func:`sweep_outbox` runs the same
dispatch for every active tenant each minute. The sweep is what makes the
outbox safe: an event committed while its dispatch job was lost (process
killed after commit, Redis unreachable, the job failing for good), or one
waiting for a retry, is picked up within the minute.
"""

from __future__ import annotations

from typing import Any

from dinghuo.db import TenantSession
from dinghuo.platform.events.service import dispatch_pending
from dinghuo.platform.jobs import JobContext
from dinghuo.platform.jobs.schedule import register_periodic
from dinghuo.plugins.manager import host_for

SWEEP_CRON = "* * * * *"


def dispatch_events(ctx: JobContext) -> dict[str, Any]:
    """Deliver the tenant's due events to its plugins."""
    return _dispatch(ctx)


def sweep_outbox(ctx: JobContext) -> dict[str, Any]:
    """Deliver whatever is still pending: events whose dispatch was lost, due retries."""
    return _dispatch(ctx)


register_periodic("events.sweep", SWEEP_CRON, sweep_outbox)


def _dispatch(ctx: JobContext) -> dict[str, Any]:
    # The runner owns ctx.session (committed once, after the job); the
    # dispatcher commits event by event, so it works on a session of its own.
    session = TenantSession(bind=ctx.session.get_bind(), expire_on_commit=False)
    session.bind_tenant(ctx.tenant_id)
    try:
        report = dispatch_pending(session, host_for(ctx.session))
    finally:
        session.close()
    if report.more:
        ctx.enqueue(dispatch_events)
    return {"delivered": report.delivered, "failed": report.failed, "more": report.more}
