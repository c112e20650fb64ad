"""What every import kind shares: rows keyed by column, the error report, progress.

A handler validates all rows in memory first (with a constant number of
queries to look codes up), collecting every problem as a :class:`RowError`;
only a file without errors is applied, in bulk statements, inside the
import's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, insert, select, update

from dinghuo.core.imports.columns import CellError, Spec
from dinghuo.core.imports.readers import FIRST_DATA_ROW
from dinghuo.db import TenantSession
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.principal import Principal

CHUNK = 1000
"""Codes per ``IN (...)`` lookup and rows per bulk statement."""

Progress = Callable[[int], None]
"""Told how many rows have been written so far."""


@dataclass(frozen=True)
class RowError:
    """One problem of the file: spreadsheet row (1 = header), column as headed, value, reason."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class Row:
    """One data row: its spreadsheet number and its cells by column key."""

    number: int
    cells: dict[str, str]

    def get(self, key: str) -> str:
        return self.cells.get(key, "")


@dataclass
class Report:
    """The errors found so far, with the file's own header names for the column."""

    labels: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def add(self, row: Row | int, key: str, reason: str, value: str | None = None) -> None:
        number = row if isinstance(row, int) else row.number
        if value is None:
            value = row.get(key) if isinstance(row, Row) else ""
        self.errors.append(RowError(number, self.labels.get(key, key), value, reason))

    def check(self, row: Row, key: str, parse: Callable[[str], Any]) -> Any:
        """``parse(cell)``, or None after recording why the cell is wrong.

        Parsers raise :class:`CellError`, or the catalog rules'
        :class:`ValidationFailed` whose reason is reported as is.
        """
        ok, result = _outcome(parse, row.get(key))
        if ok:
            return result
        self.add(row, key, result)
        return None

    def check_cached(
        self, row: Row, key: str, parse: Callable[[str], Any], cache: dict[str, Any]
    ) -> Any:
        """:meth:`check` for a column whose values repeat (statuses, prices, variants):
        each distinct value is parsed once per file. ``parse`` must be pure and its result
        must not be mutated by the caller."""
        value = row.cells.get(key, "")
        outcome = cache.get(value)
        if outcome is None:
            outcome = cache[value] = _outcome(parse, value)
        if outcome[0]:
            return outcome[1]
        self.add(row, key, outcome[1])
        return None


def _outcome(parse: Callable[[str], Any], value: str) -> tuple[bool, Any]:
    """(True, parsed value) or (False, the reason the value is wrong)."""
    try:
        return True, parse(value)
    except CellError as error:
        return False, str(error)
    except ValidationFailed as error:
        reasons = [r for rs in error.fields.values() for r in rs] or [error.message]
        return False, reasons[0]


def keyed_rows(rows: Iterable[list[str]], positions: dict[str, int]) -> Iterator[Row]:
    """Data rows as :class:`Row`, blank ones skipped (their numbers are kept by the others)."""
    for offset, values in enumerate(rows):
        if not any(values):
            continue
        cells = {key: values[i] if i < len(values) else "" for key, i in positions.items()}
        yield Row(FIRST_DATA_ROW + offset, cells)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def first_seen(report: Report, row: Row, key: str, value: Any, seen: dict[Any, int]) -> bool:
    """False (and a report line) when ``value`` already appeared on an earlier row."""
    earlier = seen.get(value)
    if earlier is not None:
        report.add(row, key, f"Duplicate: also on row {earlier}.")
        return False
    seen[value] = row.number
    return True


def lookup_codes(session: TenantSession, model: Any, codes: set[str]) -> dict[str, int]:
    """Ids of ``model`` rows by code, for the codes that exist (chunked ``IN`` queries)."""
    found: dict[str, int] = {}
    for chunk in chunks(sorted(codes)):
        query = select(model.code, model.id).where(model.code.in_(chunk))
        found.update((code, row_id) for code, row_id in session.execute(query))
    return found


def bulk_insert(
    session: TenantSession, table: Any, rows: list[dict[str, Any]], progress: Progress
) -> None:
    """Multi-row INSERTs of ``CHUNK`` rows (rows carry ``tenant_id``; RLS checks it)."""
    done = 0
    for chunk in chunks(rows):
        session.execute(insert(table), list(chunk))
        done += len(chunk)
        progress(done)


def bulk_update(session: TenantSession, table: Any, rows: list[dict[str, Any]]) -> None:
    """``executemany`` UPDATE by id (``b_id``), one statement per set of changed columns."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(sorted(k for k in row if k != "b_id")), []).append(row)
    for columns, group in by_columns.items():
        statement = (
            update(table)
            .where(and_(table.c.id == bindparam("b_id"), table.c.tenant_id == session.tenant_id))
            .values({c: bindparam(c) for c in columns})
        )
        for chunk in chunks(group):
            session.execute(statement, list(chunk))


@dataclass(frozen=True)
class ImportContext:
    """Who the import is for: the tenant's staff, or one dealer (channel stock)."""

    import_id: int
    dealer_id: int | None = None


class Handler(Protocol):
    """One import kind: its columns, how rows are checked, how a clean file is written."""

    spec: Spec

    def validate(
        self, session: TenantSession, rows: list[Row], report: Report, context: ImportContext
    ) -> Any:
        """Check every row, adding to ``report``; returns the plan :meth:`apply` writes."""

    def apply(
        self,
        session: TenantSession,
        actor: Principal | None,
        plan: Any,
        context: ImportContext,
        progress: Progress,
    ) -> dict[str, int]:
        """Write a plan of a file without errors; returns counts (created, updated, ...)."""
