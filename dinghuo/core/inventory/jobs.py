"""Stock's periodic work: recompute reorder points nightly and re-evaluate low-stock alerts.

Runs at 02:30 in each tenant's own time zone, after the day's shipments are
in, so the demand window always ends with a completed day. Idempotent: a
rerun computes the same points from the same ledger.
"""

from __future__ import annotations

from dinghuo.core.inventory.reorder import compute_policies
from dinghuo.platform.jobs.runner import JobContext
from dinghuo.platform.jobs.schedule import periodic


@periodic("30 2 * * *", name="inventory.reorder_points")
def recompute_reorder_points(ctx: JobContext) -> dict[str, int]:
    """Recompute every stocked SKU's reorder point from demand, then open or resolve alerts."""
    return {"policies": compute_policies(ctx.session)}
