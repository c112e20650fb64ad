"""The dealer admin's approvals in the portal: buyers' orders over the limit, and the limit.

A buyer's order above the dealer's ``buyer_approval_limit`` waits in dealer
review; here the dealer's admins approve it (it goes on to the brand) or
reject it with a reason, and set the limit itself (empty: buyers' orders never
wait). The rules, and who may see which order, are
:mod:`dinghuo.core.orders.dealer_approval`'s; another dealer's order is "not
found" like a missing one.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import portal_page
from dinghuo.admin_ui.views.checkout import checkout_message
from dinghuo.core.crm.service import get_own_dealer
from dinghuo.core.orders import dealer_approval, service
from dinghuo.core.orders.states import OrderStatus
from dinghuo.errors import Conflict, ValidationFailed
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

WAITING_SHOWN = 200
"""Orders listed at most; a dealer with more waiting has a different problem than paging."""


def _page(
    *,
    reason_errors: dict[int, list[str]] | None = None,
    reasons: dict[int, str] | None = None,
    limit_value: str | None = None,
    limit_errors: list[str] | None = None,
    status: int = 200,
):
    session, principal = db_session(), tenant_principal()
    dealer = get_own_dealer(session, principal)
    waiting = service.list_orders(
        session, principal, status=[OrderStatus.DEALER_REVIEW], limit=WAITING_SHOWN, sort="id"
    ).items
    placers = {order.created_by_id for order in waiting if order.created_by_id is not None}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(placers))).all())
        if placers
        else {}
    )
    return render_template(
        "ui/portal/approvals.html",
        dealer=dealer,
        waiting=waiting,
        names=names,
        reasons=reasons or {},
        reason_errors=reason_errors or {},
        limit_value=(
            limit_value
            if limit_value is not None
            else ("" if dealer.buyer_approval_limit is None else f"{dealer.buyer_approval_limit}")
        ),
        limit_errors=limit_errors or [],
    ), status


@bp.get("/approvals")
@portal_page
@requires(Permission.OWN_ORDERS_APPROVE)
def portal_approvals():
    """Buyers' orders waiting for an admin, oldest first, and the limit that sends them here."""
    return _page()


def _decide(order_id: int, *, approve: bool) -> Any:
    reason = request.form.get("reason", "")[:1100]
    try:
        order = dealer_approval.decide(
            db_session(), tenant_principal(), order_id, approve=approve, reason=reason
        )
    except ValidationFailed as error:
        why = (
            [_("Say why, so the buyer knows what to change.")]
            if not reason.strip()
            else [checkout_message(r) for r in error.fields.get("reason", [error.message])]
        )
        return _page(reason_errors={order_id: why}, reasons={order_id: reason}, status=422)
    except Conflict:
        flash(_("This order is no longer waiting for your approval."), "error")
        return redirect(url_for("ui.portal_approvals"))
    if approve:
        flash(
            _("Order %(number)s is approved and goes to the brand.", number=order.number), "success"
        )
    else:
        flash(_("Order %(number)s is rejected.", number=order.number), "success")
    return redirect(url_for("ui.portal_approvals"))


@bp.post("/approvals/<int:order_id>/approve")
@portal_page
@requires(Permission.OWN_ORDERS_APPROVE)
def portal_approval_approve(order_id: int):
    return _decide(order_id, approve=True)


@bp.post("/approvals/<int:order_id>/reject")
@portal_page
@requires(Permission.OWN_ORDERS_APPROVE)
def portal_approval_reject(order_id: int):
    return _decide(order_id, approve=False)


@bp.post("/approvals/limit")
@portal_page
@requires(Permission.OWN_ORDERS_APPROVE)
def portal_approval_limit():
    """Set the total above which buyers' orders need an admin; empty removes the rule."""
    value = request.form.get("buyer_approval_limit", "").strip()[:30]
    try:
        dealer = dealer_approval.set_buyer_approval_limit(db_session(), tenant_principal(), value)
    except ValidationFailed:
        return _page(
            limit_value=value,
            limit_errors=[_("Enter an amount of zero or more, or leave it empty for no limit.")],
            status=422,
        )
    if dealer.buyer_approval_limit is None:
        flash(_("Buyers' orders no longer need your approval."), "success")
    else:
        flash(
            _(
                "Buyers' orders over %(limit)s now need your approval.",
                limit=dealer.buyer_approval_limit,
            ),
            "success",
        )
    return redirect(url_for("ui.portal_approvals"))
