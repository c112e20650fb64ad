"""Columns of an import file: their names (English and Chinese), and cell parsing.

A :class:`Spec` lists the columns of one import kind. Header names are
matched case-insensitively, ignoring spaces, dashes and underscores, so
``SKU Code``, ``sku_code`` and ``SKU编码`` all name the same column. A file
whose header lacks a required column, repeats one, or names one the kind does
not know is refused as a whole (:class:`ValidationFailed` on ``file``) before
any row is read: those are the mistakes of a wrong template, not of a row.

Cell parsers raise :class:`CellError` with the reason; the handlers collect
them into the row-level report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from dinghuo.errors import ValidationFailed

MAX_INT = 2_000_000_000
"""Quantities above this are typos (and would overflow a 32-bit column)."""
MAX_MONEY = Decimal("999999999999.99")


class CellError(ValueError):
    """A cell's value is wrong; the message is the reason shown in the report."""


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""
    help: str = ""


@dataclass(frozen=True)
class Spec:
    """The columns of one import kind, in template order."""

    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def normalise_header(name: str) -> str:
    return re.sub(r"[\s_\-/()（）]+", "", name).lower()


def map_headers(spec: Spec, headers: Sequence[str]) -> dict[str, int]:
    """Column key -> index in the row; refuses unknown, repeated and missing columns."""
    names: dict[str, str] = {}
    for column in spec.columns:
        for name in (column.key, column.en, column.zh, *column.aliases):
            names[normalise_header(name)] = column.key
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        key = names.get(normalise_header(header))
        if key is None:
            unknown.append(header)
        elif key in positions:
            raise ValidationFailed.field("file", f"The column '{header}' appears twice.")
        else:
            positions[key] = index
    expected = ", ".join(f"{c.key} ({c.zh})" for c in spec.columns)
    if unknown:
        raise ValidationFailed.field(
            "file",
            f"Unknown column(s): {', '.join(unknown)}. The columns of this kind are: {expected}.",
        )
    missing = [c for c in spec.columns if c.required and c.key not in positions]
    if missing:
        names_missing = ", ".join(f"{c.key} ({c.zh})" for c in missing)
        raise ValidationFailed.field("file", f"Missing required column(s): {names_missing}.")
    return positions


# --- cell parsers ---------------------------------------------------------------------------


def text(value: str, max_length: int, *, required: bool = False) -> str:
    if required and not value:
        raise CellError("Required.")
    if len(value) > max_length:
        raise CellError(f"Too long: at most {max_length} characters.")
    return value


def integer(
    value: str, *, minimum: int = 0, default: int | None = None, required: bool = False
) -> int | None:
    """A whole number; ``5999.0`` (Excel's float) is accepted, ``1.5`` and ``1e3`` are not."""
    if not value:
        if required:
            raise CellError("Required.")
        return default
    cleaned = value.replace(",", "")
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if not re.fullmatch(r"[+-]?\d+", cleaned):
        raise CellError("Not a whole number.")
    number = int(cleaned)
    if number < minimum:
        raise CellError(f"Must be at least {minimum}.")
    if number > MAX_INT:
        raise CellError(f"Must be at most {MAX_INT}.")
    return number


def money(value: str, *, required: bool = False) -> Decimal | None:
    """An amount with at most two decimals, not negative (¥ and thousands commas allowed)."""
    if not value:
        if required:
            raise CellError("Required.")
        return None
    cleaned = value.replace(",", "").removeprefix("¥").removeprefix("￥").strip()
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        raise CellError("Not a number.")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise CellError("Not a number.") from None
    if amount < 0:
        raise CellError("Must not be negative.")
    if amount > MAX_MONEY:
        raise CellError(f"Must be at most {MAX_MONEY}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError("Use at most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def choice(value: str, allowed: Sequence[str], *, default: str) -> str:
    if not value:
        return default
    lowered = value.lower()
    if lowered not in allowed:
        raise CellError(f"Use one of: {', '.join(allowed)}.")
    return lowered
