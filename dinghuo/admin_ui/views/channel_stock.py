"""Channel stock in the UI: the dealers' report form in the portal, the report in the console.

Dealers fill a table of the SKUs they may see (or name SKUs by the brand's
code or their own) or upload a spreadsheet through the imports machinery;
staff read days of cover per dealer × SKU and per SKU, overstock in red, and
a summary on each dealer's page. Everything goes through
:mod:`dinghuo.core.inventory.channel`, which authorises the actor itself.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import console_page, portal_page
from dinghuo.core.catalog.models import Sku
from dinghuo.core.crm.models import Dealer
from dinghuo.core.imports import service as imports
from dinghuo.core.imports.models import ImportKind, ImportStatus
from dinghuo.core.inventory import channel
from dinghuo.errors import DomainError, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import current_principal, db_session

PAGE_SIZE = 25
FORM_ROWS = 100
CODE_ROWS = 5
"""Blank rows where a dealer names a SKU by code (the brand's or their own)."""
RECENT_IMPORTS = 5
_LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
_WHOLE = re.compile(r"^-?\d{1,12}$")


# --- console -------------------------------------------------------------------------------


def _id_by_code(model: Any, code: str) -> int | None:
    """The id of the dealer or SKU with this code, or 0 when none has it (an empty result)."""
    if not code:
        return None
    found = db_session().scalar(select(model.id).where(model.code == code.strip().upper()))
    return found or 0


@bp.get("/console/channel-stock")
@console_page
@requires(Permission.CHANNEL_STOCK_READ)
def channel_stock():
    """Dealers' stock per dealer × SKU (or per SKU), with days of cover and overstock flags."""
    session, principal = db_session(), tenant_principal()
    by_sku = request.args.get("view") == "sku"
    filters = {
        "view": "sku" if by_sku else "",
        "dealer": request.args.get("dealer", "").strip()[:40],
        "sku": request.args.get("sku", "").strip()[:60],
        "overstocked": "1" if request.args.get("overstocked") else "",
    }
    dealer_id = request.args.get("dealer_id", type=int) or _id_by_code(Dealer, filters["dealer"])
    sku_id = request.args.get("sku_id", type=int) or _id_by_code(Sku, filters["sku"])
    paging = {"limit": PAGE_SIZE, "cursor": request.args.get("cursor") or None}
    overstocked = True if filters["overstocked"] else None
    if by_sku:
        page = channel.list_by_sku(
            session, principal, sku_id=sku_id, overstocked=overstocked, **paging
        )
    else:
        page = channel.list_channel_stock(
            session,
            principal,
            dealer_id=dealer_id,
            sku_id=sku_id,
            overstocked=overstocked,
            **paging,
        )
    kept = {k: v for k, v in filters.items() if v}
    return render_template(
        "ui/console/channel_stock/index.html",
        page=page,
        by_sku=by_sku,
        filters=filters,
        threshold=channel.threshold_of(session),
        warning_count=channel.count_overstocked(session, principal),
        next_url=url_for("ui.channel_stock", cursor=page.next_cursor, **kept)
        if page.next_cursor
        else None,
        first_url=url_for("ui.channel_stock", **kept) if paging["cursor"] else None,
        tab_urls={
            "dealer": url_for("ui.channel_stock", **{k: v for k, v in kept.items() if k != "view"}),
            "sku": url_for("ui.channel_stock", **{**kept, "view": "sku"}),
        },
    )


@bp.app_template_global()
def channel_stock_summary(dealer_id: int) -> dict[str, Any] | None:
    """For the console's dealer page: the dealer's channel stock and warnings (None if not allowed)."""
    principal = current_principal()
    if principal is None or not principal.can(Permission.CHANNEL_STOCK_READ):
        return None
    return channel.dealer_summary(db_session(), principal, dealer_id)


# --- portal: the report form ---------------------------------------------------------------


@dataclass
class _Submitted:
    """What the form posted, as report entries, and where each came from for error display."""

    period_days: Any
    entries: list[dict[str, Any]] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


def _number(raw: str) -> Any:
    """A whole number from the form, or the text itself for the service to refuse by name."""
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if _WHOLE.match(raw) else raw


def _submitted() -> _Submitted:
    form = request.form
    period = _number(form.get("period_days", "")) or channel.DEFAULT_PERIOD_DAYS
    posted = _Submitted(period_days=period, values=dict(form.items()))
    for raw_id in form.getlist("sku"):
        if not raw_id.isdigit():
            continue
        on_hand, sold = form.get(f"on_hand-{raw_id}", ""), form.get(f"sold-{raw_id}", "")
        if on_hand.strip() or sold.strip():
            posted.entries.append(
                {
                    "sku_id": int(raw_id),
                    "on_hand": _number(on_hand),
                    "sold_qty": _number(sold),
                    "period_days": period,
                }
            )
            posted.origins.append(f"sku-{raw_id}")
    for row in range(CODE_ROWS):
        code = form.get(f"code-{row}", "").strip()[:60]
        on_hand, sold = form.get(f"code_on_hand-{row}", ""), form.get(f"code_sold-{row}", "")
        if code or on_hand.strip() or sold.strip():
            posted.entries.append(
                {
                    "sku_code": code,
                    "on_hand": _number(on_hand),
                    "sold_qty": _number(sold),
                    "period_days": period,
                }
            )
            posted.origins.append(f"code-{row}")
    return posted


def _row_errors(error: ValidationFailed, posted: _Submitted) -> tuple[dict[str, str], str]:
    """Errors by form row (``sku-5``, ``code-0``), and one for the whole form."""
    by_row: dict[str, str] = {}
    general = []
    labels = {
        "on_hand": _("On hand"),
        "sold_qty": _("Sold"),
        "period_days": _("Period (days)"),
        "sku_id": _("SKU"),
        "sku_code": _("SKU code"),
        "lines": _("SKUs"),
    }
    for name, reasons in error.fields.items():
        reason = "; ".join(str(r) for r in reasons)
        match = _LINE_FIELD.match(name)
        if match and int(match.group(1)) < len(posted.origins):
            origin = posted.origins[int(match.group(1))]
            by_row[origin] = f"{labels.get(match.group(2), match.group(2))}: {reason}"
        else:
            general.append(f"{labels.get(name, name)}: {reason}")
    return by_row, " ".join(general)


@bp.route("/stock-report", methods=["GET", "POST"])
@portal_page
@requires(Permission.CHANNEL_STOCK_REPORT)
def portal_stock_report():
    """The dealer's stock report: on hand and units sold per SKU, by form or spreadsheet."""
    session, principal = db_session(), tenant_principal()
    q = request.values.get("q", "").strip()[:100]
    posted = None
    row_errors: dict[str, str] = {}
    form_error = ""
    status = 200
    if request.method == "POST":
        posted = _submitted()
        dealer_id = channel.own_dealer_id(principal)
        period = posted.period_days
        try:
            if not isinstance(period, int) or not 1 <= period <= channel.MAX_PERIOD_DAYS:
                raise ValidationFailed.field(
                    "period_days",
                    _("Use a whole number of days from 1 to %(max)d.", max=channel.MAX_PERIOD_DAYS),
                )
            lines = channel.lines_from_entries(session, dealer_id, posted.entries)
            reported = channel.report_channel_stock(
                session, principal, dealer_id, lines, source="form"
            )
        except ValidationFailed as error:
            row_errors, form_error = _row_errors(error, posted)
            status = 422
        else:
            flash(_("Stock of %(count)d SKUs reported.", count=reported), "success")
            return redirect(url_for("ui.portal_stock_report", q=q or None))
    return _report_page(posted, row_errors, form_error, q, status)


def _report_page(
    posted: _Submitted | None, row_errors: dict[str, str], form_error: str, q: str, status: int
):
    session, principal = db_session(), tenant_principal()
    rows = channel.report_form_rows(session, principal, q=q or None, limit=FORM_ROWS)
    recent = imports.list_imports(
        session, principal, kind=ImportKind.CHANNEL_STOCK, limit=RECENT_IMPORTS
    ).items
    return render_template(
        "ui/portal/stock_report.html",
        rows=rows,
        q=q,
        values=posted.values if posted else {},
        period_days=posted.values.get("period_days", "") if posted else "",
        default_period=channel.DEFAULT_PERIOD_DAYS,
        max_period=channel.MAX_PERIOD_DAYS,
        row_errors=row_errors,
        form_error=form_error,
        code_rows=range(CODE_ROWS),
        threshold=channel.threshold_of(session),
        truncated=len(rows) >= FORM_ROWS,
        imports=recent,
        ImportStatus=ImportStatus,
    ), status


# --- portal: the spreadsheet upload --------------------------------------------------------


@bp.post("/stock-report/upload")
@portal_page
@requires(Permission.CHANNEL_STOCK_REPORT)
def portal_stock_upload():
    """Queue a CSV/XLSX of stock lines as a channel-stock import of the dealer's own stock."""
    session, principal = db_session(), tenant_principal()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a .csv or .xlsx file first."), "error")
        return redirect(url_for("ui.portal_stock_report"))
    try:
        batch = imports.start_import(
            session,
            principal,
            ImportKind.CHANNEL_STOCK,
            upload.filename,
            upload.read(imports.MAX_FILE_BYTES + 1),
            dealer_id=channel.own_dealer_id(principal),
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("ui.portal_stock_report"))
    flash(_("%(file)s uploaded; its rows are being checked.", file=batch.filename), "success")
    return redirect(url_for("ui.portal_stock_report"))


@bp.get("/stock-report/imports/<int:import_id>/report.csv")
@portal_page
@requires(Permission.CHANNEL_STOCK_REPORT)
def portal_stock_import_report(import_id: int):
    """The error report of one of the dealer's own uploads: row, column, value and reason."""
    batch, rows = imports.report_rows(db_session(), tenant_principal(), import_id)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="import-{batch.id}-errors.csv"'
    return response
