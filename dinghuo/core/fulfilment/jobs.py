"""Fulfilment's periodic work: ask carriers where each tenant's open parcels are.

Every 30 minutes, per tenant (the scheduler enqueues one run per active
tenant, so one tenant's slow carrier never delays another's). Idempotent: a
step already stored is skipped, so a rerun after a crash adds nothing twice.
"""

from __future__ import annotations

from dinghuo.core.fulfilment.carriers import fetch_tracking
from dinghuo.platform.jobs.runner import JobContext
from dinghuo.platform.jobs.schedule import periodic


@periodic("*/30 * * * *", name="fulfilment.fetch_tracking")
def fetch_carrier_tracking(ctx: JobContext) -> dict[str, int]:
    """Store the new steps of every open shipment of the tenant's tracking carriers."""
    return fetch_tracking(ctx.session).as_dict()
