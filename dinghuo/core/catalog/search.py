"""Catalog search: the contract other areas call.

:func:`index_products` keeps the search documents current (catalog service,
imports); :func:`search_catalog` answers staff and dealer searches. Staff
(``catalog:read``) see every SKU in any status; a dealer's user
(``catalog:browse``) sees only active SKUs of products visible to its dealer,
in the hits *and* in the facet counts, priced for that dealer. One page costs
a constant number of queries: the page with the facets (one statement, so the
hits are found once), stock, and the dealer's prices (batched by
:func:`dinghuo.core.pricing.service.resolve_prices`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import CTE, Subquery, func, literal, null, select, union_all

from dinghuo.core.catalog.models import (
    Category,
    DealerSkuCode,
    Product,
    ProductImage,
    ProductStatus,
    Sku,
)
from dinghuo.core.catalog.search_facets import FACET_COLUMNS, Facets, facet_parts, read_facets
from dinghuo.core.catalog.search_index import index_products
from dinghuo.core.catalog.search_query import (
    SORTS,
    SearchFilters,
    SortOrder,
    after,
    hits,
    text_position,
)
from dinghuo.core.catalog.search_text import compact, query_terms
from dinghuo.core.crm.models import Dealer
from dinghuo.core.crm.service import get_dealer
from dinghuo.core.inventory.ledger import available_by_sku
from dinghuo.core.pricing.service import ResolvedPrice, resolve_prices
from dinghuo.db import TenantSession
from dinghuo.errors import PermissionDenied, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

__all__ = ["SearchHit", "SearchResult", "index_products", "search_catalog"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class SearchHit:
    """One SKU found, with what a result list shows."""

    sku_id: int
    sku_code: str
    barcode: str
    variant: dict[str, Any]
    status: ProductStatus
    product_id: int
    product_code: str
    name_zh: str
    name_en: str
    model_number: str
    main_image_id: int | None
    available: int
    base_price: Decimal | None
    """Staff holding ``prices:read`` only."""
    price: ResolvedPrice | None
    """The requesting dealer's price for one unit; ``None`` for staff."""


@dataclass
class SearchResult:
    items: list[SearchHit]
    facets: Facets
    next_cursor: str | None = None
    total: int = 0
    query: dict[str, Any] = field(default_factory=dict)


def search_catalog(
    session: TenantSession,
    principal: Principal,
    *,
    q: str | None = None,
    category_id: int | None = None,
    brand_id: int | None = None,
    tag: str | None = None,
    specs: dict[str, str] | None = None,
    in_stock: bool | None = None,
    status: ProductStatus | None = None,
    sort: str = "relevance",
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> SearchResult:
    """One page of the SKUs matching the query and filters, with facets over all hits."""
    dealer = _viewer_dealer(session, principal)
    if status is not None and dealer is not None:
        raise ValidationFailed.field("status", "Only staff may filter by status.")
    if sort not in SORTS:
        raise ValidationFailed.field("sort", f"Use one of: {', '.join(SORTS)}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", f"Must be between 1 and {MAX_LIMIT}.")
    terms = query_terms(q)
    if sort == "relevance" and not terms:
        sort = "newest"
    last = _decode(cursor, sort) if cursor else None
    if dealer is not None and not dealer.is_active:
        return SearchResult(items=[], facets=Facets())
    filters = SearchFilters(
        terms=terms,
        code_sku_ids=_dealer_code_matches(session, dealer, q) if dealer and terms else (),
        category_ids=_with_descendants(session, category_id) if category_id else None,
        brand_id=brand_id,
        tag=tag,
        specs=dict(specs or {}),
        in_stock=in_stock,
        status=status,
    )
    dialect = session.get_bind().dialect.name
    matching = hits(dialect, session.tenant_id, filters, dealer)
    rows, next_cursor, counted = _page_and_facets(
        session, matching, sort, limit, last, searched=bool(terms)
    )
    return SearchResult(
        items=_hits(session, principal, dealer, rows),
        facets=counted,
        next_cursor=next_cursor,
        total=counted.total,
    )


def _viewer_dealer(session: TenantSession, principal: Principal) -> Dealer | None:
    """``None`` for staff; the dealer of a dealer's user; else refused."""
    if principal.can(Permission.CATALOG_READ):
        return None
    if principal.can(Permission.CATALOG_BROWSE) and principal.dealer_id is not None:
        return get_dealer(session, principal.dealer_id)
    raise PermissionDenied("This needs the permission: catalog:read or catalog:browse.")


def _dealer_code_matches(session: TenantSession, dealer: Dealer, q: str | None) -> list[int]:
    """SKUs whose code *of this dealer* contains the whole query (spaces ignored)."""
    needle = compact(q or "")
    position = text_position(session.get_bind().dialect.name)
    code = func.replace(func.lower(DealerSkuCode.code), " ", "")
    return list(
        session.scalars(
            select(DealerSkuCode.sku_id).where(
                DealerSkuCode.dealer_id == dealer.id, position(code, needle) > 0
            )
        )
    )


def _with_descendants(session: TenantSession, category_id: int) -> list[int]:
    """The category and every category below it (unknown id: none, so no hits)."""
    children: dict[int | None, list[int]] = {}
    known: set[int] = set()
    for row in session.execute(select(Category.id, Category.parent_id)):
        children.setdefault(row.parent_id, []).append(row.id)
        known.add(row.id)
    if category_id not in known:
        return []
    found, pending = [], [category_id]
    while pending:
        current = pending.pop()
        if current not in found:
            found.append(current)
            pending.extend(children.get(current, []))
    return found


def _page_and_facets(
    session: TenantSession,
    matching: Any,
    sort: str,
    limit: int,
    last: list[Any] | None,
    *,
    searched: bool,
) -> tuple[list[Any], str | None, Facets]:
    """The page and every facet count in one ``UNION ALL`` over one hits CTE.

    The hits (on PostgreSQL one trigram lookup) are computed once, not once for
    the page and again for the facets. Facet rows carry :data:`FACET_COLUMNS`
    then NULLs; page rows a ``'page'`` marker, NULLs, their rank and the page columns.
    """
    dialect = session.get_bind().dialect.name
    found = matching.cte("hits")
    page = _page_select(found, sort, limit, last)
    order = SORTS[sort]
    rank = func.row_number().over(order_by=_ordering(dict(page.c.items()), order))
    page_part = select(
        literal("page").label("facet_kind"),
        *(null().label(f"facet_{name}") for name in FACET_COLUMNS[1:]),
        rank.label("page_rank"),
        *page.c,
    )
    padding = len(page.c) + 1
    counts = [
        part.add_columns(*(null() for _ in range(padding)))
        for part in facet_parts(found, session.tenant_id, dialect, few=searched)
    ]
    rows = session.execute(union_all(page_part, *counts)).all()
    page_rows = sorted((r for r in rows if r.facet_kind == "page"), key=lambda r: r.page_rank)
    counted = read_facets(r[: len(FACET_COLUMNS)] for r in rows if r.facet_kind != "page")
    if len(page_rows) <= limit:
        return page_rows, None, counted
    page_rows = page_rows[:limit]
    tail = page_rows[-1]
    return page_rows, _encode(sort, [getattr(tail, name) for name, _ in order.keys]), counted


def _page_select(hits: CTE, sort: str, limit: int, last: list[Any] | None) -> Subquery:
    """One page more than ``limit`` of the hits, in ``sort`` order after ``last``.

    When every sort key is a column of the hits (relevance, newest), the page is
    cut before SKUs and products are joined, so only its rows are looked up.
    """
    order = SORTS[sort]
    found: Any = hits
    if all(name in _HIT_KEYS for name, _ in order.keys):
        hit_keys = {name: hits.c[name] for name in _HIT_KEYS}
        top = select(*hits.c).order_by(*_ordering(hit_keys, order)).limit(limit + 1)
        if last is not None:
            top = top.where(after(hit_keys, order, last))
        found, last = top.subquery("top"), None
    main_image = (
        select(ProductImage.id)
        .where(ProductImage.product_id == found.c.product_id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .scalar_subquery()
    )
    keys = {
        "relevance": found.c.relevance,
        "created_at": found.c.created_at,
        "sku_id": found.c.sku_id,
        "base_price": Sku.base_price,
        "sales_qty": Sku.sales_qty,
    }
    statement = (
        select(
            found.c.sku_id,
            found.c.relevance,
            found.c.created_at,
            Sku.code.label("sku_code"),
            Sku.barcode,
            Sku.variant,
            Sku.base_price,
            Sku.sales_qty,
            Product.id.label("product_id"),
            Product.code.label("product_code"),
            Product.name_zh,
            Product.name_en,
            Product.model_number,
            Product.status.label("product_status"),
            Sku.status.label("sku_status"),
            main_image.label("main_image_id"),
        )
        .join(Sku, Sku.id == found.c.sku_id)
        .join(Product, Product.id == found.c.product_id)
        .order_by(*_ordering(keys, order))
        .limit(limit + 1)
    )
    if last is not None:
        statement = statement.where(after(keys, order, last))
    return statement.subquery("page")


_HIT_KEYS = ("relevance", "created_at", "sku_id")
"""Sort keys the hits carry themselves."""


def _ordering(keys: dict[str, Any], order: SortOrder) -> list[Any]:
    return [keys[name].desc() if desc else keys[name].asc() for name, desc in order.keys]


def _hits(
    session: TenantSession, principal: Principal, dealer: Dealer | None, rows: Sequence[Any]
) -> list[SearchHit]:
    sku_ids = [row.sku_id for row in rows]
    stock = available_by_sku(session, sku_ids)
    prices = resolve_prices(session, dealer, dict.fromkeys(sku_ids, 1)) if dealer and rows else {}
    show_base = dealer is None and principal.can(Permission.PRICES_READ)
    return [
        SearchHit(
            sku_id=row.sku_id,
            sku_code=row.sku_code,
            barcode=row.barcode,
            variant=row.variant,
            status=(
                row.sku_status if row.product_status == ProductStatus.ACTIVE else row.product_status
            ),
            product_id=row.product_id,
            product_code=row.product_code,
            name_zh=row.name_zh,
            name_en=row.name_en,
            model_number=row.model_number,
            main_image_id=row.main_image_id,
            available=stock.get(row.sku_id, 0),
            base_price=row.base_price if show_base else None,
            price=prices.get(row.sku_id),
        )
        for row in rows
    ]


# --- cursors: opaque, like dinghuo.api.pagination's, carrying every sort key -----------


def _encode(sort: str, values: list[Any]) -> str:
    plain = [
        v.isoformat() if isinstance(v, dt.datetime) else str(v) if isinstance(v, Decimal) else v
        for v in values
    ]
    raw = json.dumps([sort, plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_KEY_TYPES = {
    "relevance": int,
    "sku_id": int,
    "sales_qty": int,
    "base_price": Decimal,
    "created_at": dt.datetime.fromisoformat,
}


def _decode(cursor: str, sort: str) -> list[Any]:
    names = [name for name, _ in SORTS[sort].keys]
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_sort, values = json.loads(base64.urlsafe_b64decode(padded))
        if cursor_sort != sort:
            raise ValidationFailed.field("cursor", "The cursor belongs to another sort order.")
        if not isinstance(values, list) or len(values) != len(names):
            raise ValueError(values)
        decoded = []
        for name, value in zip(names, values, strict=True):
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError(value)
            decoded.append(_KEY_TYPES[name](value))
        return decoded
    except (ValueError, TypeError, InvalidOperation) as exc:
        raise ValidationFailed.field("cursor", "Not a cursor this API issued.") from exc
