"""Forms of the console's catalog pages (every one carries a CSRF token).

The forms only gather what a person typed; the catalog service decides whether
it is valid (codes, barcodes, MOQ, spec values…), and its errors land next to
the field they name (:func:`dinghuo.admin_ui.forms.attach_errors`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from dinghuo.admin_ui.messages import N_
from dinghuo.core.catalog.models import (
    ProductStatus,
    RelationKind,
    SpecAttribute,
    SpecKind,
    VisibilityScope,
)

STATUS_LABELS = {
    ProductStatus.DRAFT: _l("Draft"),
    ProductStatus.ACTIVE: _l("Active"),
    ProductStatus.DISCONTINUED: _l("Discontinued"),
}
SPEC_KIND_LABELS = {
    SpecKind.TEXT: _l("Text"),
    SpecKind.NUMBER: _l("Number"),
    SpecKind.CHOICE: _l("Choice"),
}
RELATION_LABELS = {
    RelationKind.ACCESSORY: _l("Accessory"),
    RelationKind.REPLACEMENT: _l("Replacement model"),
}
MAX_AXES = 3
LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")

CATALOG_MESSAGES = (
    N_("A SKU with this code already exists."),
    N_("A brand with this code already exists."),
    N_("A category with this code already exists."),
    N_("A choice attribute needs its choices."),
    N_("A product with this code already exists."),
    N_("A tag with this name already exists."),
    N_("Another SKU has this variant."),
    N_("Axis names must be distinct."),
    N_("Choices must be distinct."),
    N_("Codes must be distinct."),
    N_("Contains control characters."),
    N_("Give at least one value."),
    N_("Must be a number."),
    N_("Must be a whole number."),
    N_("Must be at least 0."),
    N_("Must be at least 1."),
    N_("No such SKU."),
    N_("No such attribute."),
    N_("No such brand."),
    N_("No such category."),
    N_("No such image."),
    N_("No such product."),
    N_("No such tag."),
    N_("No such dealer."),
    N_("No such dealer group."),
    N_("Only a choice attribute has choices."),
    N_("Products of this brand exist; change their brand first."),
    N_("The file is empty."),
    N_("This category has products; move them to another category first."),
    N_("This category has subcategories; move or delete them first."),
    N_("Two SKUs have this barcode."),
    N_("Two SKUs have this code."),
    N_("Upload a PNG, JPEG or WebP image."),
    N_("An image must be at most 5 MB."),
    N_("Use 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13) digits."),
    N_("Use a dealer tier such as A, B, C or D."),
    N_("Use a single line."),
    N_("Use digits only."),
    N_("Values must be distinct."),
    N_("Wrong check digit for an EAN-13 barcode."),
    N_("Wrong check digit for an EAN-8 barcode."),
    N_("Wrong check digit for an UPC-A barcode."),
    N_("A category cannot move under itself or one of its descendants."),
    N_("A product cannot be related to itself."),
    N_("Use lower-case ASCII letters, digits or underscores, starting with a letter."),
    N_("This category or one above or below it already has this attribute."),
    N_("Use ASCII letters, digits, dots, dashes or underscores (at most 40)."),
    N_("Use ASCII letters, digits, dots, dashes or underscores (at most 60)."),
    N_("Choose a file."),
)
"""Messages of the catalog service the pages show, marked for the catalogs (see messages.py)."""


def split_list(text: str | None) -> list[str]:
    """``"雅丹黑, 白沙银、 羽砂紫"`` → three values; commas (also Chinese ones), 、, ; or lines."""
    return [part.strip() for part in LIST_SEPARATORS.split(text or "") if part.strip()]


def _choices(labels: dict[Any, Any]) -> list[tuple[str, str]]:
    return [(key.value, str(label)) for key, label in labels.items()]


def _status_choices() -> list[tuple[str, str]]:
    return _choices(STATUS_LABELS)


def _kind_choices() -> list[tuple[str, str]]:
    return _choices(SPEC_KIND_LABELS)


def _yes_no_choices() -> list[tuple[str, str]]:
    return [("1", str(_l("Yes"))), ("0", str(_l("No")))]


def _relation_choices() -> list[tuple[str, str]]:
    return _choices(RELATION_LABELS)


class ProductForm(FlaskForm):
    """A product's own fields; SKUs, specs, images and the rest have their own forms."""

    FIELDS = (
        "code",
        "name_zh",
        "name_en",
        "model_number",
        "brand_id",
        "category_id",
        "status",
        "description",
    )

    code = StringField(_l("Product code"), validators=[Length(max=40)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=200)])
    model_number = StringField(_l("Model number"), validators=[Length(max=100)])
    brand_id = SelectField(_l("Brand"), coerce=int, default=0)
    category_id = SelectField(_l("Category"), coerce=int, default=0)
    status = SelectField(_l("Status"), choices=_status_choices, default=ProductStatus.DRAFT.value)
    description = TextAreaField(_l("Description"), validators=[Length(max=20000)])
    tag_ids = SelectMultipleField(
        _l("Tags"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def set_choices(
        self,
        brands: Iterable[tuple[int, str]],
        categories: Iterable[tuple[int, str]],
        tags: Iterable[tuple[int, str]],
    ) -> None:
        self.brand_id.choices = [(0, str(_l("— none —"))), *brands]
        self.category_id.choices = [(0, str(_l("— none —"))), *categories]
        self.tag_ids.choices = list(tags)

    def changes(self) -> dict[str, Any]:
        """The fields as the catalog service takes them (no brand or category → None)."""
        values = {name: self._fields[name].data for name in self.FIELDS}
        values["brand_id"] = values["brand_id"] or None
        values["category_id"] = values["category_id"] or None
        values["tag_ids"] = list(self.tag_ids.data or [])
        return values


class VariantAxesForm(FlaskForm):
    """Up to three axes, each a name and its values; "generate SKUs" makes their product.

    A value may carry its code for SKU codes after "=" ("雅丹黑=BLK"); values
    without one get a code from their ASCII letters, or a number.
    """

    axis_1 = StringField(_l("Axis 1"), validators=[Length(max=40)])
    values_1 = StringField(_l("Values"), validators=[Length(max=2000)])
    axis_2 = StringField(_l("Axis 2"), validators=[Length(max=40)])
    values_2 = StringField(_l("Values"), validators=[Length(max=2000)])
    axis_3 = StringField(_l("Axis 3"), validators=[Length(max=40)])
    values_3 = StringField(_l("Values"), validators=[Length(max=2000)])

    def fill(self, axes: dict[str, list[str]]) -> None:
        for index, (name, values) in enumerate(list(axes.items())[:MAX_AXES], start=1):
            self._fields[f"axis_{index}"].data = name
            self._fields[f"values_{index}"].data = ", ".join(values)

    def matrix(self) -> dict[str, Any] | None:
        """The axes as the catalog service's variant matrix, or None with errors on the fields."""
        axes: list[dict[str, Any]] = []
        failed = False
        for index in range(1, MAX_AXES + 1):
            name_field = self._fields[f"axis_{index}"]
            values_field = self._fields[f"values_{index}"]
            name = (name_field.data or "").strip()
            pairs = [part.partition("=") for part in split_list(values_field.data)]
            values = [value.strip() for value, _, _ in pairs]
            codes = [code.strip() for _, _, code in pairs]
            if name and not values:
                values_field.errors = [*values_field.errors, str(_l("Give at least one value."))]
            elif values and not name:
                name_field.errors = [*name_field.errors, str(_l("Name this axis."))]
            elif any(codes) and not all(codes):
                message = str(_l("Give a code for every value of this axis, or for none."))
                values_field.errors = [*values_field.errors, message]
            elif name:
                axis: dict[str, Any] = {"name": name, "values": values}
                if all(codes):
                    axis["codes"] = codes
                axes.append(axis)
                continue
            else:
                continue
            failed = True
        if not axes and not failed:
            self.axis_1.errors = [*self.axis_1.errors, str(_l("Give at least one axis."))]
            failed = True
        return None if failed else {"axes": axes}

    def field_for(self, error_field: str) -> str:
        """The input a service error about ``matrix.axes[1].values`` belongs to."""
        match = re.match(r"matrix\.axes\[(\d+)\](?:\.(\w+))?", error_field)
        if not match:
            return "axis_1" if error_field.startswith(("matrix", "variant_axes")) else error_field
        index = int(match.group(1)) + 1
        return f"axis_{index}" if match.group(2) == "name" else f"values_{index}"


class SkuRowForm(Form):
    """One SKU of the table (no CSRF of its own: the table's form carries it)."""

    FIELDS = (
        "code",
        "barcode",
        "moq",
        "order_multiple",
        "weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "msrp",
        "base_price",
        "status",
    )

    id = HiddenField()
    code = StringField(_l("SKU code"), validators=[Length(max=60)])
    barcode = StringField(_l("Barcode"), validators=[Length(max=20)])
    moq = StringField(_l("MOQ"), validators=[Length(max=20)])
    order_multiple = StringField(_l("Order multiple"), validators=[Length(max=20)])
    weight_g = StringField(_l("Weight (g)"), validators=[Length(max=20)])
    length_mm = StringField(_l("Length (mm)"), validators=[Length(max=20)])
    width_mm = StringField(_l("Width (mm)"), validators=[Length(max=20)])
    height_mm = StringField(_l("Height (mm)"), validators=[Length(max=20)])
    msrp = StringField(_l("MSRP"), validators=[Length(max=20)])
    base_price = StringField(_l("Base price"), validators=[Length(max=20)])
    status = SelectField(_l("Status"), choices=_status_choices)

    def changes(self) -> dict[str, Any]:
        values = {name: self._fields[name].data for name in self.FIELDS}
        for name in ("msrp", "base_price"):
            values[name] = (values[name] or "").strip().replace(",", "")
        values["barcode"] = (values["barcode"] or "").strip()
        return values


class SkuTableForm(FlaskForm):
    """Every SKU of a product, edited in place and saved together."""

    skus = FieldList(FormField(SkuRowForm))

    @classmethod
    def for_skus(cls, skus: Sequence[Any]) -> SkuTableForm:
        rows = [
            {
                "id": str(sku.id),
                **{name: getattr(sku, name) for name in SkuRowForm.FIELDS},
                "status": sku.status.value,
                "msrp": f"{sku.msrp:.2f}",
                "base_price": f"{sku.base_price:.2f}",
            }
            for sku in skus
        ]
        return cls(formdata=None, data={"skus": rows})


class NewSkuForm(FlaskForm):
    """A single SKU added by hand (a product without axes, or one more variant)."""

    code = StringField(_l("SKU code"), validators=[Length(max=60)])
    variant = StringField(_l("Variant"), validators=[Length(max=500)])


def _spec_choices(values: Sequence[str]) -> Any:
    """The options of a choice attribute, with an empty one first (no value yet)."""
    return lambda: [("", str(_l("— not set —"))), *[(value, value) for value in values]]


def spec_form_class(attributes: Sequence[SpecAttribute]) -> type[FlaskForm]:
    """A form with one input per attribute of the category's template.

    Text and numbers are text inputs (the service checks numbers, so the error
    is the same as through the API); a choice is a select with an empty option.
    """

    class SpecForm(FlaskForm):
        pass

    for attribute in attributes:
        label = attribute.name_zh or attribute.name_en or attribute.code
        if attribute.unit:
            label = f"{label} ({attribute.unit})"
        if attribute.kind == SpecKind.CHOICE:
            field: Any = SelectField(
                label, choices=_spec_choices(attribute.choices), validate_choice=False
            )
        else:
            field = StringField(label, validators=[Length(max=200)])
        setattr(SpecForm, f"spec_{attribute.id}", field)
    return SpecForm


def spec_values(form: FlaskForm, attributes: Sequence[SpecAttribute]) -> dict[str, str]:
    """Attribute code → value as typed (empty values included: they clear the spec)."""
    return {a.code: (form._fields[f"spec_{a.id}"].data or "").strip() for a in attributes}


class ImageUploadForm(FlaskForm):
    image = FileField(
        _l("Image (PNG, JPEG or WebP)"), validators=[FileRequired(_l("Choose a file."))]
    )
    alt = StringField(_l("Description of the image"), validators=[Length(max=200)])


class RelationForm(FlaskForm):
    kind = SelectField(_l("Relation"), choices=_relation_choices)
    related_code = StringField(_l("Related product code"), validators=[Length(max=40)])


class VisibilityForm(FlaskForm):
    """Who may see the product; all empty means every dealer."""

    tiers = StringField(_l("Dealer tiers"), validators=[Length(max=200)])
    group_ids = SelectMultipleField(_l("Dealer groups"), coerce=int)
    dealer_ids = SelectMultipleField(_l("Dealers"), coerce=int)

    def set_choices(
        self, groups: Iterable[tuple[int, str]], dealers: Iterable[tuple[int, str]]
    ) -> None:
        self.group_ids.choices = list(groups)
        self.dealer_ids.choices = list(dealers)

    def rules(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The rules as the catalog service takes them, and which field each one came from."""
        rules: list[dict[str, Any]] = []
        sources: list[str] = []
        for tier in split_list(self.tiers.data):
            rules.append({"scope": VisibilityScope.TIER.value, "value": tier})
            sources.append("tiers")
        for group_id in self.group_ids.data or []:
            rules.append({"scope": VisibilityScope.GROUP.value, "value": group_id})
            sources.append("group_ids")
        for dealer_id in self.dealer_ids.data or []:
            rules.append({"scope": VisibilityScope.DEALER.value, "value": dealer_id})
            sources.append("dealer_ids")
        return rules, sources


class CategoryForm(FlaskForm):
    FIELDS = ("code", "name_zh", "name_en", "parent_id")

    code = StringField(_l("Category code"), validators=[Length(max=40)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=100)])
    parent_id = SelectField(_l("Parent category"), coerce=int, default=0)

    def set_choices(self, parents: Iterable[tuple[int, str]]) -> None:
        self.parent_id.choices = [(0, str(_l("— top level —"))), *parents]

    def changes(self) -> dict[str, Any]:
        values = {name: self._fields[name].data for name in self.FIELDS}
        values["parent_id"] = values["parent_id"] or None
        return values


class CategoryRenameForm(FlaskForm):
    FIELDS = ("code", "name_zh", "name_en")

    code = StringField(_l("Category code"), validators=[Length(max=40)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=100)])

    def changes(self) -> dict[str, Any]:
        return {name: self._fields[name].data for name in self.FIELDS}


class CategoryMoveForm(FlaskForm):
    parent_id = SelectField(_l("New parent"), coerce=int, default=0)

    def set_choices(self, parents: Iterable[tuple[int, str]]) -> None:
        self.parent_id.choices = [(0, str(_l("— top level —"))), *parents]


class AttributeForm(FlaskForm):
    """A line of a category's spec template."""

    FIELDS = ("code", "name_zh", "name_en", "kind", "unit", "choices", "filterable")

    code = StringField(_l("Attribute code"), validators=[Length(max=40)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=100)])
    kind = SelectField(_l("Kind"), choices=_kind_choices, default=SpecKind.TEXT.value)
    unit = StringField(_l("Unit"), validators=[Length(max=20)])
    choices = StringField(_l("Choices"), validators=[Length(max=2000)])
    filterable = SelectField(_l("Filter in search"), choices=_yes_no_choices, default="1")

    def fill(self, attribute: SpecAttribute) -> None:
        for name in ("code", "name_zh", "name_en", "unit"):
            self._fields[name].data = getattr(attribute, name)
        self.kind.data = attribute.kind.value
        self.choices.data = ", ".join(attribute.choices)
        self.filterable.data = "1" if attribute.filterable else "0"

    def changes(self) -> dict[str, Any]:
        values = {name: self._fields[name].data for name in self.FIELDS}
        values["choices"] = split_list(self.choices.data)
        values["filterable"] = self.filterable.data == "1"
        return values


class BrandForm(FlaskForm):
    code = StringField(_l("Brand code"), validators=[Length(max=40)])
    name = StringField(_l("Brand name"), validators=[Length(max=100)])


class TagForm(FlaskForm):
    name = StringField(_l("Tag"), validators=[Length(max=50)])
