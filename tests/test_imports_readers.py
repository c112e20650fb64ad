"""The XLSX reader (python-calamine, for speed) must read cells as openpyxl does."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook, load_workbook

from dinghuo.core.imports.readers import cell_text, read_table


def _as_openpyxl_reads(data: bytes) -> list[list[str]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [
        [cell_text(v) for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)
    ]
    workbook.close()
    return _trimmed(rows)


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    rows = [list(row) for row in rows]
    for row in rows:
        while row and not row[-1]:
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _read(data: bytes) -> list[list[str]]:
    table = read_table("sheet.xlsx", data)
    return _trimmed([table.headers, *table.rows])


def _edge_workbook(write_only: bool) -> bytes:
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    sheet.append(["sku_code", "on_hand", "when"])
    sheet.append(["A-1", 5, 1.5])
    sheet.append([])
    sheet.append(["B", 6901234567892.0, dt.datetime(2024, 1, 2)])
    sheet.append(["  padded ", "=1+1", dt.date(2024, 3, 4), None, True])
    sheet.append([None, 0.1, dt.datetime(2024, 3, 4, 12, 30)])
    sheet.append(["中文 & <x>", 5999.0, "6.9E+12"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_shared_strings_reads_as_openpyxl_does():
    data = _edge_workbook(write_only=False)
    assert _read(data) == _as_openpyxl_reads(data)


def test_xlsx_with_inline_strings_reads_as_openpyxl_does():
    data = _edge_workbook(write_only=True)
    rows = _read(data)
    assert rows == _as_openpyxl_reads(data)
    assert rows[2] == []  # the blank row keeps its place: row numbers match Excel's
    assert rows[3][:3] == ["B", "6901234567892", "2024-01-02"]
    assert rows[6] == ["中文 & <x>", "5999", "6.9E+12"]


def test_xlsx_cells_after_a_gap_keep_their_columns():
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["C1"] = "sku_code", "on_hand"
    sheet["C3"] = 7
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert _read(buffer.getvalue()) == [["sku_code", "", "on_hand"], [], ["", "", "7"]]
