"""How catalog text is normalised, the same way for documents and queries.

Dealers type "mate60", "Mate 60 Pro", "ＡＬＮ－ＡＬ００" (full-width, from a
Chinese input method) or paste a barcode. Everything is folded with NFKC
(full-width to half-width) and lower-cased, and whitespace *inside* one field
is removed, so "Mate 60 Pro" is stored as ``mate60pro`` and both "mate60" and
"mate 60" find it. Fields are joined by single spaces, and a query term never
contains a space, so a term can only ever match within one field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def normalise(value: str) -> str:
    """Full-width folded, lower case."""
    return unicodedata.normalize("NFKC", value).lower()


def compact(value: str) -> str:
    """One field as stored: normalised with its whitespace removed."""
    return "".join(normalise(value).split())


def document_text(fields: Iterable[str | None]) -> str:
    """The searchable text of a document: its non-empty fields, compacted, each once."""
    seen: dict[str, None] = {}
    for value in fields:
        if value:
            token = compact(str(value))
            if token:
                seen.setdefault(token)
    return " ".join(seen)


def query_terms(query: str | None) -> list[str]:
    """The terms of a query, each once, in order; every one must match."""
    if not query:
        return []
    return list(dict.fromkeys(normalise(query).split()))
