"""Quick order: SKU codes and quantities typed, pasted from Excel, or uploaded as a sheet.

Dealers keep their order lists in spreadsheets; copying two columns out of
Excel gives tab-separated lines, other tools give commas, semicolons or
spaces, and Chinese input methods give full-width ones (``，``, ``　``,
``１２``). All of them are read the same way: the first field is the code,
the last one the quantity. A first line naming the columns (``code``,
``SKU``, ``编码``, ``数量``...) is a header and skipped. A missing quantity means the SKU's minimum order quantity.

Rows become :func:`dinghuo.core.orders.cart.add_items` items; the cart checks
them (codes, visibility, quantities) and refuses them all with ``items.<i>``
errors, which map back to rows through :attr:`Row.number`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from dinghuo.core.imports.readers import read_table
from dinghuo.core.orders.line_rules import MAX_ORDER_LINES
from dinghuo.errors import ValidationFailed

MAX_PASTE_CHARS = 200_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""An order sheet of MAX_ORDER_LINES lines is far below this; anything larger is not one."""

_SEPARATORS = re.compile(r"[\t,;|\s]+")
_CODE_HEADERS = {
    "code",
    "sku",
    "sku code",
    "sku_code",
    "编码",
    "sku编码",
    "商品编码",
    "货号",
    "条码",
}
_QUANTITY_HEADERS = {"quantity", "qty", "数量", "订货数量"}


@dataclass(frozen=True)
class Row:
    """One line of input: where it was (``number`` counts lines from 1), code, quantity text."""

    number: int
    code: str
    quantity: str

    def as_item(self) -> dict[str, Any]:
        """The cart item: quantity as a whole number, or None for "the minimum"."""
        return {"code": self.code, "quantity": _quantity(self.quantity)}


def _quantity(text: str) -> Any:
    """A whole number, ``None`` when blank, else the text itself (the cart refuses it by row).

    Excel pastes whole numbers as ``12`` or ``12.0``; ``1,000`` has been split
    as two fields before it gets here, so thousands separators never appear.
    """
    if not text:
        return None
    if re.fullmatch(r"\d+", text):
        return int(text)
    if re.fullmatch(r"\d+\.0+", text):
        return int(text.split(".")[0])
    return text


def parse_pasted(text: str) -> list[Row]:
    """The rows of a pasted block; blank lines are skipped, a header line too."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed.field("text", "Paste at least one line: a code and a quantity.")
    if len(text) > MAX_PASTE_CHARS:
        raise ValidationFailed.field("text", f"Paste at most {MAX_PASTE_CHARS} characters.")
    rows: list[Row] = []
    for number, line in enumerate(unicodedata.normalize("NFKC", text).splitlines(), start=1):
        parts = [part for part in _SEPARATORS.split(line.strip()) if part]
        if not parts:
            continue
        code = parts[0]
        quantity = parts[-1] if len(parts) > 1 else ""
        if not rows and _is_header(code, quantity):
            continue
        rows.append(Row(number, code, quantity))
    return _checked(rows, "text")


def _is_header(code: str, quantity: str) -> bool:
    return code.lower() in _CODE_HEADERS or quantity.lower() in _QUANTITY_HEADERS


def parse_upload(filename: str, data: bytes) -> list[Row]:
    """The rows of an uploaded CSV or XLSX order sheet.

    The code column is the first whose header names a code (``code``, ``SKU``,
    ``编码``...), else the first column; the quantity column the first naming
    a quantity (``quantity``, ``qty``, ``数量``), else the second. ``number`` is
    the sheet's row number (the header is row 1).
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed.field(
            "file", f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        )
    table = read_table(filename, data)
    headers = [unicodedata.normalize("NFKC", h).strip().lower() for h in table.headers]
    code_at = next((i for i, h in enumerate(headers) if h in _CODE_HEADERS), 0)
    quantity_at = next(
        (i for i, h in enumerate(headers) if h in _QUANTITY_HEADERS),
        1 if code_at == 0 else 0,
    )
    rows: list[Row] = []
    for number, cells in enumerate(table.rows, start=2):
        code = cells[code_at].strip() if code_at < len(cells) else ""
        quantity = cells[quantity_at].strip() if quantity_at < len(cells) else ""
        if not code and not quantity:
            continue
        rows.append(Row(number, unicodedata.normalize("NFKC", code), quantity))
        if len(rows) > MAX_ORDER_LINES:
            break
    return _checked(rows, "file")


def _checked(rows: list[Row], field: str) -> list[Row]:
    if not rows:
        raise ValidationFailed.field(field, "No lines with a code were found.")
    if len(rows) > MAX_ORDER_LINES:
        raise ValidationFailed.field(field, f"Use at most {MAX_ORDER_LINES} lines.")
    return rows


def row_errors(rows: list[Row], fields: dict[str, list[str]]) -> dict[int, list[str]]:
    """The cart's ``items.<i>.<field>`` errors of an add, keyed by the input row number."""
    by_row: dict[int, list[str]] = {}
    for name, messages in fields.items():
        match = re.fullmatch(r"items\.(\d+)\.\w+", name)
        if match and int(match.group(1)) < len(rows):
            by_row.setdefault(rows[int(match.group(1))].number, []).extend(messages)
    return by_row
