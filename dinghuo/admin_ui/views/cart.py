"""The cart pages: the dealer's cart, quick order (paste, rows, upload), the variant grid's
"add to cart", and the console's "order for a dealer", which is the same cart seen by a
sales rep (their own cart for that dealer).

Every action is one call to :mod:`dinghuo.core.orders.cart`; a refused input
re-renders the page with 422 and the errors next to the rows they concern
(the request's transaction is rolled back, so nothing is half-added).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import console_page, portal_page
from dinghuo.core.catalog.portal import DealerProductView, SkuOffer
from dinghuo.core.crm.service import list_dealers
from dinghuo.core.orders import cart, quick
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

QUICK_ROWS = 8
_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"Unknown code: (?P<code>.+)\."), lambda m: _("Unknown code: %(code)s.", **m)),
    (re.compile(r"Unknown SKU\."), lambda m: _("Unknown SKU.")),
    (
        re.compile(r"(?P<code>\S+) is no longer sold\."),
        lambda m: _("%(code)s is no longer sold.", **m),
    ),
    (
        re.compile(r"Quantity must be a whole number above zero\."),
        lambda m: _("Quantity must be a whole number above zero."),
    ),
    (
        re.compile(r"Order at most (?P<n>\d+) units (a line|of one SKU)\."),
        lambda m: _("Order at most %(n)s units of one SKU.", n=m["n"]),
    ),
    (
        re.compile(r"(?P<code>\S+) is sold in at least (?P<n>\d+) units\."),
        lambda m: _("%(code)s is sold in at least %(n)s units.", **m),
    ),
    (
        re.compile(r"(?P<code>\S+) is sold in multiples of (?P<n>\d+)\."),
        lambda m: _("%(code)s is sold in multiples of %(n)s.", **m),
    ),
]
DEALER_CHOICES = 200
CHECKOUT_ENDPOINTS = {"portal": "ui.portal_checkout", "console": "ui.console_checkout"}


@bp.app_template_filter("cart_message")
def cart_message(message: str) -> str:
    """The cart service's message in the user's language (the service speaks English, for
    the API; its messages have these fixed shapes)."""
    for pattern, translate in _MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return str(translate(match.groupdict()))
    return message


def _urls(area: str, dealer_id: int | None) -> dict[str, str]:
    """Where the cart page's forms post, in the portal or (with the dealer) in the console."""
    prefix = "ui.portal_cart" if area == "portal" else "ui.console_order_for"
    extra = {} if area == "portal" else {"dealer_id": dealer_id}
    urls = {
        name: url_for(f"{prefix}{suffix}", **extra)
        for name, suffix in (
            ("cart", ""),
            ("update", "_update"),
            ("add", "_add"),
            ("upload", "_upload"),
            ("clear", "_clear"),
            ("seen", "_seen"),
        )
    }
    endpoint = CHECKOUT_ENDPOINTS[area]
    if endpoint in current_app.view_functions:
        urls["checkout"] = url_for(endpoint, **extra)
    return urls


def _cart_page(
    area: str,
    dealer_id: int | None,
    *,
    pasted: str = "",
    rows: list[dict[str, str]] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
):
    view = cart.get_cart(db_session(), tenant_principal(), dealer_id)
    return render_template(
        "ui/cart/cart.html",
        area=area,
        layout="ui/portal/layout.html" if area == "portal" else "ui/console/layout.html",
        cart=view,
        urls=_urls(area, view.dealer.id),
        pasted=pasted,
        rows=rows or [{"code": "", "quantity": ""} for _ in range(QUICK_ROWS)],
        errors=errors or {},
        line_errors=sorted(
            (int(key[5:]), messages)
            for key, messages in (errors or {}).items()
            if key.startswith("line-")
        ),
        quick_open=bool(errors) or request.args.get("quick") == "1",
    ), status


def _typed_rows() -> list[dict[str, str]]:
    codes = request.form.getlist("code")
    quantities = request.form.getlist("quantity")
    return [
        {
            "code": code.strip()[:60],
            "quantity": (quantities[i] if i < len(quantities) else "").strip()[:12],
        }
        for i, code in enumerate(codes[: QUICK_ROWS * 4])
    ]


def _add(area: str, dealer_id: int | None):
    """Quick order: the paste box and the typed rows, added in one go (all or nothing)."""
    session, principal = db_session(), tenant_principal()
    pasted = request.form.get("text", "")[: quick.MAX_PASTE_CHARS]
    typed = _typed_rows()
    keyed: list[tuple[str, quick.Row]] = []
    try:
        if pasted.strip():
            keyed.extend((f"line-{row.number}", row) for row in quick.parse_pasted(pasted))
        keyed.extend(
            (f"row-{index}", quick.Row(index + 1, row["code"], row["quantity"]))
            for index, row in enumerate(typed)
            if row["code"] or row["quantity"]
        )
        if not keyed:
            raise ValidationFailed.field("text", _("Paste or type at least one code."))
        items = [row.as_item() for _key, row in keyed]
        added = cart.add_items(session, principal, items, dealer_id)
    except ValidationFailed as error:
        errors = _errors_by_key([key for key, _row in keyed], error)
        return _cart_page(
            area, dealer_id, pasted=pasted, rows=_padded(typed), errors=errors, status=422
        )
    flash(_("Added to the cart: %(count)d lines.", count=len(keyed)), "success")
    return redirect(_urls(area, added.dealer.id)["cart"])


def _errors_by_key(keys: list[str], error: ValidationFailed) -> dict[str, list[str]]:
    """The cart's ``items.<i>.<field>`` errors under each input's key; the rest under "form"."""
    errors: dict[str, list[str]] = {}
    for name, messages in error.fields.items():
        match = re.fullmatch(r"items\.(\d+)\.\w+", name)
        if match and int(match.group(1)) < len(keys):
            errors.setdefault(keys[int(match.group(1))], []).extend(messages)
        else:
            errors.setdefault("form", []).extend(messages)
    return errors or {"form": [error.message]}


def _padded(typed: list[dict[str, str]]) -> list[dict[str, str]]:
    return typed + [{"code": "", "quantity": ""} for _ in range(QUICK_ROWS - len(typed))]


def _upload(area: str, dealer_id: int | None):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a .csv or .xlsx file first."), "error")
        return redirect(_urls_for(area, dealer_id))
    session, principal = db_session(), tenant_principal()
    rows: list[quick.Row] = []
    try:
        rows = quick.parse_upload(upload.filename, upload.read(quick.MAX_UPLOAD_BYTES + 1))
        cart.add_items(session, principal, [row.as_item() for row in rows], dealer_id)
    except ValidationFailed as error:
        by_row = quick.row_errors(rows, error.fields)
        messages = [
            _("Row %(row)d: %(reason)s", row=number, reason="; ".join(map(cart_message, reasons)))
            for number, reasons in sorted(by_row.items())
        ] or [error.message]
        return _cart_page(area, dealer_id, errors={"upload": messages}, status=422)
    flash(
        _("%(file)s: %(count)d lines added to the cart.", file=upload.filename, count=len(rows)),
        "success",
    )
    return redirect(_urls_for(area, dealer_id))


def _urls_for(area: str, dealer_id: int | None) -> str:
    if area == "portal":
        return url_for("ui.portal_cart")
    return url_for("ui.console_order_for", dealer_id=dealer_id)


def _quantity(raw: str) -> Any:
    raw = raw.strip()
    return int(raw) if raw.isdigit() else raw


def _update(area: str, dealer_id: int | None):
    """The cart form: every line's quantity (0 or "remove" takes it out)."""
    session, principal = db_session(), tenant_principal()
    remove = request.form.get("remove", type=int)
    lines = []
    for key, raw in request.form.items():
        if key.startswith("qty-") and key[4:].isdigit():
            sku_id = int(key[4:])
            lines.append({"sku_id": sku_id, "quantity": 0 if sku_id == remove else _quantity(raw)})
    if remove is not None and not any(line["sku_id"] == remove for line in lines):
        lines.append({"sku_id": remove, "quantity": 0})
    try:
        cart.set_lines(session, principal, lines, dealer_id)
    except ValidationFailed as error:
        errors = {
            f"sku-{lines[int(name.split('.')[1])]['sku_id']}": messages
            for name, messages in error.fields.items()
            if name.startswith("lines.")
        } or {"form": [error.message]}
        return _cart_page(area, dealer_id, errors=errors, status=422)
    if request.headers.get("X-Requested-With") == "fetch":
        return _cart_page(area, dealer_id)
    flash(_("The cart is updated."), "success")
    return redirect(_urls_for(area, dealer_id))


def _clear(area: str, dealer_id: int | None):
    cart.clear(db_session(), tenant_principal(), dealer_id)
    flash(_("The cart is empty."), "success")
    return redirect(_urls_for(area, dealer_id))


def _seen(area: str, dealer_id: int | None):
    cart.mark_seen(db_session(), tenant_principal(), dealer_id)
    flash(_("The new prices are accepted."), "success")
    return redirect(_urls_for(area, dealer_id))


# --- portal -------------------------------------------------------------------------------


@bp.get("/cart")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart():
    """The dealer's cart: quantities, live prices and totals, problems, quick order."""
    return _cart_page("portal", None)


@bp.post("/cart/update")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart_update():
    return _update("portal", None)


@bp.post("/cart/add")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart_add():
    return _add("portal", None)


@bp.post("/cart/upload")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart_upload():
    return _upload("portal", None)


@bp.post("/cart/clear")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart_clear():
    return _clear("portal", None)


@bp.post("/cart/seen")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart_seen():
    return _seen("portal", None)


@bp.post("/cart/grid")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart_grid():
    """The product page's variant grid: one quantity per variant, added together."""
    product_id = request.form.get("product_id", type=int)
    back = (
        url_for("ui.portal_product", product_id=product_id)
        if product_id
        else url_for("ui.portal_cart")
    )
    items = [
        {"sku_id": int(key[4:]), "quantity": _quantity(raw)}
        for key, raw in request.form.items()
        if key.startswith("qty-") and key[4:].isdigit() and raw.strip() not in ("", "0")
    ]
    if not items:
        flash(_("Enter a quantity for at least one variant."), "error")
        return redirect(back)
    try:
        cart.add_items(db_session(), tenant_principal(), items)
    except ValidationFailed as error:
        reasons = [message for messages in error.fields.values() for message in messages]
        flash(
            _("Nothing was added: %(reason)s", reason=" ".join(reasons) or error.message), "error"
        )
        return redirect(back)
    flash(_("Added to the cart: %(count)d lines.", count=len(items)), "success")
    return redirect(back)


@bp.post("/cart/reorder/<int:order_id>")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_cart_reorder(order_id: int):
    """ "Order again": a past order's lines into the cart; lines no longer sold are named."""
    result = cart.reorder(db_session(), tenant_principal(), order_id)
    flash_added(result)
    return redirect(url_for("ui.portal_cart"))


def flash_added(result: cart.AddedFrom) -> None:
    flash(_("Added to the cart: %(count)d lines.", count=result.added), "success")
    if result.skipped:
        codes = ", ".join(problem.sku_code or "?" for problem in result.skipped)
        flash(_("Left out, no longer sold: %(codes)s", codes=codes), "warning")


# --- console: order for a dealer ------------------------------------------------------------


@bp.get("/console/order-for")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_order_for():
    """Choose a dealer, then fill your cart for them (it is yours, not the dealer's users')."""
    dealer_id = request.args.get("dealer_id", type=int)
    if dealer_id:
        return _cart_page("console", dealer_id)
    q = request.args.get("q", "").strip()[:100]
    dealers = list_dealers(db_session(), tenant_principal(), q=q or None, limit=DEALER_CHOICES)
    return render_template("ui/cart/choose_dealer.html", dealers=dealers.items, q=q)


def _dealer_arg() -> int | None:
    return request.args.get("dealer_id", type=int)


@bp.post("/console/order-for/update")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_order_for_update():
    return _update("console", _dealer_arg())


@bp.post("/console/order-for/add")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_order_for_add():
    return _add("console", _dealer_arg())


@bp.post("/console/order-for/upload")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_order_for_upload():
    return _upload("console", _dealer_arg())


@bp.post("/console/order-for/clear")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_order_for_clear():
    return _clear("console", _dealer_arg())


@bp.post("/console/order-for/seen")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_order_for_seen():
    return _seen("console", _dealer_arg())


# --- the product page's variant grid -----------------------------------------------------------


@dataclass
class VariantGrid:
    """A product's orderable variants laid out by its first axis (rows, e.g. colour) and the
    others (columns, e.g. memory); a cell without a variant is ``None``."""

    row_axis: str
    column_axis: str
    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], SkuOffer]


@bp.app_template_global()
def variant_grid(view: DealerProductView) -> VariantGrid:
    axes = list(view.product.variant_axes or [])

    def value(offer: SkuOffer, names: list[str]) -> str:
        return " ".join(str(offer.sku.variant.get(name, "")) for name in names).strip()

    row_axes, column_axes = axes[:1], axes[1:]
    cells: dict[tuple[str, str], SkuOffer] = {}
    rows: list[str] = []
    columns: list[str] = []
    for offer in view.offers:
        row = value(offer, row_axes) if row_axes else offer.sku.variant_label
        column = value(offer, column_axes)
        if not row_axes or (row, column) in cells:
            row, column = offer.sku.variant_label or offer.sku.code, ""
        rows += [row] if row not in rows else []
        columns += [column] if column not in columns else []
        cells[(row, column)] = offer
    return VariantGrid(
        row_axis=" / ".join(row_axes),
        column_axis=" / ".join(column_axes),
        rows=rows,
        columns=columns,
        cells=cells,
    )
