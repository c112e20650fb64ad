"""Forms of the console's price pages (every one carries a CSRF token).

The forms only gather what a person typed; the pricing service decides whether
it is valid (codes, dates, tiers, SKUs, amounts), and its errors land next to
the field they name (:func:`dinghuo.admin_ui.forms.attach_errors`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dinghuo.core.pricing.models import AssignmentScope, PriceList, PriceListKind

KIND_LABELS = {
    PriceListKind.LIST: _l("Price list"),
    PriceListKind.CONTRACT: _l("Contract prices"),
}
SOURCE_LABELS = {
    "contract": _l("Contract price"),
    "dealer": _l("Dealer's list"),
    "group": _l("Group list"),
    "tier": _l("Tier list"),
    "base": _l("Base price"),
}


class PriceListForm(FlaskForm):
    """A price list's fields and who it applies to (tiers, groups, dealers by code)."""

    FIELDS = ("code", "name", "kind", "priority", "valid_from", "valid_to", "is_active")

    code = StringField(_l("Price list code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Price list name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"))
    priority = IntegerField(
        _l("Priority"), default=100, validators=[NumberRange(min=0, max=1_000_000)]
    )
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid to"), validators=[Optional()])
    is_active = BooleanField(_l("Use this list"), default=True)
    tiers = StringField(_l("Dealer tiers"), validators=[Length(max=200)])
    group_ids = SelectMultipleField(
        _l("Dealer groups"),
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validate_choice=False,
    )
    dealer_codes = StringField(_l("Dealers"), validators=[Length(max=2000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels in the page's language, so built per request rather than at import.
        self.kind.choices = [SelectChoice(k.value, str(label)) for k, label in KIND_LABELS.items()]

    def fill(self, price_list: PriceList, dealer_codes: dict[int, str]) -> None:
        """Show a stored list (assignments as tiers, group ids and dealer codes)."""
        for name in self.FIELDS:
            value = getattr(price_list, name)
            self._fields[name].data = value.value if name == "kind" else value
        by_scope: dict[AssignmentScope, list[str]] = {s: [] for s in AssignmentScope}
        for assignment in price_list.assignments:
            by_scope[assignment.scope].append(assignment.value)
        self.tiers.data = ", ".join(sorted(by_scope[AssignmentScope.TIER]))
        self.group_ids.data = [int(v) for v in by_scope[AssignmentScope.GROUP]]
        self.dealer_codes.data = ", ".join(
            sorted(dealer_codes.get(int(v), v) for v in by_scope[AssignmentScope.DEALER])
        )

    def changes(self) -> dict[str, Any]:
        """The list's fields as the pricing service takes them."""
        return {name: self._fields[name].data for name in self.FIELDS}


class ItemForm(FlaskForm):
    """One quantity break: a SKU (by code) costs ``price`` from ``min_qty`` units up."""

    sku_code = StringField(_l("SKU code"), validators=[Length(max=60)])
    min_qty = IntegerField(
        _l("From quantity"), default=1, validators=[NumberRange(min=1, max=1_000_000)]
    )
    price = StringField(_l("Unit price"), validators=[DataRequired(), Length(max=20)])


class BulkItemsForm(FlaskForm):
    """Rows pasted from a spreadsheet: SKU code, from quantity, unit price."""

    rows = TextAreaField(_l("Rows"), validators=[DataRequired(), Length(max=200_000)])

    def items(self) -> list[dict[str, Any]]:
        """Each non-empty line as an item; tabs (Excel), commas or spaces separate cells."""
        items: list[dict[str, Any]] = []
        for line in (self.rows.data or "").splitlines():
            cells = line.replace("\t", ",").replace(" ", ",").split(",")
            cells = [c.strip() for c in cells if c.strip()]
            if not cells:
                continue
            if len(cells) == 2:
                cells.insert(1, "1")
            item: dict[str, Any] = {"sku_code": cells[0], "min_qty": cells[1]}
            if len(cells) > 2:
                item["price"] = cells[2].replace("¥", "")
            items.append(item)
        return items


class PreviewForm(FlaskForm):
    """Which dealer, SKUs, quantity and day to price (a GET form: no CSRF needed)."""

    class Meta:
        csrf = False

    dealer_code = StringField(_l("Dealer code"), validators=[DataRequired(), Length(max=40)])
    sku_codes = StringField(_l("SKU codes"), validators=[DataRequired(), Length(max=2000)])
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[NumberRange(min=1, max=1_000_000)]
    )
    on = DateField(_l("On"), validators=[Optional()], default=None)

    def day(self) -> dt.date | None:
        return self.on.data
