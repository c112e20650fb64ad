"""The console's import/export page: upload a CSV/XLSX, watch it run, fetch reports.

Uploads go through :func:`dinghuo.core.imports.service.start_import` (the same
checks as the API); the list polls ``imports/<id>/status`` through
``static/ui/imports.js`` while a batch runs, so its progress bar moves.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import console_page
from dinghuo.core.imports import exports
from dinghuo.core.imports import service as imports
from dinghuo.core.imports.api import exported_rows, file_response
from dinghuo.core.imports.models import ImportKind, ImportStatus
from dinghuo.errors import DomainError, PermissionDenied
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

PAGE_SIZE = 25
KIND_LABELS = {
    ImportKind.PRODUCTS: _l("Products and SKUs"),
    ImportKind.PRICES: _l("Price-list prices"),
    ImportKind.STOCK: _l("Warehouse stock"),
    ImportKind.CHANNEL_STOCK: _l("Dealer stock"),
}
STAFF_KINDS = (ImportKind.PRODUCTS, ImportKind.PRICES, ImportKind.STOCK)


def _format() -> str:
    fmt = request.args.get("format", "csv")
    return fmt if fmt in exports.FORMATS else "csv"


@bp.get("/console/imports")
@console_page
@requires(Permission.CATALOG_READ)
def imports_page():
    """Upload form, the imports the user may see, templates and exports."""
    principal = tenant_principal()
    session = db_session()
    try:
        page = imports.list_imports(
            session, principal, limit=PAGE_SIZE, cursor=request.args.get("cursor") or None
        )
    except PermissionDenied:
        page = None
    importable = [k for k in STAFF_KINDS if imports.may_import(principal, k)]
    exportable = [k for k, p in exports.EXPORT_PERMISSIONS.items() if principal.can(p)]
    return render_template(
        "ui/console/imports/index.html",
        page=page,
        importable=importable,
        exportable=exportable,
        kinds=STAFF_KINDS,
        kind_labels=KIND_LABELS,
        ImportStatus=ImportStatus,
        running=(ImportStatus.PENDING, ImportStatus.RUNNING),
        next_url=url_for("ui.imports_page", cursor=page.next_cursor)
        if page is not None and page.next_cursor
        else None,
    )


@bp.post("/console/imports")
@console_page
@requires(Permission.CATALOG_READ)
def imports_upload():
    """Queue an uploaded file as an import of the chosen kind."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a .csv or .xlsx file first."), "error")
        return redirect(url_for("ui.imports_page"))
    try:
        batch = imports.start_import(
            db_session(),
            tenant_principal(),
            request.form.get("kind", ""),
            upload.filename,
            upload.read(imports.MAX_FILE_BYTES + 1),
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("ui.imports_page"))
    flash(_("%(file)s uploaded; its rows are being checked.", file=batch.filename), "success")
    return redirect(url_for("ui.imports_page"))


@bp.get("/console/imports/<int:import_id>/status")
@console_page
@requires(Permission.CATALOG_READ)
def import_status(import_id: int):
    """Status and progress of one import, for the page's progress bars."""
    batch = imports.get_import(db_session(), tenant_principal(), import_id)
    return jsonify(
        id=batch.id,
        status=batch.status.value,
        processed_rows=batch.processed_rows,
        total_rows=batch.total_rows,
        error_count=batch.error_count,
        message=batch.message,
    )


@bp.get("/console/imports/<int:import_id>/report")
@console_page
@requires(Permission.CATALOG_READ)
def import_report(import_id: int):
    """The error report of a rejected import, as CSV or XLSX."""
    batch, rows = imports.report_rows(db_session(), tenant_principal(), import_id)
    return file_response(f"import-{batch.id}-errors", _format(), rows[0], rows[1:])


@bp.get("/console/imports/templates/<kind>")
@console_page
@requires(Permission.CATALOG_READ)
def import_template(kind: str):
    """An empty file with the columns of one kind."""
    chosen = imports.parse_kind(kind)
    fmt = _format()
    notes = exports.template_notes(chosen) if fmt == "xlsx" else None
    headers = exports.headers_of(chosen)
    return file_response(f"{chosen.value}-template", fmt, headers, [], notes=notes)


@bp.get("/console/exports/<kind>")
@console_page
@requires(Permission.CATALOG_READ)
def export_download(kind: str):
    """Everything of one kind in its import columns, as CSV or XLSX."""
    headers, rows = exported_rows(kind)
    return file_response(f"{kind}-export", _format(), headers, rows)
