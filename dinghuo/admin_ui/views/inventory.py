"""The console's stock pages: levels, a SKU's ledger, warehouses, movements, replenishment.

Every read and change goes through :mod:`dinghuo.core.inventory.service` and
:mod:`dinghuo.core.inventory.reorder`, which authorise the actor themselves;
the decorators only decide what to show. A refused movement (not enough
stock) lands on the form next to the quantity, naming on hand and available.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import attach_errors
from dinghuo.admin_ui.guards import console_page
from dinghuo.core.catalog.models import Sku
from dinghuo.core.inventory import reorder, service
from dinghuo.core.inventory.models import AlertStatus, MovementKind
from dinghuo.errors import Conflict, NotFound, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

PAGE_SIZE = 25

KIND_LABELS = {
    MovementKind.RECEIPT: _l("Receipt"),
    MovementKind.ADJUSTMENT: _l("Adjustment"),
    MovementKind.RESERVATION: _l("Reservation"),
    MovementKind.RELEASE: _l("Release"),
    MovementKind.SHIPMENT: _l("Shipment"),
    MovementKind.RETURN: _l("Return"),
    MovementKind.ERP_SYNC: _l("ERP sync"),
    MovementKind.STOCK_COUNT: _l("Stock count"),
}
FORM_KINDS = {
    "receipt": _l("Receive goods"),
    "adjustment": _l("Adjust stock"),
    "return": _l("Restock a return"),
    "count": _l("Record a stock count"),
}


class MovementForm(FlaskForm):
    """One stock movement typed by staff; the service checks the rest."""

    warehouse_id = SelectField(_l("Warehouse"), coerce=int, validators=[InputRequired()])
    sku_code = StringField(_l("SKU code"), validators=[DataRequired(), Length(max=60)])
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class WarehouseForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    region = StringField(_l("Region"), validators=[Length(max=100)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    is_active = BooleanField(_l("Active: its stock counts as available"))


class PolicyForm(FlaskForm):
    manual_reorder_point = IntegerField(
        _l("Manual reorder point"), validators=[Optional(), NumberRange(min=0, max=10_000_000)]
    )
    lead_time_days = IntegerField(
        _l("Lead time (days)"), validators=[Optional(), NumberRange(min=0, max=365)]
    )


def _next_and_first(endpoint: str, page: Any, args: dict[str, Any]) -> dict[str, str | None]:
    kept = {k: v for k, v in args.items() if v not in (None, "", False)}
    return {
        "next_url": url_for(endpoint, cursor=page.next_cursor, **kept)
        if page.next_cursor
        else None,
        "first_url": url_for(endpoint, **kept) if request.args.get("cursor") else None,
    }


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


# --- levels --------------------------------------------------------------------------------


@bp.get("/console/stock")
@console_page
@requires(Permission.INVENTORY_READ)
def stock_levels():
    """Stock per SKU and warehouse; search by SKU code, filter by warehouse or low stock."""
    session, principal = db_session(), tenant_principal()
    filters = {
        "sku": request.args.get("sku", "").strip()[:60],
        "warehouse_id": _int_arg("warehouse_id"),
        "low": request.args.get("low") == "1",
    }
    page = service.list_levels(
        session,
        principal,
        sku_code=filters["sku"] or None,
        warehouse_id=filters["warehouse_id"],
        below_reorder_point=filters["low"],
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    args = {**filters, "low": "1" if filters["low"] else None}
    return render_template(
        "ui/console/inventory/levels.html",
        page=page,
        filters=filters,
        warehouses=service.all_warehouses(session, principal),
        can_manage=principal.can(Permission.INVENTORY_MANAGE),
        **_next_and_first("ui.stock_levels", page, args),
    )


# --- a SKU's ledger ------------------------------------------------------------------------


def _sku_page(sku_id: int, policy_form: PolicyForm | None = None, status: int = 200):
    session, principal = db_session(), tenant_principal()
    sku = session.scalar(select(Sku).where(Sku.id == sku_id))
    if sku is None:
        raise NotFound("No such SKU.")
    kind = request.args.get("kind") or None
    if kind not in {k.value for k in MovementKind}:
        kind = None
    warehouse_id = _int_arg("warehouse_id")
    movements = service.list_movements(
        session,
        principal,
        sku_id=sku.id,
        warehouse_id=warehouse_id,
        kind=kind,
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    levels = service.list_levels(session, principal, sku_id=sku.id, limit=200).items
    policy = reorder.get_policy(session, principal, sku.id)
    if policy_form is None:
        policy_form = PolicyForm(
            formdata=None,
            manual_reorder_point=policy.manual_reorder_point,
            lead_time_days=policy.lead_time_days,
        )
    warehouses = service.all_warehouses(session, principal)
    args = {"sku_id": sku.id, "kind": kind, "warehouse_id": warehouse_id}
    return render_template(
        "ui/console/inventory/sku.html",
        sku=sku,
        levels=levels,
        policy=policy,
        policy_form=policy_form,
        movements=movements,
        warehouses=warehouses,
        warehouse_codes={w.id: w.code for w in warehouses},
        filters={"kind": kind, "warehouse_id": warehouse_id},
        kind_labels=KIND_LABELS,
        can_manage=principal.can(Permission.INVENTORY_MANAGE),
        **_next_and_first("ui.stock_sku", movements, args),
    ), status


@bp.get("/console/stock/skus/<int:sku_id>")
@console_page
@requires(Permission.INVENTORY_READ)
def stock_sku(sku_id: int):
    """One SKU: its levels per warehouse, its reorder point and its ledger."""
    return _sku_page(sku_id)


@bp.post("/console/stock/skus/<int:sku_id>/policy")
@console_page
@requires(Permission.INVENTORY_MANAGE)
def stock_policy(sku_id: int):
    """Set or clear a SKU's manual reorder point and own lead time (empty clears)."""
    form = PolicyForm()
    if form.validate_on_submit():
        try:
            reorder.update_policy(
                db_session(),
                tenant_principal(),
                sku_id,
                manual_reorder_point=form.manual_reorder_point.data,
                lead_time_days=form.lead_time_days.data,
            )
        except ValidationFailed as error:
            attach_errors(form, error.fields)
        else:
            flash(_("Reorder policy saved."), "success")
            return redirect(url_for("ui.stock_sku", sku_id=sku_id))
    return _sku_page(sku_id, form, 422)


# --- movements typed by staff --------------------------------------------------------------


def _movement(form: MovementForm, kind: str, sku_id: int) -> None:
    session, principal = db_session(), tenant_principal()
    where = {"warehouse_id": form.warehouse_id.data, "sku_id": sku_id}
    reason = (form.reason.data or "").strip()
    quantity = form.quantity.data
    if kind == "receipt":
        service.receive(session, principal, **where, quantity=quantity, reason=reason)
    elif kind == "adjustment":
        service.adjust(session, principal, **where, quantity=quantity, reason=reason)
    elif kind == "return":
        service.record_return(session, principal, **where, quantity=quantity, reason=reason)
    else:
        service.apply_stock_counts(
            session,
            principal,
            [(form.warehouse_id.data, sku_id, quantity)],
            reason=reason,
        )


@bp.route("/console/stock/movements/new", methods=["GET", "POST"])
@console_page
@requires(Permission.INVENTORY_MANAGE)
def stock_movement_new():
    """Receive goods, adjust stock (reason required), restock a return or record a count."""
    session, principal = db_session(), tenant_principal()
    kind = request.args.get("kind", "receipt")
    if kind not in FORM_KINDS:
        kind = "receipt"
    form = MovementForm()
    if request.method == "GET":
        form.sku_code.data = request.args.get("sku", "")[:60]
        form.warehouse_id.data = _int_arg("warehouse_id") or 0
    warehouses = [w for w in service.all_warehouses(session, principal) if w.is_active]
    form.warehouse_id.choices = [(w.id, f"{w.code} · {w.name}") for w in warehouses]
    status = 200
    if form.validate_on_submit():
        code = form.sku_code.data.strip().upper()
        sku_id = session.scalar(select(Sku.id).where(Sku.code == code))
        if sku_id is None:
            form.sku_code.errors = [_("No SKU has this code.")]
        else:
            try:
                _movement(form, kind, sku_id)
            except (ValidationFailed, Conflict) as error:
                attach_errors(form, error.fields or {"quantity": [error.message]})
            else:
                flash(_("Stock of %(code)s updated.", code=code), "success")
                return redirect(url_for("ui.stock_sku", sku_id=sku_id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "ui/console/inventory/movement_form.html",
        form=form,
        kind=kind,
        kinds=FORM_KINDS,
        has_warehouses=bool(warehouses),
    ), status


# --- warehouses ----------------------------------------------------------------------------


@bp.route("/console/stock/warehouses", methods=["GET", "POST"])
@console_page
@requires(Permission.INVENTORY_READ)
def warehouses():
    """The brand's warehouses, and (for managers) a form to add one."""
    session, principal = db_session(), tenant_principal()
    can_manage = principal.can(Permission.INVENTORY_MANAGE)
    form = WarehouseForm(formdata=None if request.method == "GET" else request.form)
    status = 200
    if request.method == "POST":
        status = 422
        if can_manage and form.validate_on_submit():
            try:
                created = service.create_warehouse(
                    session,
                    principal,
                    code=form.code.data,
                    name=form.name.data,
                    region=form.region.data or "",
                    address=form.address.data or "",
                )
            except ValidationFailed as error:
                attach_errors(form, error.fields)
            else:
                flash(_("Warehouse %(code)s created.", code=created.code), "success")
                return redirect(url_for("ui.warehouses"))
    return render_template(
        "ui/console/inventory/warehouses.html",
        warehouses=service.all_warehouses(session, principal),
        form=form,
        can_manage=can_manage,
    ), status


@bp.route("/console/stock/warehouses/<int:warehouse_id>", methods=["GET", "POST"])
@console_page
@requires(Permission.INVENTORY_MANAGE)
def warehouse_edit(warehouse_id: int):
    """Rename, move or deactivate a warehouse."""
    session, principal = db_session(), tenant_principal()
    warehouse = service.get_warehouse(session, principal, warehouse_id)
    if request.method == "GET":
        form = WarehouseForm(formdata=None, obj=warehouse)
        return render_template(
            "ui/console/inventory/warehouse_form.html", form=form, warehouse=warehouse
        )
    form = WarehouseForm()
    if form.validate_on_submit():
        try:
            service.update_warehouse(
                session,
                principal,
                warehouse_id,
                code=form.code.data,
                name=form.name.data,
                region=form.region.data or "",
                address=form.address.data or "",
                is_active=bool(form.is_active.data),
            )
        except ValidationFailed as error:
            attach_errors(form, error.fields)
        else:
            flash(_("Warehouse %(code)s saved.", code=warehouse.code), "success")
            return redirect(url_for("ui.warehouses"))
    return render_template(
        "ui/console/inventory/warehouse_form.html", form=form, warehouse=warehouse
    ), 422


# --- replenishment -------------------------------------------------------------------------


@bp.get("/console/stock/alerts")
@console_page
@requires(Permission.INVENTORY_READ)
def stock_alerts():
    """What to reorder now, and the low-stock alerts (open, or all)."""
    session, principal = db_session(), tenant_principal()
    show_all = request.args.get("all") == "1"
    alerts = reorder.list_alerts(
        session,
        principal,
        status=None if show_all else AlertStatus.OPEN,
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    suggestions = reorder.list_suggestions(session, principal, limit=200)
    return render_template(
        "ui/console/inventory/alerts.html",
        alerts=alerts,
        suggestions=suggestions.items,
        show_all=show_all,
        AlertStatus=AlertStatus,
        **_next_and_first("ui.stock_alerts", alerts, {"all": "1" if show_all else None}),
    )
