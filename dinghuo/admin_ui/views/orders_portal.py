"""The dealer's orders in the portal, and the printable order confirmation (portal and console).

The list filters by status group and finds an order by its number or the
dealer's PO number; the order page shows the frozen price breakdown, the
timeline (status moves, reviews, changes, and the carriers' tracking events)
and the shipments partial. Until the brand approves, the dealer may change
quantities or cancel; any time, "order again" puts the lines back in the cart.
Everything goes through :mod:`dinghuo.core.orders.service` and
:func:`dinghuo.core.orders.cart.reorder`, which authorise the user themselves:
another dealer's order is a 404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dinghuo.admin_ui import labels
from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.branding import current_branding
from dinghuo.admin_ui.guards import console_page, portal_page
from dinghuo.admin_ui.order_display import history
from dinghuo.core.crm.models import Dealer
from dinghuo.core.fulfilment.models import Shipment, TrackingEvent
from dinghuo.core.orders import cart, service
from dinghuo.core.orders.models import Order
from dinghuo.core.orders.states import DEALER_EDITABLE, OrderStatus
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import Conflict, DomainError, ValidationFailed
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

PAGE_SIZE = 25
S = OrderStatus

STATUS_TABS: dict[str, tuple[Any, list[OrderStatus]]] = {
    "": (_l("All"), []),
    "review": (_l("In review"), [S.DEALER_REVIEW, S.SUBMITTED]),
    "progress": (
        _l("Being prepared"),
        [S.APPROVED, S.IN_PRODUCTION, S.BACKORDERED, S.PARTIALLY_SHIPPED],
    ),
    "shipped": (_l("On the way"), [S.SHIPPED]),
    "done": (_l("Delivered"), [S.DELIVERED, S.COMPLETED]),
    "closed": (_l("Cancelled or rejected"), [S.CANCELLED, S.REJECTED]),
}
"""The list's tabs: a dealer thinks in stages, not in the twelve states."""

_QUANTITY_FIELD = re.compile(r"^lines\.(\d+)\.(\w+)$")


@bp.app_template_global()
def order_status_label(status: OrderStatus | str) -> str:
    """The words for an order's status, in the page's language."""
    return labels.enum_label(status, "dealer_order_status")


# --- the list ------------------------------------------------------------------------------


@bp.get("/orders")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_orders():
    """The dealer's orders, newest first, by stage, searchable by order or PO number."""
    tab = request.args.get("status", "")
    if tab not in STATUS_TABS:
        tab = ""
    q = request.args.get("q", "").strip()[:100]
    cursor = request.args.get("cursor") or None
    page = service.list_orders(
        db_session(),
        tenant_principal(),
        status=list(STATUS_TABS[tab][1]) or None,
        q=q or None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    kept = {k: v for k, v in {"status": tab, "q": q}.items() if v}
    return render_template(
        "ui/portal/orders/index.html",
        page=page,
        tab=tab,
        q=q,
        tabs=[
            (key, label, url_for("ui.portal_orders", **{**kept, "status": key or None}))
            for key, (label, _states) in STATUS_TABS.items()
        ],
        next_url=url_for("ui.portal_orders", cursor=page.next_cursor, **kept)
        if page.next_cursor
        else None,
        first_url=url_for("ui.portal_orders", **kept) if cursor else None,
    )


# --- one order -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One row of the order's timeline: a status move, a review, a change, a carrier scan."""

    when: dt.datetime
    kind: str
    title: str
    detail: str
    who: str


def _timeline(session: TenantSession, order: Order) -> list[TimelineEntry]:
    """The dealer's view of the order's history with the carriers' scans, newest first.

    ``order`` was authorised by :func:`service.get_order`; its shipments' scans
    are read by its id, each shown once: the timeline's own record of a scan
    (which names its event) gives way to the scan itself.
    """
    activities = service.timeline(session, tenant_principal(), order.id)
    people = _people(session, {a.actor_id for a in activities if a.actor_type == "user"})
    brand = current_branding().name
    entries = []
    for entry in history(session, order, activities, "dealer_order_status"):
        activity = entry.activity
        if activity.kind == "tracking" and "event_id" in activity.details:
            continue
        who = ""
        if activity.actor_type == "user" and activity.actor_id is not None:
            # The dealer's own people by name; the brand's staff as the brand.
            name, dealer_id = people.get(activity.actor_id, (activity.actor_label, None))
            who = name if dealer_id == order.dealer_id else brand
        entries.append(TimelineEntry(entry.when, entry.kind, entry.title, entry.detail, who))
    tracking = session.execute(
        select(TrackingEvent, Shipment.number)
        .join(Shipment, Shipment.id == TrackingEvent.shipment_id)
        .where(Shipment.order_id == order.id)
    ).all()
    for event, shipment_number in tracking:
        detail = " · ".join(part for part in (event.location, event.description) if part)
        status = labels.enum_label(event.status, "tracking_status")
        title = _("Shipment %(number)s: %(status)s", number=shipment_number, status=status)
        entries.append(TimelineEntry(event.occurred_at, "tracking", title, detail, ""))
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


def _people(session: TenantSession, user_ids: set[int | None]) -> dict[int, tuple[str, int | None]]:
    """Name and dealer of the users who acted on an order."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name, User.dealer_id).where(User.id.in_(ids)))
    return {row.id: (row.name, row.dealer_id) for row in rows}


def _order_context(session: TenantSession, order: Order) -> dict[str, Any]:
    dealer = session.scalar(select(Dealer).where(Dealer.id == order.dealer_id))
    return {
        "order": order,
        "dealer": dealer,
        "payment_terms": labels.enum_label(order.payment_terms, "payment_terms"),
        "editable": order.status in DEALER_EDITABLE,
        "vat_percent": f"{(order.tax_rate * 100).normalize():f}",
        "saving": order.list_total - order.subtotal - order.adjustments_total
        if order.list_total
        else 0,
    }


@bp.get("/orders/<int:order_id>")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_order(order_id: int):
    """One order: lines and prices as agreed, where it stands, what happened to it."""
    session = db_session()
    order = service.get_order(session, tenant_principal(), order_id)
    return render_template(
        "ui/portal/orders/detail.html",
        timeline=_timeline(session, order),
        **_order_context(session, order),
    )


@bp.post("/orders/<int:order_id>/reorder")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_order_reorder(order_id: int):
    """Put the order's lines in the cart again, saying which ones are no longer sold."""
    added = cart.reorder(db_session(), tenant_principal(), order_id)
    if added.added:
        flash(_("%(count)d lines added to your cart.", count=added.added), "success")
    for problem in added.skipped:
        flash(
            _("%(sku)s was not added: %(reason)s", sku=problem.sku_code, reason=problem.message),
            "warning",
        )
    return redirect(url_for("ui.portal_cart"))


@bp.post("/orders/<int:order_id>/cancel")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_order_cancel(order_id: int):
    """Cancel an order the brand has not approved yet; its stock goes back."""
    reason = request.form.get("reason", "")
    try:
        order = service.cancel_order(db_session(), tenant_principal(), order_id, reason)
    except (Conflict, ValidationFailed) as error:
        flash(error.message, "error")
    else:
        flash(_("Order %(number)s is cancelled.", number=order.number), "success")
    return redirect(url_for("ui.portal_order", order_id=order_id))


@bp.route("/orders/<int:order_id>/change", methods=["GET", "POST"])
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_order_change(order_id: int):
    """Change quantities (0 removes a line) until the brand approves; re-priced at today's prices."""
    session, principal = db_session(), tenant_principal()
    order = service.get_order(session, principal, order_id)
    errors: dict[int, str] = {}
    values: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        lines, values = _posted_lines(order)
        try:
            service.change_order(
                session, principal, order_id, lines, request.form.get("version", type=int)
            )
        except ValidationFailed as error:
            errors, general = _line_errors(error, lines)
            if general:
                flash(general, "error")
            status = 422
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for("ui.portal_order", order_id=order_id))
        else:
            flash(_("Order %(number)s is changed.", number=order.number), "success")
            return redirect(url_for("ui.portal_order", order_id=order_id))
    if order.status not in DEALER_EDITABLE:
        flash(_("Once the brand approves an order, it can no longer be changed."), "error")
        return redirect(url_for("ui.portal_order", order_id=order_id))
    return render_template(
        "ui/portal/orders/change.html",
        errors=errors,
        values=values,
        **_order_context(session, order),
    ), status


def _posted_lines(order: Order) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The lines the dealer kept (quantity above 0), and what they typed per SKU."""
    lines: list[dict[str, Any]] = []
    values: dict[int, str] = {}
    for line in order.lines:
        raw = request.form.get(f"quantity-{line.sku_id}", "").strip()[:12]
        values[line.sku_id] = raw
        quantity: Any = int(raw) if raw.isdigit() else raw
        if quantity != 0:
            lines.append({"sku_id": line.sku_id, "quantity": quantity})
    return lines, values


def _line_errors(
    error: ValidationFailed, lines: list[dict[str, Any]]
) -> tuple[dict[int, str], str]:
    """Errors by SKU id from ``lines.<n>.<field>`` names, and the rest as one message."""
    by_sku: dict[int, str] = {}
    general: list[str] = []
    for name, reasons in error.fields.items():
        reason = "; ".join(str(r) for r in reasons)
        match = _QUANTITY_FIELD.match(name)
        index = int(match.group(1)) if match else -1
        if match and 0 <= index < len(lines):
            by_sku[lines[index]["sku_id"]] = reason
        elif name == "lines":
            general.append(_("Keep at least one line; to drop the whole order, cancel it."))
        else:
            general.append(reason)
    return by_sku, " ".join(general)


# --- printable confirmation ----------------------------------------------------------------


def _print(order_id: int, back_url: str):
    session = db_session()
    order = service.get_order(session, tenant_principal(), order_id)
    return render_template(
        "ui/print/order_confirmation.html",
        back_url=back_url,
        now=utcnow(),
        **_order_context(session, order),
    )


@bp.get("/orders/<int:order_id>/print")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_order_print(order_id: int):
    """The order confirmation as a page made for paper (or "save as PDF")."""
    return _print(order_id, url_for("ui.portal_order", order_id=order_id))


@bp.get("/console/orders/<int:order_id>/print")
@console_page
@requires(Permission.ORDERS_READ)
def console_order_print(order_id: int):
    """The same confirmation for the brand's staff, e.g. to send or file with the dealer's PO."""
    return _print(order_id, url_for("ui.order_detail", order_id=order_id))
