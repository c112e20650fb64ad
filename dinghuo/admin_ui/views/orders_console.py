"""The console's order pages: the approval queue, the order list, one order and its actions.

Every read and move goes through :mod:`dinghuo.core.orders.service` and
:mod:`dinghuo.core.orders.review`, which authorise the actor themselves; the
page only offers the buttons the signed-in user may press. A refused action
(a move the state machine forbids, short stock, a missing reason) comes back
to the order page as a message naming why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from dinghuo.admin_ui import labels
from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import console_page
from dinghuo.admin_ui.order_display import history
from dinghuo.core.crm.models import Dealer
from dinghuo.core.inventory.channel import overstock_warnings
from dinghuo.core.orders import review, service
from dinghuo.core.orders.models import Order
from dinghuo.core.orders.states import TRANSITIONS, OrderStatus
from dinghuo.errors import DomainError
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

PAGE_SIZE = 25
S = OrderStatus

STATUS_LABELS = labels.ORDER_STATUS
STATUS_TONES = {
    S.SUBMITTED: "warning",
    S.DEALER_REVIEW: "warning",
    S.APPROVED: "success",
    S.COMPLETED: "success",
    S.DELIVERED: "success",
    S.REJECTED: "danger",
    S.CANCELLED: "neutral",
    S.BACKORDERED: "danger",
}
STEP_LABELS = labels.REVIEW_STEP
MANUAL_MOVES = {
    S.IN_PRODUCTION: _l("Mark in production"),
    S.BACKORDERED: _l("Mark backordered"),
}


class ReasonForm(FlaskForm):
    """An action on an order with an optional (or, to reject and cancel, required) reason."""

    reason = StringField(_l("Reason"), validators=[Length(max=1000)])


class StatusForm(ReasonForm):
    status = SelectField(
        _l("New status"),
        choices=[SelectChoice(s.value, label) for s, label in MANUAL_MOVES.items()],
    )


@bp.app_template_global()
def console_order_status(status: OrderStatus | str) -> str:
    """An order's status in staff wording, in the page's language."""
    return labels.enum_label(status, "order_status")


def _date_arg(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _money_arg(name: str) -> Decimal | None:
    raw = request.args.get(name, "").strip()[:20]
    try:
        value = Decimal(raw) if raw else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() and value >= 0 else None


def _dealer_names(dealer_ids: set[int]) -> dict[int, Dealer]:
    if not dealer_ids:
        return {}
    return {d.id: d for d in db_session().scalars(select(Dealer).where(Dealer.id.in_(dealer_ids)))}


def _pages(endpoint: str, page: Any, kept: dict[str, Any]) -> dict[str, str | None]:
    kept = {k: v for k, v in kept.items() if v not in (None, "")}
    return {
        "next_url": url_for(endpoint, cursor=page.next_cursor, **kept)
        if page.next_cursor
        else None,
        "first_url": url_for(endpoint, **kept) if request.args.get("cursor") else None,
    }


# --- the approval queue --------------------------------------------------------------------


@bp.get("/console/orders/review")
@console_page
@requires(Permission.ORDERS_READ)
def orders_review_queue():
    """Orders waiting at the review steps the signed-in user decides, oldest first."""
    principal = tenant_principal()
    steps = review.reviewable_steps(principal)
    wanted = request.args.get("step", "")
    step = next((s for s in steps if s.value == wanted), steps[0] if steps else None)
    page = None
    if step is not None:
        page = service.list_orders(
            db_session(),
            principal,
            review_step=step,
            sort="id",
            limit=PAGE_SIZE,
            cursor=request.args.get("cursor") or None,
        )
    return render_template(
        "ui/console/orders/queue.html",
        steps=steps,
        step=step,
        page=page,
        dealers=_dealer_names({o.dealer_id for o in page.items}) if page else {},
        step_labels=STEP_LABELS,
        **(_pages("ui.orders_review_queue", page, {"step": step.value}) if page else {}),
    )


# --- the list ------------------------------------------------------------------------------


@bp.get("/console/orders")
@console_page
@requires(Permission.ORDERS_READ)
def orders():
    """Every order, newest first, filtered by status, dealer, dates, amount and text."""
    session, principal = db_session(), tenant_principal()
    status = request.args.get("status", "")
    dealer_id = request.args.get("dealer_id", "").strip()
    filters = {
        "status": status if status in {s.value for s in S} else "",
        "dealer_id": int(dealer_id) if dealer_id.isdigit() else None,
        "date_from": _date_arg("date_from"),
        "date_to": _date_arg("date_to"),
        "min_total": _money_arg("min_total"),
        "max_total": _money_arg("max_total"),
        "q": request.args.get("q", "").strip()[:100],
    }
    page = service.list_orders(
        session,
        principal,
        **{k: v for k, v in filters.items() if v not in (None, "")},
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    dealers = list(session.scalars(select(Dealer).order_by(Dealer.code).limit(500)))
    return render_template(
        "ui/console/orders/index.html",
        page=page,
        filters=filters,
        dealers=dealers,
        dealer_by_id={d.id: d for d in dealers} | _dealer_names({o.dealer_id for o in page.items}),
        statuses=STATUS_LABELS,
        tones=STATUS_TONES,
        **_pages(
            "ui.orders", page, {k: str(v) if v is not None else v for k, v in filters.items()}
        ),
    )


# --- one order -----------------------------------------------------------------------------


def _order_page(order_id: int, status: int = 200):
    session, principal = db_session(), tenant_principal()
    order = service.get_order(session, principal, order_id)
    dealer = session.get(Dealer, order.dealer_id)
    allowed = TRANSITIONS[order.status]
    can_manage = principal.can(Permission.ORDERS_MANAGE)
    can_review = (
        order.status is S.SUBMITTED
        and order.review_step is not None
        and order.review_step in review.reviewable_steps(principal)
    )
    warnings = []
    if can_review:
        warnings = overstock_warnings(
            session, order.dealer_id, [line.sku_id for line in order.lines]
        )
    return render_template(
        "ui/console/orders/order.html",
        order=order,
        dealer=dealer,
        timeline=history(session, order, service.timeline(session, principal, order.id)),
        reviews=order.reviews,
        warnings=warnings,
        can_review=can_review,
        can_cancel=can_manage and S.CANCELLED in allowed,
        can_complete=can_manage and S.COMPLETED in allowed,
        moves=[(s, MANUAL_MOVES[s]) for s in MANUAL_MOVES if can_manage and s in allowed],
        form=ReasonForm(formdata=None),
        status_form=StatusForm(formdata=None),
        vat_percent=f"{(order.tax_rate * 100).normalize():f}",
        tones=STATUS_TONES,
        step_labels=STEP_LABELS,
    ), status


@bp.get("/console/orders/<int:order_id>")
@console_page
@requires(Permission.ORDERS_READ)
def order_detail(order_id: int):
    """An order: lines with every price component, totals, reviews, timeline and actions."""
    return _order_page(order_id)


def _act(order_id: int, action: Any, done: str, form: ReasonForm | None = None) -> Any:
    """Run ``action(session, principal, order_id, form)`` and come back to the order."""
    form = form or ReasonForm()
    if not form.validate_on_submit():
        flash(_("The form expired; try again."), "error")
        return redirect(url_for("ui.order_detail", order_id=order_id))
    session = db_session()
    try:
        order: Order = action(session, tenant_principal(), order_id, form)
    except DomainError as error:
        session.rollback()
        flash(error.message, "error")
        return redirect(url_for("ui.order_detail", order_id=order_id))
    flash(done % {"number": order.number}, "success")
    return redirect(url_for("ui.order_detail", order_id=order_id))


@bp.post("/console/orders/<int:order_id>/approve")
@console_page
@requires(Permission.ORDERS_READ)
def order_approve(order_id: int):
    return _act(
        order_id,
        lambda s, p, i, f: review.approve_step(
            s, p, i, request.form.get("step") or None, f.reason.data
        ),
        _("Review step approved for %(number)s."),
    )


@bp.post("/console/orders/<int:order_id>/reject")
@console_page
@requires(Permission.ORDERS_READ)
def order_reject(order_id: int):
    return _act(
        order_id,
        lambda s, p, i, f: review.reject(s, p, i, request.form.get("step") or None, f.reason.data),
        _("%(number)s is rejected."),
    )


@bp.post("/console/orders/<int:order_id>/cancel")
@console_page
@requires(Permission.ORDERS_MANAGE)
def order_cancel(order_id: int):
    return _act(
        order_id,
        lambda s, p, i, f: service.cancel_order(s, p, i, f.reason.data),
        _("%(number)s is cancelled and its stock released."),
    )


@bp.post("/console/orders/<int:order_id>/status")
@console_page
@requires(Permission.ORDERS_MANAGE)
def order_status(order_id: int):
    form = StatusForm()
    return _act(
        order_id,
        lambda s, p, i, f: service.STATUS_MOVES[OrderStatus(f.status.data)](s, p, i, f.reason.data),
        _("%(number)s is updated."),
        form,
    )


@bp.post("/console/orders/<int:order_id>/complete")
@console_page
@requires(Permission.ORDERS_MANAGE)
def order_complete(order_id: int):
    return _act(
        order_id,
        lambda s, p, i, f: service.complete_order(s, p, i, f.reason.data),
        _("%(number)s is completed."),
    )
