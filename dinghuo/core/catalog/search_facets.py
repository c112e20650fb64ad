"""Facet counts of a search: how many hits per category, brand, tag, spec value, in stock.

Counted over all the hits of the query and filters (not only the page): the
hits are a CTE that each count reads, so a product hidden from a dealer, being
no hit, counts nowhere. :func:`facet_parts` gives the counts as ``SELECT`` statements of
:data:`FACET_COLUMNS` columns that the search runs in the same statement as its
page (the hits computed once); :func:`read_facets` turns their rows into :class:`Facets`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CTE, Integer, Select, String, exists, func, literal, null, select

from dinghuo.core.catalog.models import (
    Brand,
    Category,
    ProductSpec,
    ProductTag,
    SpecAttribute,
    Tag,
)
from dinghuo.core.catalog.search_query import stock_available
from dinghuo.core.inventory.models import StockLevel, Warehouse

FACET_COLUMNS = ("kind", "id", "code", "name", "name_en", "value", "count")
"""The columns of every facet ``SELECT``: what is counted, and how many."""


@dataclass(frozen=True)
class FacetValue:
    """One value to narrow by (a category, brand, tag, or a spec's value) and its hits."""

    id: int | None
    code: str
    name: str
    name_en: str
    count: int


@dataclass(frozen=True)
class SpecFacet:
    """A filterable spec attribute (by code, across categories) and its values' counts."""

    code: str
    name_zh: str
    name_en: str
    values: list[FacetValue]


@dataclass
class Facets:
    categories: list[FacetValue] = field(default_factory=list)
    brands: list[FacetValue] = field(default_factory=list)
    tags: list[FacetValue] = field(default_factory=list)
    specs: list[SpecFacet] = field(default_factory=list)
    in_stock: int = 0
    total: int = 0


def facet_parts(hits: CTE, tenant_id: int, *, few: bool) -> list[Select[Any]]:
    """Count the ``hits`` CTE every way: one ``SELECT`` per kind, to ``UNION ALL``.

    The link tables are also filtered by ``tenant_id`` as a value (RLS does it too,
    but through ``current_setting``, which the planner cannot estimate): a big
    tenant's share is then known, and each hit is probed rather than all of the
    tenant's links hashed. ``few`` (the hits of a text query): count in-stock
    hits by one index probe each (a scalar subquery, which the planner never
    hashes) rather than a semi-join, which it would plan by hashing all of a
    big tenant's stock (it cannot estimate the text lookup's rows); without a
    query the hits are the whole filtered catalog and the semi-join is right.
    """
    none_id = null().cast(Integer)
    blank = literal("", String)
    own_stock = (StockLevel.tenant_id == tenant_id, *stock_available(hits.c.sku_id))
    if few:
        probe = select(StockLevel.sku_id).select_from(StockLevel, Warehouse).where(*own_stock)
        in_stock = select(
            literal("in_stock"),
            none_id,
            blank,
            blank,
            blank,
            blank,
            func.count(probe.limit(1).scalar_subquery()),
        ).select_from(hits)
    else:
        in_stock = (
            select(literal("in_stock"), none_id, blank, blank, blank, blank, func.count())
            .select_from(hits)
            .where(exists().where(*own_stock))
        )
    parts = [
        select(literal("total"), none_id, blank, blank, blank, blank, func.count()).select_from(
            hits
        ),
        in_stock,
        select(
            literal("category"),
            Category.id,
            Category.code,
            Category.name_zh,
            Category.name_en,
            blank,
            func.count(),
        )
        .join(hits, hits.c.category_id == Category.id)
        .group_by(Category.id, Category.code, Category.name_zh, Category.name_en),
        select(literal("brand"), Brand.id, Brand.code, Brand.name, blank, blank, func.count())
        .join(hits, hits.c.brand_id == Brand.id)
        .group_by(Brand.id, Brand.code, Brand.name),
        select(literal("tag"), Tag.id, blank, Tag.name, blank, blank, func.count())
        .join(ProductTag, ProductTag.tag_id == Tag.id)
        .join(hits, hits.c.product_id == ProductTag.product_id)
        .where(ProductTag.tenant_id == tenant_id)
        .group_by(Tag.id, Tag.name),
        select(
            literal("spec"),
            none_id,
            SpecAttribute.code,
            func.min(SpecAttribute.name_zh),
            func.min(SpecAttribute.name_en),
            ProductSpec.value,
            func.count(),
        )
        .join(SpecAttribute, SpecAttribute.id == ProductSpec.attribute_id)
        .join(hits, hits.c.product_id == ProductSpec.product_id)
        .where(ProductSpec.tenant_id == tenant_id, SpecAttribute.filterable.is_(True))
        .group_by(SpecAttribute.code, ProductSpec.value),
    ]
    return parts


def read_facets(rows: Iterable[Any]) -> Facets:
    """The facets from the rows of :func:`facet_parts` (:data:`FACET_COLUMNS` each)."""
    result = Facets()
    specs: dict[str, SpecFacet] = {}
    for kind, id_, code, name, name_en, value, count in rows:
        if kind == "total":
            result.total = count
        elif kind == "in_stock":
            result.in_stock = count
        elif kind == "spec":
            spec = specs.setdefault(code, SpecFacet(code, name or "", name_en or "", []))
            spec.values.append(FacetValue(None, value, value, "", count))
        else:
            bucket = {"category": result.categories, "brand": result.brands, "tag": result.tags}
            bucket[kind].append(FacetValue(id_, code or "", name or "", name_en or "", count))
    for values in (result.categories, result.brands, result.tags):
        values.sort(key=_by_count)
    for spec in specs.values():
        spec.values.sort(key=_by_count)
    result.specs = sorted(specs.values(), key=lambda spec: spec.code)
    return result


def _by_count(value: FacetValue) -> tuple[int, str, int]:
    return (-value.count, value.name, value.id or 0)
