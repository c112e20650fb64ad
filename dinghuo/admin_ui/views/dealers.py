"""The console's dealer pages: search and filter, open an account, edit, suspend.

Every read and change goes through :mod:`dinghuo.core.crm.service`, which
authorises the actor itself; the decorators only decide what to show.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui import queries
from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import PAYMENT_TERM_LABELS, DealerForm, ReasonForm, attach_errors
from dinghuo.admin_ui.guards import console_page
from dinghuo.core.crm import service as crm
from dinghuo.core.crm.models import Dealer, DealerStatus
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

PAGE_SIZE = 25


def _status_filter(value: str | None) -> DealerStatus | None:
    try:
        return DealerStatus(value) if value else None
    except ValueError:
        return None


@bp.get("/console/dealers")
@console_page
@requires(Permission.DEALERS_READ)
def dealers():
    """Dealers of the brand; search by code or name, filter by status and tier."""
    principal = tenant_principal()
    filters = {
        "q": request.args.get("q", "").strip()[:100],
        "status": _status_filter(request.args.get("status")),
        "tier": request.args.get("tier", "").strip()[:10],
    }
    page = crm.list_dealers(
        db_session(),
        principal,
        q=filters["q"] or None,
        status=filters["status"],
        tier=filters["tier"] or None,
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    query_args = {k: (v.value if isinstance(v, DealerStatus) else v) for k, v in filters.items()}
    next_url = (
        url_for("ui.dealers", cursor=page.next_cursor, **{k: v for k, v in query_args.items() if v})
        if page.next_cursor
        else None
    )
    return render_template(
        "ui/console/dealers.html",
        page=page,
        filters=query_args,
        next_url=next_url,
        first_url=url_for("ui.dealers", **{k: v for k, v in query_args.items() if v})
        if request.args.get("cursor")
        else None,
        can_manage=principal.can(Permission.DEALERS_MANAGE),
        payment_terms=PAYMENT_TERM_LABELS,
        DealerStatus=DealerStatus,
    )


def _dealer_form(dealer: Dealer | None = None, *, submitted: bool = False) -> DealerForm:
    """The form as submitted, or filled from ``dealer`` (empty for a new one)."""
    if submitted or dealer is None:
        form = DealerForm()
    else:
        form = DealerForm(formdata=None, obj=dealer)
        form.payment_terms.data = dealer.payment_terms.value
        form.sales_rep_id.data = dealer.sales_rep_id or 0
        form.credit_limit.data = f"{dealer.credit_limit:.2f}"
    form.set_choices(queries.sales_rep_choices(db_session()))
    return form


@bp.route("/console/dealers/new", methods=["GET", "POST"])
@console_page
@requires(Permission.DEALERS_MANAGE)
def dealer_new():
    """Open a dealer account."""
    form = _dealer_form()
    status = 200
    if form.validate_on_submit():
        try:
            dealer = crm.create_dealer(db_session(), tenant_principal(), **form.changes())
        except ValidationFailed as error:
            attach_errors(form, error.fields)
        else:
            flash(_("Dealer %(code)s created.", code=dealer.code), "success")
            return redirect(url_for("ui.dealers"))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("ui/console/dealer_form.html", form=form, dealer=None), status


def _edit_page(dealer: Dealer, form: DealerForm, reason_form: ReasonForm, status: int = 200):
    return render_template(
        "ui/console/dealer_form.html",
        form=form,
        dealer=dealer,
        reason_form=reason_form,
        DealerStatus=DealerStatus,
    ), status


@bp.route("/console/dealers/<int:dealer_id>", methods=["GET", "POST"])
@console_page
@requires(Permission.DEALERS_MANAGE)
def dealer_edit(dealer_id: int):
    """Change a dealer's account details."""
    session = db_session()
    principal = tenant_principal()
    dealer = crm.get_dealer(session, dealer_id, principal)
    if request.method == "GET":
        return _edit_page(dealer, _dealer_form(dealer), ReasonForm(formdata=None))
    form = _dealer_form(dealer, submitted=True)
    if form.validate_on_submit():
        try:
            crm.update_dealer(session, principal, dealer_id, **form.changes())
        except ValidationFailed as error:
            attach_errors(form, error.fields)
        else:
            flash(_("Dealer %(code)s saved.", code=dealer.code), "success")
            return redirect(url_for("ui.dealers"))
    return _edit_page(dealer, form, ReasonForm(formdata=None), 422)


@bp.post("/console/dealers/<int:dealer_id>/status")
@console_page
@requires(Permission.DEALERS_MANAGE)
def dealer_status(dealer_id: int):
    """Suspend (a reason is required) or reactivate a dealer."""
    session = db_session()
    principal = tenant_principal()
    dealer = crm.get_dealer(session, dealer_id, principal)
    reason_form = ReasonForm()
    suspend = request.form.get("action") == "suspend"
    if reason_form.validate_on_submit():
        reason = (reason_form.reason.data or "").strip()
        try:
            if suspend:
                crm.suspend_dealer(session, principal, dealer_id, reason)
            else:
                crm.reactivate_dealer(session, principal, dealer_id, reason)
        except ValidationFailed as error:
            attach_errors(reason_form, error.fields)
        else:
            if suspend:
                message = _("%(code)s is suspended; its users can no longer sign in.")
            else:
                message = _("%(code)s is active again.")
            flash(message % {"code": dealer.code}, "success")
            return redirect(url_for("ui.dealer_edit", dealer_id=dealer_id))
    return _edit_page(dealer, _dealer_form(dealer), reason_form, 422)
