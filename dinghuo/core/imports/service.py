"""Spreadsheet imports: accept a file, check every row, apply all rows or none.

:func:`start_import` checks what can be checked at once (permission, file
type and size, encoding, header columns: mistakes of the whole file, answered
with :class:`ValidationFailed` on ``file`` and nothing stored), saves the file
and queues :func:`dinghuo.core.imports.jobs.run_import`. The job
(:func:`process_import`) reads every row, validates them all in memory, and
then either

- finds errors: nothing is written, the batch is ``rejected`` and its report
  (row as numbered in the spreadsheet, column as headed in the file, value,
  reason) is stored for download as CSV or XLSX; or
- finds none: the handler of the kind writes everything in the job's one
  transaction and the batch becomes ``applied`` in that same transaction, so
  a retried job never applies a batch twice.

Progress (``processed_rows`` of ``total_rows``) is written by
:class:`ProgressTracker` in transactions of its own, so the console sees it
while the import's transaction is still open.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import CursorResult, Select, select, update

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.imports.columns import map_headers
from dinghuo.core.imports.handlers import handler_for
from dinghuo.core.imports.handlers.base import ImportContext, Report, RowError, keyed_rows
from dinghuo.core.imports.models import ImportBatch, ImportKind, ImportStatus
from dinghuo.core.imports.progress import ProgressTracker
from dinghuo.core.imports.readers import read_table
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import principal_for_user
from dinghuo.platform.jobs import enqueue
from dinghuo.platform.jobs.runtime import runtime_for
from dinghuo.platform.storage import Storage, StoredFileNotFound, storage_for

logger = logging.getLogger("dinghuo.imports")

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
EXTENSIONS = (".csv", ".xlsx")
FINAL = (ImportStatus.APPLIED, ImportStatus.REJECTED, ImportStatus.FAILED)
REPORT_HEADERS = ("row", "column", "value", "reason")

PERMISSIONS = {
    ImportKind.PRODUCTS: Permission.CATALOG_MANAGE,
    ImportKind.PRICES: Permission.PRICES_MANAGE,
    ImportKind.STOCK: Permission.INVENTORY_MANAGE,
    ImportKind.CHANNEL_STOCK: Permission.CHANNEL_STOCK_REPORT,
}

SORTS = {"created_at": ImportBatch.created_at, "id": ImportBatch.id}


def storage(session: TenantSession) -> Storage:
    """The file store of the app this session belongs to (no Flask needed)."""
    return storage_for(runtime_for(session).settings)


# --- authorisation -------------------------------------------------------------------------


def parse_kind(value: Any) -> ImportKind:
    try:
        return ImportKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in ImportKind)
        raise ValidationFailed.field("kind", f"Use one of: {allowed}.") from None


def may_import(actor: Principal | None, kind: ImportKind) -> bool:
    return actor is None or actor.can(PERMISSIONS[kind])


def _authorise(actor: Principal | None, kind: ImportKind, dealer_id: int | None) -> int | None:
    """The dealer the import is for (channel stock), after checking the actor may run it."""
    if not may_import(actor, kind):
        raise PermissionDenied(f"This needs the permission: {PERMISSIONS[kind].value}.")
    if kind is not ImportKind.CHANNEL_STOCK:
        if dealer_id is not None:
            raise ValidationFailed.field("dealer_id", "Only channel-stock imports name a dealer.")
        return None
    if actor is not None:
        if actor.dealer_id is None:
            raise PermissionDenied("Only a dealer's users report its stock.")
        if dealer_id is not None and dealer_id != actor.dealer_id:
            raise NotFound("No such dealer.")
        return actor.dealer_id
    if dealer_id is None:
        raise ValidationFailed.field("dealer_id", "Required for a channel-stock import.")
    return dealer_id


def _visible(actor: Principal | None) -> Any:
    """A criterion on ImportBatch: the batches ``actor`` may see."""
    if actor is None:
        return ImportBatch.id.is_not(None)
    kinds = [kind for kind in ImportKind if kind is not ImportKind.CHANNEL_STOCK]
    staff_kinds = [kind for kind in kinds if actor.can(PERMISSIONS[kind])]
    if actor.dealer_id is not None:
        return (ImportBatch.kind == ImportKind.CHANNEL_STOCK) & (
            ImportBatch.dealer_id == actor.dealer_id
        )
    if not staff_kinds:
        raise PermissionDenied("You may not run imports.")
    return ImportBatch.kind.in_(staff_kinds)


# --- starting ------------------------------------------------------------------------------


def check_file(kind: ImportKind, filename: str, data: bytes) -> int:
    """Refuse a file that cannot be an import of ``kind``; returns the header's column count."""
    if not filename.lower().endswith(EXTENSIONS):
        raise ValidationFailed.field("file", "Upload a .csv or .xlsx file.")
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed.field(
            "file", f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
        )
    table = read_table(filename, data)
    return len(map_headers(handler_for(kind).spec, table.headers))


def start_import(
    session: TenantSession,
    actor: Principal | None,
    kind: ImportKind | str,
    filename: str,
    data: bytes,
    *,
    dealer_id: int | None = None,
) -> ImportBatch:
    """Store the file and queue its import; the returned batch is ``pending``.

    Permission per kind (products ``catalog:manage``, prices ``prices:manage``,
    stock ``inventory:manage``, channel stock ``channel_stock:report`` for the
    actor's own dealer). Raises :class:`ValidationFailed` on ``file`` for a
    file that is not CSV/XLSX, too large, undecodable, or has wrong columns.
    """
    kind = parse_kind(kind)
    dealer_id = _authorise(actor, kind, dealer_id)
    filename = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1][:255]
    check_file(kind, filename, data)
    extension = filename.lower().rsplit(".", 1)[-1]
    tenant_id = cast(int, session.tenant_id)
    key = storage(session).save(tenant_id, f"import-{uuid.uuid4().hex}.{extension}", data)
    batch = ImportBatch(
        kind=kind,
        filename=filename,
        file_key=key,
        dealer_id=dealer_id,
        created_by_id=actor.user_id if actor is not None else None,
    )
    session.add(batch)
    session.flush()
    record(session, actor, "import.start", "import_batch", batch.id, {"kind": kind.value})
    from dinghuo.core.imports.jobs import run_import

    enqueue(session, run_import, batch.id, max_retries=2)
    return batch


# --- reading -------------------------------------------------------------------------------


def list_imports(
    session: TenantSession,
    actor: Principal | None,
    *,
    kind: ImportKind | None = None,
    status: ImportStatus | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """The imports ``actor`` may see (staff: the kinds they may import; dealers: their own)."""
    query: Select[Any] = select(ImportBatch).where(_visible(actor))
    if kind is not None:
        query = query.where(ImportBatch.kind == kind)
    if status is not None:
        query = query.where(ImportBatch.status == status)
    return paginate(
        session,
        query,
        id_column=ImportBatch.id,
        sortable=SORTS,
        default_sort="-created_at",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def get_import(session: TenantSession, actor: Principal | None, import_id: int) -> ImportBatch:
    """One import the actor may see; another tenant's, dealer's or kind's is NotFound."""
    try:
        visible = _visible(actor)
    except PermissionDenied:
        raise NotFound("No such import.") from None
    batch = session.scalar(select(ImportBatch).where(ImportBatch.id == import_id, visible))
    if batch is None:
        raise NotFound("No such import.")
    return batch


def report_rows(
    session: TenantSession, actor: Principal | None, import_id: int
) -> tuple[ImportBatch, list[list[str]]]:
    """The error report of an import, header row first (only the header when it had none)."""
    batch = get_import(session, actor, import_id)
    if not batch.report_key:
        return batch, [list(REPORT_HEADERS)]
    try:
        data = storage(session).read(cast(int, session.tenant_id), batch.report_key)
    except StoredFileNotFound:
        raise NotFound("This import's error report is no longer stored.") from None
    return batch, list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


# --- processing (the job) ------------------------------------------------------------------


class _AlreadyFinished(RuntimeError):
    """Another run finished this batch first; this run's work is rolled back."""


def _actor_of(session: TenantSession, batch: ImportBatch) -> Principal | None:
    """The uploader, re-loaded (a deactivated user's import is refused)."""
    if batch.created_by_id is None:
        return None
    user = session.scalar(select(User).where(User.id == batch.created_by_id))
    if user is None or not user.is_active:
        raise PermissionDenied("The user who uploaded this file can no longer import.")
    return principal_for_user(user)


def process_import(session: TenantSession, import_id: int) -> dict[str, Any] | None:
    """Run the import of a pending batch: validate every row, then apply all or none.

    Idempotent: a batch already applied, rejected or failed is left alone.
    Returns the counts written (or None when nothing was).
    """
    batch = session.scalar(select(ImportBatch).where(ImportBatch.id == import_id))
    if batch is None or batch.status in FINAL:
        return None
    tracker = ProgressTracker(session, import_id)
    tracker.start()
    try:
        return _process(session, batch, tracker)
    except _AlreadyFinished:
        raise
    except DomainError as error:
        session.rollback()
        _finish(session, import_id, ImportStatus.REJECTED, message=error.message[:1000])
    except Exception as error:  # noqa: BLE001 - recorded on the batch, never half-applied
        logger.exception("import %s failed", import_id)
        session.rollback()
        _finish(
            session,
            import_id,
            ImportStatus.FAILED,
            message=f"The import failed ({type(error).__name__}); nothing was imported.",
        )
    return None


def _process(
    session: TenantSession, batch: ImportBatch, tracker: ProgressTracker
) -> dict[str, Any] | None:
    handler = handler_for(batch.kind)
    tenant_id = cast(int, session.tenant_id)
    data = storage(session).read(tenant_id, batch.file_key)
    table = read_table(batch.filename, data)
    positions = map_headers(handler.spec, table.headers)
    rows = list(keyed_rows(table.rows, positions))
    total = len(rows)
    if not rows:
        raise ValidationFailed.field("file", "The file has no data rows.")
    if total > MAX_ROWS:
        raise ValidationFailed.field("file", f"At most {MAX_ROWS} rows per file; split it.")
    tracker.total(total)
    labels = {key: table.headers[index] for key, index in positions.items()}
    report = Report(labels)
    context = ImportContext(import_id=batch.id, dealer_id=batch.dealer_id)
    plan = handler.validate(session, rows, report, context)
    if report.errors:
        errors = sorted(report.errors, key=lambda e: (e.row, e.column))
        key = storage(session).save(tenant_id, f"import-{batch.id}-errors.csv", _report_csv(errors))
        _finish(
            session,
            batch.id,
            ImportStatus.REJECTED,
            total_rows=total,
            error_count=len(errors),
            report_key=key,
            message=f"{len(errors)} error(s) found; nothing was imported.",
        )
        return None
    actor = _actor_of(session, batch)
    if not may_import(actor, batch.kind):
        raise PermissionDenied("The user who uploaded this file can no longer import it.")
    counts = handler.apply(session, actor, plan, context, tracker.written)
    summary = ", ".join(f"{name.replace('_', ' ')}: {n}" for name, n in counts.items())
    _finish(
        session,
        batch.id,
        ImportStatus.APPLIED,
        total_rows=total,
        processed_rows=total,
        message=summary[:1000],
    )
    record(session, actor, "import.apply", "import_batch", batch.id, counts)
    return counts


def _finish(session: TenantSession, import_id: int, status: ImportStatus, **values: Any) -> None:
    """Write the outcome, only over a batch not yet finished (else this run is a duplicate)."""
    result = session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == import_id, ImportBatch.status.not_in(FINAL))
        .values(status=status, finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], result).rowcount:
        raise _AlreadyFinished(f"import {import_id} was finished by another run")


def _report_csv(errors: list[RowError]) -> bytes:
    return "".join(_csv_lines([list(REPORT_HEADERS)] + _error_rows(errors))).encode("utf-8")


def _error_rows(errors: list[RowError]) -> list[list[str]]:
    return [[str(e.row), e.column, e.value, e.reason] for e in errors]


def _csv_lines(rows: list[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
