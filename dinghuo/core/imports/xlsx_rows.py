"""The rows of an XLSX sheet as text, parsed straight from the sheet's XML with expat.

openpyxl (read-only, ``values_only``) spends most of a 100,000-row import in
its per-cell Python: an element tree per cell, coordinate parsing, type casts.
Here expat streams the sheet's XML and each cell costs a few callbacks. The
workbook's parts are still read by openpyxl's reader, which supplies what a
cell needs to be read as openpyxl would read it (``data_only``): the shared
strings, the style ids with a date format, and the date epoch. Its worksheet
objects are not built: without a ``<dimension>`` element (openpyxl's own
write-only files have none) each one scans the whole sheet just to size it.

Rows come back as lists of :func:`cell_text`; rows missing from the XML
(blank in Excel) come back as empty lists, so row numbers keep matching.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import from_excel, from_ISO8601

_CHUNK = 1 << 16
_DIGITS = "0123456789"
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CELL, _ROW, _VALUE, _TEXT, _PHONETIC = (f"{_NS} {tag}" for tag in ("c", "row", "v", "t", "rPh"))


def _column_index(reference: str) -> int:
    """0-based column of a cell reference (``C5`` → 2)."""
    index = 0
    for char in reference:
        if char.isdigit():
            break
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


@dataclass
class Sheet:
    """The first worksheet of a workbook, ready to stream; :meth:`close` releases the file."""

    reader: Any
    path: str

    def close(self) -> None:
        self.reader.archive.close()


def open_first_sheet(data: bytes) -> Sheet:
    """The workbook's first worksheet (chart sheets skipped); raises what openpyxl raises
    for a file that is not a workbook (``BadZipFile``, ``KeyError``, ``ValueError``)."""
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        reader.read_theme()
        apply_stylesheet(reader.archive, reader.wb)
        for _, relation in reader.parser.find_sheets():
            if relation.target in reader.valid_files and "chartsheet" not in relation.Type:
                return Sheet(reader, relation.target)
    except BaseException:
        reader.archive.close()
        raise
    reader.archive.close()
    raise KeyError("the workbook has no worksheet")


def sheet_rows(sheet: Sheet, cell_text: Callable[[Any], str]) -> Iterator[list[str]]:
    """Every row of ``sheet``, header included, as text."""
    workbook = sheet.reader.wb
    shared = sheet.reader.shared_strings
    date_styles = workbook._date_formats
    timedelta_styles = workbook._timedelta_formats
    epoch = workbook.epoch
    columns: dict[str, int] = {}
    done: list[list[str]] = []
    state: dict[str, Any] = {"row": 0, "cells": [], "type": "n", "style": 0, "ref": None}
    parts: list[str] = []
    collecting = [False, 0]  # inside <v>/<t>; depth inside a phonetic run

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == _CELL:
            state["type"] = attrs.get("t", "n")
            state["style"] = int(attrs.get("s", 0))
            state["ref"] = attrs.get("r")
            parts.clear()
        elif name == _VALUE or (name == _TEXT and not collecting[1]):
            collecting[0] = True
        elif name == _PHONETIC:
            collecting[1] += 1
        elif name == _ROW:
            number = int(attrs["r"]) if "r" in attrs else state["row"] + 1
            for _ in range(state["row"] + 1, number):
                done.append([])
            state["row"] = number
            state["cells"] = []

    def end(name: str) -> None:
        if name == _VALUE or name == _TEXT:
            collecting[0] = False
        elif name == _PHONETIC:
            collecting[1] -= 1
        elif name == _CELL:
            cells = state["cells"]
            reference = state["ref"]
            if reference is not None:
                letters = reference.rstrip(_DIGITS)
                column = columns.get(letters)
                if column is None:
                    column = columns[letters] = _column_index(letters)
                if column > len(cells):
                    cells.extend([""] * (column - len(cells)))
            cells.append(cell_text(_value("".join(parts), state["type"], state["style"])))
        elif name == _ROW:
            done.append(state["cells"])

    def _value(raw: str, kind: str, style: int) -> Any:
        if kind == "n":
            if not raw:
                return None
            number: int | float = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if style in date_styles:
                try:
                    return from_excel(number, epoch, timedelta=style in timedelta_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return shared[int(raw)] if raw else None
        if kind == "b":
            return bool(int(raw)) if raw else None
        if kind == "d":
            return from_ISO8601(raw) if raw else None
        return raw  # inlineStr, str (a formula's text), e (an error such as #N/A)

    def text(data: str) -> None:
        if collecting[0]:
            parts.append(data)

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with sheet.reader.archive.open(sheet.path) as source:
        while chunk := source.read(_CHUNK):
            parser.Parse(chunk, False)
            yield from done
            done.clear()
        parser.Parse(b"", True)
        yield from done
