"""Reading an uploaded spreadsheet (CSV or XLSX) into header names and rows of text.

Every cell comes back as a stripped string, whatever the file stored, so the
column checks see one kind of value:

- CSV is UTF-8 (with or without the BOM Excel writes) or, failing that,
  GB18030 (a superset of the GBK that Excel on Chinese Windows saves). A file
  that is neither is refused naming the line of the first undecodable byte.
  The delimiter (comma, semicolon or tab) is taken from the header line.
- XLSX is read with python-calamine (Rust's calamine: 100,000 rows in about a
  second, five times faster than streaming the XML in Python), first sheet
  only, cached values of formulas as openpyxl's ``data_only`` gives them. Excel
  stores numbers as floats, so a barcode typed as a number arrives as ``6.901234567892E+12``
  and a price as ``5999.0``: whole floats become their integer digits, others
  their shortest decimal form, never an exponent.

Row ``i`` of :attr:`Table.rows` (0-based) is spreadsheet row ``i + 2``: the
header is row 1 and blank rows are yielded (as empty lists) rather than
dropped, so a report's row numbers match what the user sees in Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from dinghuo.errors import ValidationFailed

DELIMITERS = (",", ";", "\t")
FIRST_DATA_ROW = 2
"""The spreadsheet row number of the first row after the header."""

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Table:
    """A sheet's header names and its data rows, each a list of stripped strings."""

    headers: list[str]
    rows: Iterator[list[str]]


def read_table(filename: str, data: bytes) -> Table:
    """The table in ``data``, CSV or XLSX by content (the name only breaks ties).

    Raises :class:`ValidationFailed` on ``file`` when the file is empty, an old
    binary ``.xls``, not decodable text, or has no header row.
    """
    if not data:
        raise ValidationFailed.field("file", "The file is empty.")
    if data.startswith(_XLS_MAGIC):
        raise ValidationFailed.field(
            "file", "Old Excel (.xls) files are not read; save the sheet as .xlsx or CSV."
        )
    if data.startswith(_XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    return _read_csv(data)


def decode_text(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM or not), else GB18030/GBK, else a clear refusal."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise ValidationFailed.field(
                "file",
                f"The file is neither UTF-8 nor GBK/GB18030 text: undecodable bytes on line "
                f"{line} (byte {utf8_error.start + 1}). Save it as 'CSV UTF-8' or as .xlsx.",
            ) from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    if "\x00" in text:
        raise ValidationFailed.field("file", "This is not a CSV or XLSX file.")
    header_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        headers = next(reader)
    except StopIteration:
        raise ValidationFailed.field("file", "The file has no header row.") from None
    except csv.Error as error:
        raise ValidationFailed.field("file", f"Line 1 is not valid CSV: {error}.") from None
    return Table([h.strip() for h in headers], _csv_rows(reader))


def _csv_rows(reader: Any) -> Iterator[list[str]]:
    try:
        for record in reader:
            yield [cell.strip() for cell in record]
    except csv.Error as error:
        raise ValidationFailed.field(
            "file", f"Line {reader.line_num} is not valid CSV: {error}."
        ) from None


def _read_xlsx(data: bytes) -> Table:
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        grid = sheet.to_python(skip_empty_area=False)
    except (CalamineError, IndexError, ValueError, OSError) as error:
        raise ValidationFailed.field(
            "file", f"This is not a readable .xlsx workbook ({error})."
        ) from None
    if not grid:
        raise ValidationFailed.field("file", "The first sheet is empty.")
    return Table(_xlsx_row(grid[0]), (_xlsx_row(row) for row in grid[1:]))


def _xlsx_row(cells: list[Any]) -> list[str]:
    """A row's cells as text, without the empty cells after its last value."""
    row = [cell_text(value) for value in cells]
    while row and not row[-1]:
        row.pop()
    return row


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a user typed into it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
