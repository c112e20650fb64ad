"""The catalog's field rules, shared by the service, the console and imports.

Every validator takes the raw value (as a form, a JSON body or a spreadsheet
cell gives it), returns the normalised value, or raises
:meth:`ValidationFailed.field` naming the field and saying why, so an import
can report "row 12, column barcode: wrong check digit" with the same words
the API uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from dinghuo.core.catalog.models import ProductStatus, SpecAttribute, SpecKind
from dinghuo.errors import ValidationFailed

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]*$")
"""Product, SKU, category and brand codes: ASCII, so ERPs, barcode printers and URLs take them."""

TIER_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
"""Dealer tiers as the CRM writes them (A, B, C, VIP)."""

MAX_MONEY = Decimal("999999999999.99")
MAX_QUANTITY = 1_000_000
MAX_MEASURE = 10_000_000
"""Grams or millimetres: ten tonnes or ten kilometres is surely a typo."""
MAX_AXES = 4
MAX_AXIS_VALUES = 50
MAX_CHOICES = 200

PRODUCT_CODE_MAX = 40
SKU_CODE_MAX = 60
DEALER_CODE_MAX = 60
BARCODE_LENGTHS = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}


def text(field: str, value: Any, max_length: int, *, required: bool = False) -> str:
    """Stripped text of at most ``max_length`` characters; ``None`` is empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, "Must be text.")
    value = value.strip()
    if required and not value:
        raise ValidationFailed.field(field, "Required.")
    if len(value) > max_length:
        raise ValidationFailed.field(field, f"Use at most {max_length} characters.")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValidationFailed.field(field, "Contains control characters.")
    return value


def name(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    """A display name: one line of text (no line breaks)."""
    value = text(field, value, max_length, required=required)
    if "\n" in value or "\r" in value or "\t" in value:
        raise ValidationFailed.field(field, "Use a single line.")
    return value


def code(field: str, value: Any, max_length: int = PRODUCT_CODE_MAX) -> str:
    """An upper-cased ASCII code: letters, digits, dot, dash or underscore."""
    value = text(field, value, max_length, required=True).upper()
    if not CODE_PATTERN.match(value):
        raise ValidationFailed.field(
            field,
            f"Use ASCII letters, digits, dots, dashes or underscores (at most {max_length}).",
        )
    return value


def validate_product_code(value: Any, field: str = "code") -> str:
    return code(field, value, PRODUCT_CODE_MAX)


def validate_sku_code(value: Any, field: str = "code") -> str:
    return code(field, value, SKU_CODE_MAX)


def validate_category_code(value: Any, field: str = "code") -> str:
    return code(field, value, 40)


def validate_brand_code(value: Any, field: str = "code") -> str:
    return code(field, value, 40)


def validate_dealer_sku_code(value: Any, field: str = "code") -> str:
    """A dealer's own code for a SKU: any single-line text, compared case-insensitively."""
    return name(field, value, DEALER_CODE_MAX).upper()


def barcode_check_digit(body: str) -> int:
    """The GS1 check digit of the digits before it (EAN-8, UPC-A, EAN-13 alike)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def validate_barcode(value: Any, field: str = "barcode") -> str:
    """An EAN-8, UPC-A or EAN-13 with a correct check digit, or empty for none."""
    value = text(field, value, 20)
    if not value:
        return ""
    if not value.isascii() or not value.isdigit():
        raise ValidationFailed.field(field, "Use digits only.")
    if len(value) not in BARCODE_LENGTHS:
        raise ValidationFailed.field(field, "Use 8 (EAN-8), 12 (UPC-A) or 13 (EAN-13) digits.")
    if barcode_check_digit(value[:-1]) != int(value[-1]):
        kind = BARCODE_LENGTHS[len(value)]
        raise ValidationFailed.field(field, f"Wrong check digit for an {kind} barcode.")
    return value


def integer(field: str, value: Any, *, minimum: int, maximum: int) -> int:
    """A whole number in range; numeric text (a spreadsheet cell) is accepted."""
    if isinstance(value, bool):
        raise ValidationFailed.field(field, "Must be a whole number.")
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"[+-]?\d+", value):
            raise ValidationFailed.field(field, "Must be a whole number.")
        value = int(value)
    if not isinstance(value, int):
        raise ValidationFailed.field(field, "Must be a whole number.")
    if value < minimum:
        raise ValidationFailed.field(field, f"Must be at least {minimum}.")
    if value > maximum:
        raise ValidationFailed.field(field, f"Must be at most {maximum}.")
    return value


def validate_moq(value: Any, field: str = "moq") -> int:
    return integer(field, value, minimum=1, maximum=MAX_QUANTITY)


def validate_order_multiple(value: Any, field: str = "order_multiple") -> int:
    return integer(field, value, minimum=1, maximum=MAX_QUANTITY)


def validate_moq_and_multiple(moq: int, order_multiple: int) -> None:
    """An MOQ a dealer can actually order: a whole number of packs."""
    if moq % order_multiple:
        raise ValidationFailed.field(
            "moq", f"Must be a multiple of the order multiple ({order_multiple})."
        )


def validate_measure(field: str, value: Any) -> int | None:
    """A weight (g) or dimension (mm): a whole number ≥ 0, or ``None``/empty for unknown."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return integer(field, value, minimum=0, maximum=MAX_MEASURE)


def validate_money(field: str, value: Any) -> Decimal:
    """A non-negative amount with at most two decimals, given as a string (never a float)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationFailed.field(field, 'Must be an amount as a string, e.g. "99.00".')
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation as exc:
        raise ValidationFailed.field(field, 'Must be an amount, e.g. "99.00".') from exc
    if not amount.is_finite():
        raise ValidationFailed.field(field, 'Must be an amount, e.g. "99.00".')
    if amount < 0:
        raise ValidationFailed.field(field, "Must not be negative.")
    if amount > MAX_MONEY:
        raise ValidationFailed.field(field, f"Must be at most {MAX_MONEY}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed.field(field, "Use at most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def validate_status(value: Any, field: str = "status") -> ProductStatus:
    try:
        return ProductStatus(value.strip().lower() if isinstance(value, str) else value)
    except ValueError as exc:
        allowed = ", ".join(s.value for s in ProductStatus)
        raise ValidationFailed.field(field, f"Use one of: {allowed}.") from exc


def validate_tier(value: Any, field: str = "value") -> str:
    tier = text(field, value, 10, required=True).upper()
    if not TIER_PATTERN.match(tier):
        raise ValidationFailed.field(field, "Use a dealer tier such as A, B, C or D.")
    return tier


def validate_variant_axes(value: Any, field: str = "variant_axes") -> list[str]:
    """Distinct axis names ("颜色", "内存") in display order."""
    if not isinstance(value, list | tuple):
        raise ValidationFailed.field(field, "Must be a list of axis names.")
    if len(value) > MAX_AXES:
        raise ValidationFailed.field(field, f"At most {MAX_AXES} axes.")
    axes = [name(field, axis, 40) for axis in value]
    if len(set(axes)) != len(axes):
        raise ValidationFailed.field(field, "Axis names must be distinct.")
    return axes


def validate_variant(axes: Sequence[str], value: Any, field: str = "variant") -> dict[str, str]:
    """A SKU's value on each of the product's axes, in axis order; no more, no fewer."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ValidationFailed.field(field, "Must map each axis name to a value.")
    unknown = [k for k in value if k not in axes]
    if unknown:
        raise ValidationFailed.field(field, f"Not an axis of this product: {unknown[0]}.")
    missing = [a for a in axes if a not in value]
    if missing:
        raise ValidationFailed.field(field, f"Give a value for the axis {missing[0]}.")
    return {axis: name(field, value[axis], 60) for axis in axes}


def validate_spec_value(attribute: SpecAttribute, value: Any, field: str = "specs") -> str:
    """A product's value for ``attribute``, checked by its kind; empty means none."""
    label = f"{field}.{attribute.code}"
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = str(value)
    raw = name(label, value, 200, required=False)
    if not raw:
        return ""
    if attribute.kind == SpecKind.NUMBER:
        try:
            number = Decimal(raw)
        except InvalidOperation as exc:
            raise ValidationFailed.field(label, "Must be a number.") from exc
        if not number.is_finite():
            raise ValidationFailed.field(label, "Must be a number.")
        return raw
    if attribute.kind == SpecKind.CHOICE and raw not in (attribute.choices or []):
        allowed = ", ".join(attribute.choices or [])
        raise ValidationFailed.field(label, f"Use one of: {allowed}.")
    return raw


def validate_choices(value: Any, field: str = "choices") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValidationFailed.field(field, "Must be a list of values.")
    if len(value) > MAX_CHOICES:
        raise ValidationFailed.field(field, f"At most {MAX_CHOICES} choices.")
    choices = [name(field, choice, 200) for choice in value]
    if len(set(choices)) != len(choices):
        raise ValidationFailed.field(field, "Choices must be distinct.")
    return choices


def ascii_token(value: str) -> str:
    """The ASCII letters and digits of an axis value ("12+512G" -> "12-512G"), or ""."""
    return re.sub(r"[^A-Z0-9]+", "-", value.upper()).strip("-")


def derive_value_codes(field: str, values: Iterable[str], given: Any = None) -> list[str]:
    """A short ASCII code per axis value, for SKU codes generated from a matrix.

    Values with ASCII letters or digits use them ("12+512G" -> "12-512G");
    others ("雅丹黑") need a code from the caller, else they are numbered
    ("1", "2", ...) by position, so codes never carry Chinese characters.
    """
    values = list(values)
    if given is not None:
        if not isinstance(given, list | tuple) or len(given) != len(values):
            raise ValidationFailed.field(f"{field}.codes", "Give one code per value.")
        codes = [code(f"{field}.codes", c, 20) for c in given]
    else:
        tokens = [ascii_token(v) for v in values]
        usable = all(tokens) and len(set(tokens)) == len(tokens)
        codes = tokens if usable else [str(i + 1) for i in range(len(values))]
    if len(set(codes)) != len(codes):
        raise ValidationFailed.field(f"{field}.codes", "Codes must be distinct.")
    return codes


ATTRIBUTE_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def validate_attribute_code(value: Any, field: str = "code") -> str:
    """A spec attribute's key (``screen_size``): lower-case, as search filters name it."""
    value = text(field, value, 40, required=True).lower()
    if not ATTRIBUTE_CODE_PATTERN.match(value):
        raise ValidationFailed.field(
            field, "Use lower-case ASCII letters, digits or underscores, starting with a letter."
        )
    return value
