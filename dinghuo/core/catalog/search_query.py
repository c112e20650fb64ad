"""The SQL of a catalog search, the same meaning on PostgreSQL and SQLite.

A term matches when it is a substring of the document text (both sides
normalised by :mod:`dinghuo.core.catalog.search_text`); every term must match.
PostgreSQL asks ``dinghuo_search_match(terms)`` (migration 0002): a SECURITY
DEFINER function over a private mirror of the text, so its ``LIKE`` can use the
pg_trgm GIN index that RLS would keep out of a plan on ``search_documents``;
it returns the bound tenant's matching SKU ids and their relevance, joined
here to the RLS-protected documents. SQLite first narrows with its FTS5
trigram table (terms of three characters or more: trigrams need three) and
then checks with ``instr``, so short queries such as "折叠" mean exactly the
same on both. Relevance is the sum of the positions where the terms first
occur (codes and names come first in a document), so both backends rank alike
and a cursor can carry it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    Text,
    and_,
    case,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.visitors import replacement_traverse

from dinghuo.core.catalog.models import (
    Product,
    ProductSpec,
    ProductStatus,
    ProductTag,
    SearchDocument,
    SpecAttribute,
    Tag,
)
from dinghuo.core.catalog.visibility import visible_to
from dinghuo.core.crm.models import Dealer
from dinghuo.core.inventory.models import StockLevel, Warehouse

_FTS = table("search_documents_fts", column("rowid", Integer))
_FTS_MIN_TERM = 3

Doc = SearchDocument


@dataclass(frozen=True)
class SearchFilters:
    """What narrows the hits; ``category_ids`` already includes the descendants."""

    terms: Sequence[str] = ()
    code_sku_ids: Sequence[int] = ()
    """SKUs whose dealer code matched the whole query: hits whatever the terms say."""
    category_ids: Sequence[int] | None = None
    brand_id: int | None = None
    tag: str | None = None
    specs: dict[str, str] = field(default_factory=dict)
    in_stock: bool | None = None
    status: ProductStatus | None = None


def hits(
    dialect: str, tenant_id: int, filters: SearchFilters, dealer: Dealer | None
) -> Select[Any]:
    """``SELECT`` of the matching documents (sku, product, brand, category, relevance)."""
    columns = (Doc.sku_id, Doc.product_id, Doc.brand_id, Doc.category_id, Doc.created_at)
    if dialect == "postgresql" and filters.terms:
        matched = _postgres_matches(filters)
        statement = select(*columns, matched.c.relevance.label("relevance")).join(
            matched, matched.c.sku_id == Doc.sku_id
        )
    else:
        statement = select(*columns, relevance(dialect, filters).label("relevance"))
    statement = statement.where(Doc.tenant_id == tenant_id)
    if dealer is not None:
        statement = statement.where(Doc.status == ProductStatus.ACTIVE, _visible_document(dealer))
    return statement.where(*_criteria(dialect, filters))


def _visible_document(dealer: Dealer) -> ColumnElement[bool]:
    """:func:`visible_to` read off the document's product id and tenant.

    The document copies what the search needs of its product (status included),
    so the hits need not join ``products``: one index probe fewer per hit.
    """
    swap = {"id": Doc.product_id, "tenant_id": Doc.tenant_id}

    def on_document(element: Any) -> Any:
        if getattr(element, "table", None) is Product.__table__ and element.key in swap:
            return swap[element.key]
        return None

    return replacement_traverse(visible_to(dealer), {}, on_document)


def relevance(dialect: str, filters: SearchFilters) -> ColumnElement[int]:
    """Lower is better: where the terms first occur; a dealer's own code scores 0."""
    if not filters.terms:
        return literal(0)
    position = text_position(dialect)
    score: ColumnElement[int] = sum(
        (position(Doc.text, term) for term in filters.terms[1:]),
        start=position(Doc.text, filters.terms[0]),
    )
    if filters.code_sku_ids:
        return case((Doc.sku_id.in_(filters.code_sku_ids), 0), else_=score)
    return score


def text_position(dialect: str) -> Any:
    """The SQL function giving a substring's 1-based position, 0 when absent."""
    return func.strpos if dialect == "postgresql" else func.instr


def _postgres_matches(filters: SearchFilters) -> Subquery:
    """The bound tenant's SKUs matching every term (or the dealer's code), with relevance.

    The function reads the private text mirror for ``app.tenant_id`` only; the
    join to ``search_documents`` (RLS) is the second check of the tenant.
    """
    found = func.dinghuo_search_match(literal(list(filters.terms), ARRAY(Text))).table_valued(
        column("sku_id", Integer), column("relevance", Integer), name="text_match"
    )
    matched = select(found.c.sku_id, found.c.relevance)
    if not filters.code_sku_ids:
        return matched.subquery("matched")
    coded = func.unnest(literal(list(filters.code_sku_ids), ARRAY(Integer)))
    either = matched.union_all(select(coded.label("sku_id"), literal(0).label("relevance")))
    pooled = either.subquery("pooled")
    return (
        select(pooled.c.sku_id, func.min(pooled.c.relevance).label("relevance"))
        .group_by(pooled.c.sku_id)
        .subquery("matched")
    )


def _criteria(dialect: str, filters: SearchFilters) -> list[ColumnElement[bool]]:
    criteria: list[ColumnElement[bool]] = []
    if filters.terms and dialect != "postgresql":  # PostgreSQL: joined in hits()
        matched = _sqlite_text_matches(filters.terms)
        if filters.code_sku_ids:
            matched = or_(matched, Doc.sku_id.in_(filters.code_sku_ids))
        criteria.append(matched)
    if filters.category_ids is not None:
        criteria.append(
            Doc.category_id.in_(filters.category_ids) if filters.category_ids else false()
        )
    if filters.brand_id is not None:
        criteria.append(Doc.brand_id == filters.brand_id)
    if filters.tag is not None:
        tagged = select(ProductTag.product_id).join(Tag, Tag.id == ProductTag.tag_id)
        criteria.append(Doc.product_id.in_(tagged.where(Tag.name == filters.tag)))
    for code, value in filters.specs.items():
        specced = select(ProductSpec.product_id).join(
            SpecAttribute, SpecAttribute.id == ProductSpec.attribute_id
        )
        criteria.append(
            Doc.product_id.in_(
                specced.where(SpecAttribute.code == code, ProductSpec.value == value)
            )
        )
    if filters.in_stock is not None:
        criteria.append(in_stock(Doc.sku_id) if filters.in_stock else ~in_stock(Doc.sku_id))
    if filters.status is not None:
        criteria.append(Doc.status == filters.status)
    return criteria


def in_stock(sku_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Some unit available in an active warehouse (on hand never falls below reserved)."""
    return exists().where(*stock_available(sku_id))


def stock_available(sku_id: ColumnElement[int]) -> list[ColumnElement[bool]]:
    """The stock rows of ``sku_id`` with a unit available in an active warehouse."""
    return [
        StockLevel.sku_id == sku_id,
        StockLevel.on_hand > StockLevel.reserved,
        Warehouse.id == StockLevel.warehouse_id,
        Warehouse.is_active.is_(True),
    ]


def _sqlite_text_matches(terms: Sequence[str]) -> ColumnElement[bool]:
    """FTS5 narrows by trigrams (terms of three characters or more); instr decides."""
    matched = [func.instr(Doc.text, term) > 0 for term in terms]
    long_terms = [t for t in terms if len(t) >= _FTS_MIN_TERM]
    if long_terms:
        phrase = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        narrowed = select(_FTS.c.rowid).where(
            literal_column("search_documents_fts").op("MATCH")(phrase)
        )
        matched.insert(0, Doc.sku_id.in_(narrowed))
    return and_(*matched)


@dataclass(frozen=True)
class SortOrder:
    """A sort as keyset keys: (expression, descending), sku id last."""

    keys: tuple[tuple[str, bool], ...]


SORTS: dict[str, SortOrder] = {
    "relevance": SortOrder((("relevance", False), ("sku_id", False))),
    "newest": SortOrder((("created_at", True), ("sku_id", True))),
    "price": SortOrder((("base_price", False), ("sku_id", False))),
    "-price": SortOrder((("base_price", True), ("sku_id", True))),
    "sales": SortOrder((("sales_qty", True), ("sku_id", False))),
}


def after(
    columns: dict[str, ColumnElement[Any]], order: SortOrder, last: Sequence[Any]
) -> ColumnElement[bool]:
    """Rows strictly after ``last`` in ``order``: lexicographic over the keys."""
    clauses = []
    for index, (name, descending) in enumerate(order.keys):
        equal_before = [columns[n] == last[i] for i, (n, _) in enumerate(order.keys[:index])]
        beyond = columns[name] < last[index] if descending else columns[name] > last[index]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)
