"""Progress of a running import, visible to readers while the import's transaction is open.

The import writes all its rows in one transaction, so progress written in
that transaction would be invisible until the end. :class:`ProgressTracker`
writes ``status``/``total_rows``/``processed_rows`` through a second,
short-lived session of its own instead, at most every
:data:`INTERVAL_SECONDS`. It only ever touches the batch row, which the
import's own transaction does not lock until its final update.

On SQLite there is one writer at a time: a second connection's write would
wait for the import's transaction, and committing it would make that
transaction's snapshot stale. There (the embedded mode, where jobs run
inline) the tracker stays silent and the final update carries the figures.
"""

from __future__ import annotations

import time
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import Engine

from dinghuo.core.imports.models import ImportBatch, ImportStatus
from dinghuo.db import TenantSession

INTERVAL_SECONDS = 0.5


class ProgressTracker:
    def __init__(self, session: TenantSession, import_id: int) -> None:
        self.import_id = import_id
        self.tenant_id = cast(int, session.tenant_id)
        bind = session.get_bind()
        self.engine: Engine | None = (
            cast(Engine, getattr(bind, "engine", bind))
            if bind.dialect.name == "postgresql"
            else None
        )
        self._last = 0.0

    def start(self) -> None:
        self._write(status=ImportStatus.RUNNING, processed_rows=0)

    def total(self, total_rows: int) -> None:
        self._write(total_rows=total_rows)

    def written(self, processed_rows: int) -> None:
        """Rows written so far; throttled, so calling it per chunk is cheap."""
        now = time.monotonic()
        if now - self._last >= INTERVAL_SECONDS:
            self._last = now
            self._write(processed_rows=processed_rows)

    def _write(self, **values: Any) -> None:
        if self.engine is None:
            return
        with TenantSession(bind=self.engine) as session:
            session.bind_tenant(self.tenant_id)
            session.execute(
                update(ImportBatch)
                .where(ImportBatch.id == self.import_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.commit()
