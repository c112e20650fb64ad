"""The portal's saved lists: a dealer's repeat orders, kept as SKU codes and quantities.

A list is edited as text, one "code quantity" line per item, the same format as
quick order's paste box, so a list can be filled from Excel in one paste.
Every action is one call to :mod:`dinghuo.core.orders.lists`.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import portal_page
from dinghuo.admin_ui.views.cart import cart_message, flash_added
from dinghuo.core.orders import lists, quick
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

PAGE_SIZE = 100


def _items(text: str) -> tuple[list[quick.Row], list[dict]]:
    rows = quick.parse_pasted(text) if text.strip() else []
    return rows, [row.as_item() for row in rows]


def _messages(rows: list[quick.Row], error: ValidationFailed) -> list[str]:
    by_row = quick.row_errors(rows, error.fields)
    if by_row:
        return [
            _("Line %(n)s: %(reason)s", n=n, reason=" ".join(map(cart_message, reasons)))
            for n, reasons in sorted(by_row.items())
        ]
    return [cart_message(m) for ms in error.fields.values() for m in ms] or [error.message]


def _index(name: str = "", text: str = "", errors: list[str] | None = None, status: int = 200):
    session, principal = db_session(), tenant_principal()
    page = lists.list_lists(session, principal, limit=PAGE_SIZE)
    counts = lists.item_counts(session, [row.id for row in page.items])
    return render_template(
        "ui/cart/lists.html",
        saved=page.items,
        counts=counts,
        name=name,
        text=text,
        errors=errors or [],
    ), status


@bp.get("/lists")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_lists():
    """The dealer's saved lists, a form for a new one, and "save the cart as a list"."""
    return _index()


@bp.post("/lists")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_list_create():
    session, principal = db_session(), tenant_principal()
    name = request.form.get("name", "")[:200]
    text = request.form.get("text", "")[: quick.MAX_PASTE_CHARS]
    rows: list[quick.Row] = []
    try:
        if request.form.get("from_cart"):
            view = lists.save_cart_as_list(session, principal, name=name)
        else:
            rows, items = _items(text)
            view = lists.create_list(session, principal, name=name, items=items)
    except ValidationFailed as error:
        return _index(name, text, _messages(rows, error), 422)
    flash(_("List %(name)s saved.", name=view.requisition_list.name), "success")
    return redirect(url_for("ui.portal_list", list_id=view.requisition_list.id))


def _detail(
    list_id: int, *, text: str | None = None, errors: list[str] | None = None, status: int = 200
):
    view = lists.get_list(db_session(), tenant_principal(), list_id)
    if text is None:
        text = "\n".join(f"{item.sku.code}\t{item.quantity}" for item in view.items if item.sku)
    return render_template("ui/cart/list.html", view=view, text=text, errors=errors or []), status


@bp.get("/lists/<int:list_id>")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_list(list_id: int):
    """One list: its items (with what can no longer be ordered), edit, add to cart."""
    return _detail(list_id)


@bp.post("/lists/<int:list_id>")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_list_update(list_id: int):
    session, principal = db_session(), tenant_principal()
    text = request.form.get("text", "")[: quick.MAX_PASTE_CHARS]
    rows: list[quick.Row] = []
    try:
        rows, items = _items(text)
        lists.update_list(
            session, principal, list_id, {"name": request.form.get("name", ""), "items": items}
        )
    except ValidationFailed as error:
        return _detail(list_id, text=text, errors=_messages(rows, error), status=422)
    flash(_("The list is saved."), "success")
    return redirect(url_for("ui.portal_list", list_id=list_id))


@bp.post("/lists/<int:list_id>/delete")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_list_delete(list_id: int):
    lists.delete_list(db_session(), tenant_principal(), list_id)
    flash(_("The list is deleted."), "success")
    return redirect(url_for("ui.portal_lists"))


@bp.post("/lists/<int:list_id>/add-to-cart")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_list_to_cart(list_id: int):
    flash_added(lists.add_list_to_cart(db_session(), tenant_principal(), list_id))
    return redirect(url_for("ui.portal_cart"))
