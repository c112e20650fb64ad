"""The one pagination style: keyset cursors.

A list endpoint takes ``limit`` (1-200, default 50), an opaque ``cursor`` and a
``sort`` naming one allowed field (``-`` prefix for descending); it answers
``{"items": [...], "next_cursor": "..." | null}``. Keyset pagination stays fast
on deep pages and never skips or repeats a row when rows are added meanwhile.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from dinghuo.errors import ValidationFailed


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))
    sort = fields.String(load_default=None, validate=validate.Length(max=50))


def page_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """The paging part of parsed query arguments, ready for ``paginate(..., **page_args(args))``."""
    return {"limit": args["limit"], "cursor": args["cursor"], "sort": args["sort"]}


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """The response schema of a list of ``item_schema``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
    )


def paginate(
    session: Any,
    query: Select[Any],
    *,
    id_column: InstrumentedAttribute[Any],
    sortable: Mapping[str, InstrumentedAttribute[Any]],
    default_sort: str,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """Run ``query`` one page at a time, ordered by ``sort`` then id."""
    sort = sort or default_sort
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in sortable:
        allowed = ", ".join(sorted(sortable))
        raise ValidationFailed.field("sort", f"Unknown sort field; use one of: {allowed}.")
    column = sortable[name]
    ordering = [column.desc(), id_column.desc()] if descending else [column.asc(), id_column.asc()]
    if cursor:
        last_value, last_id = _decode(cursor, sort)
        if descending:
            query = query.where(
                or_(column < last_value, and_(column == last_value, id_column < last_id))
            )
        else:
            query = query.where(
                or_(column > last_value, and_(column == last_value, id_column > last_id))
            )
    rows = list(session.scalars(query.order_by(*ordering).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode(sort, getattr(last, column.key), getattr(last, id_column.key))
    return Page(items=rows, next_cursor=next_cursor)


def _encode(sort: str, value: Any, row_id: Any) -> str:
    if hasattr(value, "isoformat"):
        value = {"t": value.isoformat()}
    raw = json.dumps([sort, value, row_id], default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_sort, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed.field("cursor", "Not a cursor this API issued.") from exc
    if cursor_sort != sort:
        raise ValidationFailed.field("cursor", "The cursor belongs to another sort order.")
    if isinstance(value, dict) and "t" in value:
        value = dt.datetime.fromisoformat(value["t"])
    return value, row_id
