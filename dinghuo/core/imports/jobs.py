"""The background job that runs an uploaded import (see :mod:`dinghuo.core.imports.service`)."""

from __future__ import annotations

from typing import Any

from dinghuo.core.imports.service import process_import
from dinghuo.platform.jobs import JobContext


def run_import(ctx: JobContext, import_id: int) -> dict[str, Any] | None:
    """Validate and apply one import; safe to run again (a finished batch is left alone)."""
    return process_import(ctx.session, import_id)
