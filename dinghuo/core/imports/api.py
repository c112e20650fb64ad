"""Imports and exports over HTTP: ``/imports`` (upload, status, error report, templates)
and ``/exports/<kind>``.

Thin: the service authorises per kind (products ``catalog:manage``, prices
``prices:manage``, stock ``inventory:manage``, channel stock
``channel_stock:report`` for the user's own dealer) and answers another
tenant's or dealer's import with 404.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, current_app, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import page_args, page_schema
from dinghuo.core.imports import exports, service
from dinghuo.core.imports.schemas import (
    FormatArgsSchema,
    ImportBatchSchema,
    ImportFileSchema,
    ImportFormSchema,
    ImportListArgsSchema,
)
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_RESPONSE = {
    "200": {
        "description": "The file, as CSV (UTF-8 with BOM) or XLSX",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}

blp = Blueprint(
    "imports", __name__, url_prefix="/imports", description="Spreadsheet imports (CSV, XLSX)"
)
exports_blp = Blueprint(
    "exports", __name__, url_prefix="/exports", description="Spreadsheet exports (CSV, XLSX)"
)


def file_response(
    name: str, fmt: str, headers: list[str], rows, *, notes: list[list[str]] | None = None
) -> Response:
    """A download of ``headers`` + ``rows``: streamed CSV, or an XLSX workbook."""
    if fmt == "xlsx":
        response = Response(exports.xlsx_bytes(headers, rows, notes=notes), mimetype=XLSX)
    else:
        stream = stream_with_context(exports.csv_stream(headers, rows))
        response = Response(stream, mimetype="text/csv", content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def exported_rows(kind_value: str) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows of an export, the rows read in a transaction of their own.

    The request's session is committed and closed before a streamed body is
    sent, so the rows come from a fresh read-only session closed when the
    stream ends (or is abandoned).
    """
    chosen = exports.exportable_kind(kind_value)
    headers, source = exports.export_source(tenant_principal(), chosen)
    tenant_id = db_session().tenant_id
    database = current_app.extensions["dinghuo.db"]

    def rows() -> Iterator[list[str]]:
        with database.transaction(tenant_id) as session:
            yield from source(session)

    return headers, rows()


@blp.route("")
class Imports(MethodView):
    @blp.arguments(ImportListArgsSchema, location="query")
    @blp.response(200, page_schema(ImportBatchSchema))
    def get(self, args):
        """Imports the user may see, newest first (dealer users: their own dealer's)."""
        return service.list_imports(
            db_session(),
            tenant_principal(),
            kind=args["kind"],
            status=args["status"],
            **page_args(args),
        )

    @blp.response(202, ImportBatchSchema)
    @requires()  # sign-in first: a stranger learns nothing from the form's validation
    @blp.arguments(ImportFormSchema, location="form")
    @blp.arguments(ImportFileSchema, location="files")
    def post(self, form, files):
        """Upload a file to import; it is checked and applied (all rows or none) in a job.

        Poll ``GET /imports/<id>``: ``status`` becomes ``applied``, or
        ``rejected`` with an error report naming each row, column and reason.
        """
        upload = files["file"]
        data = upload.read(service.MAX_FILE_BYTES + 1)
        return service.start_import(
            db_session(), tenant_principal(), form["kind"], upload.filename or "", data
        )


@blp.route("/<int:import_id>")
class ImportDetail(MethodView):
    @blp.response(200, ImportBatchSchema)
    def get(self, import_id: int):
        """One import with its status and progress (``processed_rows`` of ``total_rows``)."""
        return service.get_import(db_session(), tenant_principal(), import_id)


@blp.route("/<int:import_id>/report")
class ImportReport(MethodView):
    @blp.arguments(FormatArgsSchema, location="query")
    @blp.doc(responses=FILE_RESPONSE)
    def get(self, args, import_id: int):
        """The error report of a rejected import: row, column, value and reason per error."""
        batch, rows = service.report_rows(db_session(), tenant_principal(), import_id)
        return file_response(f"import-{batch.id}-errors", args["format"], rows[0], rows[1:])


@blp.route("/templates/<kind>")
class ImportTemplate(MethodView):
    @blp.arguments(FormatArgsSchema, location="query")
    @blp.doc(responses=FILE_RESPONSE)
    def get(self, args, kind: str):
        """An empty file with the columns of ``kind`` (the XLSX lists them on a second sheet)."""
        tenant_principal()
        chosen = service.parse_kind(kind)
        notes = exports.template_notes(chosen) if args["format"] == "xlsx" else None
        headers = exports.headers_of(chosen)
        return file_response(f"{chosen.value}-template", args["format"], headers, [], notes=notes)


@exports_blp.route("/<kind>")
class Export(MethodView):
    @exports_blp.arguments(FormatArgsSchema, location="query")
    @exports_blp.doc(responses=FILE_RESPONSE)
    def get(self, args, kind: str):
        """All products (one row per SKU), prices or stock levels, in the import's columns."""
        headers, rows = exported_rows(kind)
        return file_response(f"{kind}-export", args["format"], headers, rows)
