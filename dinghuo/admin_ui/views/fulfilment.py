"""Fulfilment in the UI: the shipping panel of the console's order page, the dealer's
shipments on the portal's, packing lists, returns and the serial search.

The order pages include two partials that receive only ``order``; the
template globals here (:func:`console_fulfilment`, :func:`portal_fulfilment`)
give them what they show. Every form posts to a view below, which calls the
same services as the API and comes back to the order with the outcome
flashed; a refused form changes nothing (the transaction is rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import console_page, portal_page
from dinghuo.admin_ui.labels import enum_label
from dinghuo.core.crm.models import Dealer
from dinghuo.core.fulfilment import returns, serials, service
from dinghuo.core.fulfilment.models import ReturnStatus, ShipmentStatus
from dinghuo.core.inventory import service as inventory
from dinghuo.core.inventory.models import Warehouse
from dinghuo.core.orders.models import Order
from dinghuo.errors import DomainError, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.platform.storage import StoredFileNotFound
from dinghuo.web import current_principal, db_session

PAGE_SIZE = 25


@bp.app_template_global()
def shipment_status_label(status: ShipmentStatus | str) -> str:
    return enum_label(status, "shipment_status")


@bp.app_template_global()
def tracking_label(status: str) -> str:
    return enum_label(status, "tracking_status")


@bp.app_template_global()
def return_status_label(status: ReturnStatus | str) -> str:
    return enum_label(status, "return_status")


@bp.app_template_global()
def confirmed_by_label(by: str) -> str:
    return enum_label(by, "confirmed_by")


def _order_returns(order: Order) -> list[Any]:
    return returns.list_returns(db_session(), None, order_id=order.id, limit=200).items


@bp.app_template_global()
def console_fulfilment(order: Order) -> dict[str, Any]:
    """What the console's shipping panel shows for ``order``, per the signed-in user's rights."""
    session, principal = db_session(), current_principal()
    warehouses = list(session.scalars(select(Warehouse).order_by(Warehouse.code)))
    lines = service.shippable_lines(session, principal, order.id)
    held: dict[int, int] = {}
    for line in lines:
        for warehouse_id, units in line.reserved.items():
            held[warehouse_id] = held.get(warehouse_id, 0) + units
    return {
        "shipments": service.list_shipments(session, principal, order.id),
        "lines": lines,
        "warehouses": warehouses,
        "ship_from": max(held, key=lambda w: (held[w], -w)) if held else None,
        "warehouse_codes": {w.id: w.code for w in warehouses},
        "warehouse_names": {w.id: w.name or w.code for w in warehouses},
        "can_ship": principal is not None
        and principal.can(Permission.SHIPMENTS_MANAGE)
        and order.status in service.SHIPPABLE,
        "can_track": principal is not None and principal.can(Permission.SHIPMENTS_MANAGE),
        "returns": _order_returns(order),
        "tracking_statuses": service.TRACKING_STATUSES,
    }


@bp.app_template_global()
def portal_fulfilment(order: Order) -> dict[str, Any]:
    """What the portal's shipments section shows: boxes, tracking, returns, what can go back."""
    session, principal = db_session(), current_principal()
    shipments = service.list_shipments(session, principal, order.id)
    returnable = returns.returnable(session, order) if shipments else {}
    return {
        "shipments": shipments,
        "returns": _order_returns(order),
        "returnable": [(line, returnable.get(line.id, 0)) for line in order.lines],
        "can_return": any(returnable.values()),
    }


def _attempt(action: Callable[[], Any]) -> tuple[Any, DomainError | None]:
    """Run a service call; on refusal roll back (the redirect would otherwise commit)."""
    session = db_session()
    try:
        return action(), None
    except DomainError as error:
        session.rollback()
        return None, error


def _explain(error: DomainError) -> str:
    """The refusal as one line: the message and, for a form, which field said what."""
    details = "; ".join(f"{field}: {' '.join(reasons)}" for field, reasons in error.fields.items())
    if isinstance(error, ValidationFailed) and details:
        return details
    return error.message


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


# --- console: shipping ---------------------------------------------------------------------


def _back_to_order(order_id: int) -> Response:
    return redirect(url_for("ui.order_detail", order_id=order_id) + "#fulfilment")


@bp.post("/console/orders/<int:order_id>/shipments")
@console_page
@requires(Permission.SHIPMENTS_MANAGE)
def console_ship(order_id: int):
    """Ship the quantities typed per line from one warehouse, with the serials scanned."""
    session, principal = db_session(), tenant_principal()
    order = service.visible_order(session, principal, order_id)
    lines = []
    for line in order.lines:
        quantity = _int(request.form.get(f"quantity_{line.id}"))
        if quantity:
            lines.append(
                {
                    "line_id": line.id,
                    "quantity": quantity,
                    "serials": serials.parse_pasted(request.form.get(f"serials_{line.id}", "")),
                }
            )
    if not lines:
        flash(_("Type the quantity to ship on at least one line."), "error")
        return _back_to_order(order_id)
    shipment, error = _attempt(
        lambda: service.create_shipment(
            session,
            principal,
            order_id,
            warehouse_id=_int(request.form.get("warehouse_id")),
            lines=lines,
            carrier=request.form.get("carrier", "").strip() or None,
            tracking_number=request.form.get("tracking_number", ""),
            parcels=_int(request.form.get("parcels")) or 1,
            weight_grams=_int(request.form.get("weight_grams")) or 0,
        )
    )
    if error:
        flash(_("Not shipped: %(reason)s", reason=_explain(error)), "error")
    else:
        flash(_("Shipment %(number)s created.", number=shipment.number), "success")
    return _back_to_order(order_id)


@bp.post("/console/orders/<int:order_id>/lines/<int:line_id>/allocate")
@console_page
@requires(Permission.SHIPMENTS_MANAGE)
def console_allocate(order_id: int, line_id: int):
    """Hold some of a line's units in another warehouse."""
    session, principal = db_session(), tenant_principal()
    _line, error = _attempt(
        lambda: service.allocate_line(
            session,
            principal,
            order_id,
            line_id,
            warehouse_id=_int(request.form.get("warehouse_id")),
            quantity=_int(request.form.get("quantity")),
        )
    )
    if error:
        flash(_("Not moved: %(reason)s", reason=_explain(error)), "error")
    else:
        flash(_("Stock moved."), "success")
    return _back_to_order(order_id)


@bp.post("/console/shipments/<int:shipment_id>/tracking")
@console_page
@requires(Permission.SHIPMENTS_MANAGE)
def console_tracking(shipment_id: int):
    """Record a step of the journey typed by staff."""
    session, principal = db_session(), tenant_principal()
    shipment = service.get_shipment(session, principal, shipment_id)
    _event, error = _attempt(
        lambda: service.add_tracking_event(
            session,
            principal,
            shipment_id,
            status=request.form.get("status", ""),
            location=request.form.get("location", ""),
            description=request.form.get("description", ""),
        )
    )
    if error:
        flash(_explain(error), "error")
    else:
        flash(_("Tracking updated."), "success")
    return _back_to_order(shipment.order_id)


@bp.post("/console/shipments/<int:shipment_id>/deliver")
@console_page
@requires(Permission.SHIPMENTS_MANAGE)
def console_deliver(shipment_id: int):
    """Staff confirm the delivery (e.g. the dealer said so on the phone)."""
    session, principal = db_session(), tenant_principal()
    shipment = service.get_shipment(session, principal, shipment_id)
    _done, error = _attempt(
        lambda: service.confirm_delivery(
            session, principal, shipment_id, request.form.get("note", "")
        )
    )
    if error:
        flash(_explain(error), "error")
    else:
        flash(_("Shipment %(number)s delivered.", number=shipment.number), "success")
    return _back_to_order(shipment.order_id)


def _packing_list(shipment_id: int, back_url: str) -> str:
    packing = service.packing_list(db_session(), tenant_principal(), shipment_id)
    return render_template("ui/print/packing_list.html", packing=packing, back_url=back_url)


@bp.get("/console/shipments/<int:shipment_id>/packing-list")
@console_page
@requires(Permission.ORDERS_READ)
def console_packing_list(shipment_id: int):
    """The packing list made for paper: what is in the box, with serials and the address."""
    shipment = service.get_shipment(db_session(), tenant_principal(), shipment_id)
    return _packing_list(shipment_id, url_for("ui.order_detail", order_id=shipment.order_id))


def _label(shipment_id: int) -> Response:
    try:
        data, content_type = service.label(db_session(), tenant_principal(), shipment_id)
    except StoredFileNotFound:
        return Response(status=404)
    return Response(data, mimetype=content_type)


@bp.get("/console/shipments/<int:shipment_id>/label")
@console_page
@requires(Permission.ORDERS_READ)
def console_label(shipment_id: int):
    """The carrier's label, to print and stick on the box."""
    return _label(shipment_id)


# --- portal: delivery and returns ----------------------------------------------------------


def _back_to_portal_order(order_id: int) -> Response:
    return redirect(url_for("ui.portal_order", order_id=order_id) + "#shipments")


@bp.post("/shipments/<int:shipment_id>/deliver")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_deliver(shipment_id: int):
    """The dealer confirms the box arrived."""
    session, principal = db_session(), tenant_principal()
    shipment = service.get_shipment(session, principal, shipment_id)
    _done, error = _attempt(lambda: service.confirm_delivery(session, principal, shipment_id))
    if error:
        flash(_explain(error), "error")
    else:
        flash(_("Thank you: shipment %(number)s is delivered.", number=shipment.number), "success")
    return _back_to_portal_order(shipment.order_id)


@bp.get("/shipments/<int:shipment_id>/packing-list")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_packing_list(shipment_id: int):
    """The packing list, to check the box against."""
    shipment = service.get_shipment(db_session(), tenant_principal(), shipment_id)
    return _packing_list(shipment_id, url_for("ui.portal_order", order_id=shipment.order_id))


@bp.get("/shipments/<int:shipment_id>/label")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_label(shipment_id: int):
    """The carrier's label, as the brand printed it."""
    return _label(shipment_id)


@bp.post("/orders/<int:order_id>/returns")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_request_return(order_id: int):
    """Ask to send delivered units back: quantities per line, serials, and why."""
    session, principal = db_session(), tenant_principal()
    order = service.visible_order(session, principal, order_id)
    lines = []
    for line in order.lines:
        quantity = _int(request.form.get(f"return_{line.id}"))
        if quantity:
            lines.append(
                {
                    "line_id": line.id,
                    "quantity": quantity,
                    "serials": serials.parse_pasted(
                        request.form.get(f"return_serials_{line.id}", "")
                    ),
                }
            )
    if not lines:
        flash(_("Type how many units of which line you want to return."), "error")
        return _back_to_portal_order(order_id)
    rma, error = _attempt(
        lambda: returns.request_return(
            session, principal, order_id, reason=request.form.get("reason", ""), lines=lines
        )
    )
    if error:
        flash(_("Return not requested: %(reason)s", reason=_explain(error)), "error")
    else:
        flash(_("Return %(number)s requested.", number=rma.number), "success")
    return _back_to_portal_order(order_id)


# --- console: returns ----------------------------------------------------------------------


@bp.get("/console/returns")
@console_page
@requires(Permission.ORDERS_READ)
def console_returns():
    """Returns to decide and to receive, newest first; filter by status."""
    session, principal = db_session(), tenant_principal()
    status = request.args.get("status") or None
    if status not in {s.value for s in ReturnStatus}:
        status = None
    page = returns.list_returns(
        session,
        principal,
        status=status,
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    orders = {
        o.id: o
        for o in session.scalars(
            select(Order).where(Order.id.in_({r.order_id for r in page.items}))
        )
    }
    dealers = {
        d.id: d
        for d in session.scalars(
            select(Dealer).where(Dealer.id.in_({r.dealer_id for r in page.items}))
        )
    }
    return render_template(
        "ui/console/returns/index.html",
        page=page,
        status=status,
        statuses=list(ReturnStatus),
        orders=orders,
        dealers=dealers,
        next_url=url_for("ui.console_returns", status=status, cursor=page.next_cursor)
        if page.next_cursor
        else None,
    )


@bp.get("/console/returns/<int:return_id>")
@console_page
@requires(Permission.ORDERS_READ)
def console_return(return_id: int):
    """One return: its lines and serials, and the decision or receipt to make."""
    session, principal = db_session(), tenant_principal()
    rma = returns.get_return(session, principal, return_id)
    order = service.visible_order(session, principal, rma.order_id)
    return render_template(
        "ui/console/returns/detail.html",
        rma=rma,
        order=order,
        dealer=session.scalar(select(Dealer).where(Dealer.id == rma.dealer_id)),
        order_lines={line.id: line for line in order.lines},
        warehouses=inventory.all_warehouses(session, None),
        can_manage=principal.can(Permission.RETURNS_MANAGE),
    )


def _decide(return_id: int, action: Callable[[], Any], done: str) -> Response:
    rma, error = _attempt(action)
    if error:
        flash(_explain(error), "error")
    else:
        flash(done % {"number": rma.number}, "success")
    return redirect(url_for("ui.console_return", return_id=return_id))


@bp.post("/console/returns/<int:return_id>/approve")
@console_page
@requires(Permission.RETURNS_MANAGE)
def console_return_approve(return_id: int):
    note = request.form.get("note", "")
    return _decide(
        return_id,
        lambda: returns.approve(db_session(), tenant_principal(), return_id, note),
        _("Return %(number)s approved."),
    )


@bp.post("/console/returns/<int:return_id>/reject")
@console_page
@requires(Permission.RETURNS_MANAGE)
def console_return_reject(return_id: int):
    note = request.form.get("note", "")
    return _decide(
        return_id,
        lambda: returns.reject(db_session(), tenant_principal(), return_id, note),
        _("Return %(number)s rejected."),
    )


@bp.post("/console/returns/<int:return_id>/receive")
@console_page
@requires(Permission.RETURNS_MANAGE)
def console_return_receive(return_id: int):
    """The units arrived: per line, resalable or not and which warehouse takes them."""
    session, principal = db_session(), tenant_principal()
    rma = returns.get_return(session, principal, return_id)
    lines = [
        {
            "return_line_id": line.id,
            "resalable": request.form.get(f"resalable_{line.id}") == "1",
            "warehouse_id": _int(request.form.get(f"warehouse_{line.id}")),
        }
        for line in rma.lines
    ]
    return _decide(
        return_id,
        lambda: returns.receive(
            session, principal, return_id, lines=lines, note=request.form.get("note", "")
        ),
        _("Return %(number)s received; resalable units are back in stock."),
    )


# --- console: serial search ----------------------------------------------------------------


@bp.get("/console/serials")
@console_page
@requires(Permission.ORDERS_READ)
def console_serials():
    """Find a unit by its serial number or IMEI: which dealer, order and shipment, when."""
    q = request.args.get("q", "").strip()[:64]
    found: list[serials.SerialTrace] = []
    problem = None
    if q:
        try:
            found = serials.search(db_session(), tenant_principal(), q)
        except ValidationFailed:
            problem = _("Type at least 4 characters of the serial number.")
    return render_template("ui/console/serials.html", q=q, found=found, problem=problem)
