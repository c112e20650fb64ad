"""The console's price pages: price lists, their assignments and quantity breaks, a preview.

Every read and change goes through :mod:`dinghuo.core.pricing.service`, which
authorises the actor itself; the decorators only decide what to show. A page
that refuses input answers 422, so the request's transaction is rolled back
and nothing half-done is kept.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import attach_errors
from dinghuo.admin_ui.guards import console_page
from dinghuo.admin_ui.messages import N_
from dinghuo.admin_ui.price_forms import (
    KIND_LABELS,
    SOURCE_LABELS,
    BulkItemsForm,
    ItemForm,
    PreviewForm,
    PriceListForm,
)
from dinghuo.core.crm.models import Dealer
from dinghuo.core.crm.service import list_groups
from dinghuo.core.pricing import service as pricing
from dinghuo.core.pricing.models import AssignmentScope, PriceList, PriceListKind
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

PAGE_SIZE = 25
ITEMS_PAGE_SIZE = 100

PRICING_MESSAGES = (
    N_("A price list with this code already exists."),
    N_("Must not be before valid_from."),
    N_("A contract price list is assigned to exactly one dealer."),
    N_("This SKU already has a price from this quantity in this list."),
    N_("Repeats an earlier row's SKU and minimum quantity."),
    N_("Use a dealer tier such as A, B, C or D."),
    N_("Must be a whole number."),
    N_('Must be an amount as a string, e.g. "99.00".'),
    N_('Must be an amount, e.g. "99.00".'),
    N_("No such price list."),
    N_("No such price list item."),
)
"""Service messages these pages show, marked so the catalogs carry their translations."""


def _kind_filter(value: str | None) -> PriceListKind | None:
    try:
        return PriceListKind(value) if value else None
    except ValueError:
        return None


@bp.get("/console/prices")
@console_page
@requires(Permission.PRICES_READ)
def price_lists():
    """The brand's price lists; search by code or name, filter by kind."""
    session = db_session()
    principal = tenant_principal()
    filters = {
        "q": request.args.get("q", "").strip()[:100],
        "kind": request.args.get("kind", "") if _kind_filter(request.args.get("kind")) else "",
    }
    page = pricing.list_price_lists(
        session,
        principal,
        q=filters["q"] or None,
        kind=_kind_filter(filters["kind"]),
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    active = {k: v for k, v in filters.items() if v}
    return render_template(
        "ui/console/prices/lists.html",
        page=page,
        filters=filters,
        labels=pricing.assignment_label(session, page.items),
        next_url=url_for("ui.price_lists", cursor=page.next_cursor, **active)
        if page.next_cursor
        else None,
        first_url=url_for("ui.price_lists", **active) if request.args.get("cursor") else None,
        can_manage=principal.can(Permission.PRICES_MANAGE),
        kind_labels=KIND_LABELS,
        today=pricing.tenant_today(session),
    )


def _group_choices() -> list[SelectChoice]:
    page = list_groups(db_session(), None, limit=200)
    return [SelectChoice(g.id, f"{g.code} {g.name}") for g in page.items]


def _assignments(form: PriceListForm) -> tuple[list[dict[str, Any]], list[str]]:
    """The form's tiers, groups and dealer codes as the service's assignments.

    Also returns, for each assignment, the form field it came from, so an error
    the service names ``assignments.3.value`` lands next to that field.
    """
    tiers = (form.tiers.data or "").replace(",", " ").split()
    groups = form.group_ids.data or []
    dealers = pricing.dealer_ids_for_codes(
        db_session(), "dealer_codes", form.dealer_codes.data or ""
    )
    entries = [
        *({"scope": "tier", "value": t} for t in tiers),
        *({"scope": "group", "value": g} for g in groups),
        *({"scope": "dealer", "value": d} for d in dealers),
    ]
    origin = ["tiers"] * len(tiers) + ["group_ids"] * len(groups) + ["dealer_codes"] * len(dealers)
    return entries, origin


def _form_fields(error: ValidationFailed, origin: list[str]) -> dict[str, list[str]]:
    """The service's field names mapped to the form's (``assignments.N.value`` → its field)."""
    fields: dict[str, list[str]] = {}
    for name, reasons in error.fields.items():
        parts = name.split(".")
        if parts[0] == "assignments" and len(parts) == 3 and int(parts[1]) < len(origin):
            target = origin[int(parts[1])]
        elif parts[0] == "assignments":
            target = "dealer_codes"
        else:
            target = name
        fields.setdefault(target, []).extend(reasons)
    return fields


def _form_page(form: PriceListForm, price_list: PriceList | None, status: int = 200):
    return render_template(
        "ui/console/prices/list_form.html",
        form=form,
        price_list=price_list,
        can_manage=tenant_principal().can(Permission.PRICES_MANAGE),
    ), status


def _submit(form: PriceListForm, price_list: PriceList | None):
    if form.validate_on_submit():
        session = db_session()
        principal = tenant_principal()
        origin: list[str] = []
        try:
            entries, origin = _assignments(form)
            changes = form.changes()
            if price_list is None:
                saved = pricing.create_price_list(session, principal, **changes)
                pricing.set_assignments(session, principal, saved.id, entries)
            elif changes["kind"] == PriceListKind.CONTRACT.value:
                # A contract's one dealer must be in place before the kind changes.
                pricing.set_assignments(session, principal, price_list.id, entries)
                saved = pricing.update_price_list(session, principal, price_list.id, **changes)
            else:
                saved = pricing.update_price_list(session, principal, price_list.id, **changes)
                pricing.set_assignments(session, principal, price_list.id, entries)
        except ValidationFailed as error:
            attach_errors(form, _form_fields(error, origin))
        else:
            flash(_("Price list %(code)s saved.", code=saved.code), "success")
            return redirect(url_for("ui.price_list_edit", price_list_id=saved.id))
    return _form_page(form, price_list, 422)


@bp.route("/console/prices/new", methods=["GET", "POST"])
@console_page
@requires(Permission.PRICES_MANAGE)
def price_list_new():
    """Create a price list with its validity, priority and assignments."""
    form = PriceListForm()
    form.group_ids.choices = _group_choices()
    if request.method == "GET":
        return _form_page(form, None)
    return _submit(form, None)


@bp.route("/console/prices/<int:price_list_id>", methods=["GET", "POST"])
@console_page
@requires(Permission.PRICES_READ)
def price_list_edit(price_list_id: int):
    """A price list's fields and assignments (changing them needs ``prices:manage``)."""
    session = db_session()
    price_list = pricing.get_price_list(session, tenant_principal(), price_list_id)
    if request.method == "GET":
        form = PriceListForm(formdata=None)
        form.group_ids.choices = _group_choices()
        dealer_ids = [
            int(a.value) for a in price_list.assignments if a.scope == AssignmentScope.DEALER
        ]
        codes = dict(
            session.execute(select(Dealer.id, Dealer.code).where(Dealer.id.in_(dealer_ids))).all()
        )
        form.fill(price_list, codes)
        return _form_page(form, price_list)
    if not tenant_principal().can(Permission.PRICES_MANAGE):
        return redirect(url_for("ui.price_list_edit", price_list_id=price_list_id))
    form = PriceListForm()
    form.group_ids.choices = _group_choices()
    return _submit(form, price_list)


@bp.post("/console/prices/<int:price_list_id>/delete")
@console_page
@requires(Permission.PRICES_MANAGE)
def price_list_delete(price_list_id: int):
    """Delete a price list; its dealers fall back to their next price."""
    session = db_session()
    price_list = pricing.get_price_list(session, tenant_principal(), price_list_id)
    code = price_list.code
    pricing.delete_price_list(session, tenant_principal(), price_list_id)
    flash(_("Price list %(code)s deleted.", code=code), "success")
    return redirect(url_for("ui.price_lists"))


# --- items ----------------------------------------------------------------------------------


def _items_page(
    price_list_id: int,
    add_form: ItemForm | None = None,
    bulk_form: BulkItemsForm | None = None,
    row_errors: dict[int, list[str]] | None = None,
    status: int = 200,
):
    session = db_session()
    principal = tenant_principal()
    price_list = pricing.get_price_list(session, principal, price_list_id)
    sku_filter = request.args.get("sku", "").strip()[:60]
    sku_id = None
    if sku_filter:
        try:
            sku_id = pricing.sku_ids_for_codes(session, "sku", sku_filter)[0]
        except ValidationFailed:
            sku_id = 0
    page = pricing.list_items(
        session,
        principal,
        price_list_id,
        sku_id=sku_id,
        limit=ITEMS_PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    skus = pricing.skus_by_id(session, (item.sku_id for item in page.items))
    rows = sorted(page.items, key=lambda item: (skus[item.sku_id].code, item.min_qty))
    extra = {"sku": sku_filter} if sku_filter else {}
    return render_template(
        "ui/console/prices/items.html",
        price_list=price_list,
        rows=rows,
        skus=skus,
        sku_filter=sku_filter,
        add_form=add_form or ItemForm(formdata=None),
        bulk_form=bulk_form or BulkItemsForm(formdata=None),
        row_errors=row_errors or {},
        can_manage=principal.can(Permission.PRICES_MANAGE),
        next_url=url_for(
            "ui.price_list_items", price_list_id=price_list_id, cursor=page.next_cursor, **extra
        )
        if page.next_cursor
        else None,
    ), status


@bp.get("/console/prices/<int:price_list_id>/items")
@console_page
@requires(Permission.PRICES_READ)
def price_list_items(price_list_id: int):
    """The list's prices per SKU, with their quantity breaks."""
    return _items_page(price_list_id)


def _back_to_items(price_list_id: int):
    return redirect(url_for("ui.price_list_items", price_list_id=price_list_id))


@bp.post("/console/prices/<int:price_list_id>/items")
@console_page
@requires(Permission.PRICES_MANAGE)
def price_list_item_add(price_list_id: int):
    """Add one price: a SKU picked by its code, from a quantity, at a unit price."""
    form = ItemForm()
    if form.validate_on_submit():
        try:
            pricing.add_item(
                db_session(),
                tenant_principal(),
                price_list_id,
                sku_code=form.sku_code.data,
                min_qty=form.min_qty.data,
                price=form.price.data,
            )
        except ValidationFailed as error:
            attach_errors(form, error.fields)
        else:
            flash(_("Price added."), "success")
            return _back_to_items(price_list_id)
    return _items_page(price_list_id, add_form=form, status=422)


@bp.post("/console/prices/<int:price_list_id>/items/<int:item_id>")
@console_page
@requires(Permission.PRICES_MANAGE)
def price_list_item_edit(price_list_id: int, item_id: int):
    """Change one row's quantity or price."""
    form = ItemForm()
    if form.validate_on_submit():
        try:
            pricing.update_item(
                db_session(),
                tenant_principal(),
                price_list_id,
                item_id,
                min_qty=form.min_qty.data,
                price=form.price.data,
            )
        except ValidationFailed as error:
            form.price.errors = [*form.price.errors, *error.fields.get("price", [])]
            form.min_qty.errors = [*form.min_qty.errors, *error.fields.get("min_qty", [])]
        else:
            flash(_("Price saved."), "success")
            return _back_to_items(price_list_id)
    errors = [str(e) for e in [*form.min_qty.errors, *form.price.errors, *form.sku_code.errors]]
    return _items_page(price_list_id, row_errors={item_id: errors}, status=422)


@bp.post("/console/prices/<int:price_list_id>/items/<int:item_id>/delete")
@console_page
@requires(Permission.PRICES_MANAGE)
def price_list_item_delete(price_list_id: int, item_id: int):
    """Remove one row (quantity break)."""
    pricing.delete_item(db_session(), tenant_principal(), price_list_id, item_id)
    flash(_("Price removed."), "success")
    return _back_to_items(price_list_id)


@bp.post("/console/prices/<int:price_list_id>/items/bulk")
@console_page
@requires(Permission.PRICES_MANAGE)
def price_list_items_bulk(price_list_id: int):
    """Paste many rows at once; one bad row changes nothing and is named."""
    form = BulkItemsForm()
    if form.validate_on_submit():
        try:
            result = pricing.upsert_items(
                db_session(), tenant_principal(), price_list_id, form.items()
            )
        except ValidationFailed as error:
            attach_errors(
                form,
                {"rows": [_row_message(name, reasons) for name, reasons in error.fields.items()]},
            )
        else:
            flash(
                _(
                    "%(created)s prices added, %(updated)s changed.",
                    created=result.created,
                    updated=result.updated,
                ),
                "success",
            )
            return _back_to_items(price_list_id)
    return _items_page(price_list_id, bulk_form=form, status=422)


def _row_message(name: str, reasons: list[str]) -> str:
    """``items.3.price`` → "Line 4, unit price: …" (lines count from 1)."""
    parts = name.split(".")
    reason = " ".join(_(str(r)) for r in reasons)
    if len(parts) == 3 and parts[1].isdigit():
        column = {
            "sku_code": _("SKU code"),
            "sku_id": _("SKU code"),
            "min_qty": _("From quantity"),
            "price": _("Unit price"),
        }.get(parts[2], parts[2])
        return _(
            "Line %(line)s, %(column)s: %(reason)s",
            line=int(parts[1]) + 1,
            column=column,
            reason=reason,
        )
    return reason


# --- preview --------------------------------------------------------------------------------


@bp.get("/console/prices/preview")
@console_page
@requires(Permission.PRICES_READ)
def price_preview():
    """What a dealer pays for some SKUs at a quantity on a day, and which list decides it."""
    session = db_session()
    form = PreviewForm(request.args)
    results: list[Any] = []
    dealer = None
    status = 200
    if request.args and form.validate():
        try:
            dealer_id = pricing.dealer_ids_for_codes(session, "dealer_code", form.dealer_code.data)
            if not dealer_id:
                raise ValidationFailed.field("dealer_code", "Required.")
            sku_ids = pricing.sku_ids_for_codes(session, "sku_codes", form.sku_codes.data)
            results = pricing.preview_prices(
                session,
                tenant_principal(),
                dealer_id[0],
                sku_ids,
                form.quantity.data,
                on=form.day(),
            )
            dealer = session.scalar(select(Dealer).where(Dealer.id == dealer_id[0]))
        except ValidationFailed as error:
            attach_errors(form, error.fields)
            status = 422
    elif request.args:
        status = 422
    return render_template(
        "ui/console/prices/preview.html",
        form=form,
        results=results,
        dealer=dealer,
        skus=pricing.skus_by_id(session, (r.sku_id for r in results)),
        source_labels=SOURCE_LABELS,
        today=pricing.tenant_today(session),
    ), status
