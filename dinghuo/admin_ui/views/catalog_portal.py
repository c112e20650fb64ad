"""The portal's catalog: browse by category, search with facets, a product page, its pictures.

Every page shows what the signed-in user's dealer may see, at that dealer's
prices, through :mod:`dinghuo.core.catalog.portal` and
:func:`dinghuo.core.catalog.search.search_catalog`; a product hidden from the
dealer answers 404, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import portal_page
from dinghuo.admin_ui.logo import storage
from dinghuo.core.catalog import portal
from dinghuo.core.catalog.models import Category
from dinghuo.core.catalog.search import SearchHit, SearchResult, search_catalog
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.platform.storage import StoredFileNotFound
from dinghuo.web import db_session, require_tenant

PAGE_SIZE = 24
NEWEST_COUNT = 8
NEWEST_SCAN = 60
SEARCH_EXAMPLES = ("雅丹黑", "12+512", "mate60")
IMAGE_MAX_AGE = 3600
SPEC_PREFIX = "spec."
MAX_SPEC_FILTERS = 5
SORT_LABELS = {
    "relevance": _l("Best match"),
    "newest": _l("Newest"),
    "price": _l("Price: low to high"),
    "-price": _l("Price: high to low"),
    "sales": _l("Best selling"),
}


@bp.get("/catalog")
@portal_page
def portal_catalog():
    """The catalog's front page: a search box, the category tree and the newest products."""
    session = db_session()
    principal = tenant_principal()
    newest = search_catalog(session, principal, sort="newest", limit=NEWEST_SCAN)
    return render_template(
        "ui/portal/catalog/home.html",
        tree=portal.category_tree(session, principal),
        newest=_one_per_product(newest.items)[:NEWEST_COUNT],
        examples=SEARCH_EXAMPLES,
    )


@bp.get("/catalog/search")
@portal_page
def portal_catalog_search():
    """SKUs matching the words and filters, with facets (counts) to narrow by, a page at a time."""
    session = db_session()
    principal = tenant_principal()
    filters = _filters(request.args)
    cursor = request.args.get("cursor") or None
    try:
        result = search_catalog(session, principal, **_search_args(filters), cursor=cursor)
    except ValidationFailed:
        # A stale or edited cursor: start again from the first page.
        cursor = None
        result = search_catalog(session, principal, **_search_args(filters))
    return render_template(
        "ui/portal/catalog/results.html",
        result=result,
        filters=filters,
        sorts=SORT_LABELS,
        toggle=partial(_toggled_url, filters),
        category_names=_category_names(result),
        more_url=_url(filters, cursor=result.next_cursor) if result.next_cursor else None,
        first_url=_url(filters) if cursor else None,
    )


@bp.get("/catalog/products/<int:product_id>")
@portal_page
def portal_product(product_id: int):
    """One product: pictures, each variant at the dealer's price, specs, accessories."""
    session = db_session()
    view = portal.dealer_product(session, tenant_principal(), product_id)
    wanted = request.args.get("image", type=int)
    shown = next((image for image in view.images if image.id == wanted), view.main_image)
    return render_template(
        "ui/portal/catalog/product.html",
        view=view,
        shown_image=shown,
        trail=_trail(view.product.category),
    )


@bp.get("/catalog/images/<int:image_id>")
@portal_page
def portal_catalog_image(image_id: int):
    """A product picture, served only to dealers who may see the product."""
    tenant = require_tenant()
    image = portal.dealer_image(db_session(), tenant_principal(), image_id)
    try:
        data = storage().read(tenant.id, image.storage_key)
    except StoredFileNotFound:
        raise NotFound("Not found.") from None
    response = Response(data, mimetype=image.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = f"private, max-age={IMAGE_MAX_AGE}"
    return response


def _trail(category: Category | None) -> list[Category]:
    """The category and its ancestors, root first (for the breadcrumb)."""
    trail: list[Category] = []
    while category is not None and category not in trail:
        trail.insert(0, category)
        category = category.parent
    return trail


@dataclass(frozen=True)
class Filters:
    """The search as the page's query string states it (after cleaning)."""

    q: str = ""
    category: int | None = None
    brand: int | None = None
    tag: str = ""
    specs: tuple[tuple[str, str], ...] = ()
    in_stock: bool = False
    sort: str = "relevance"

    def params(self) -> dict[str, Any]:
        """The query string that states these filters (empty ones left out)."""
        found: dict[str, Any] = {
            "q": self.q,
            "category": self.category,
            "brand": self.brand,
            "tag": self.tag,
            "in_stock": "1" if self.in_stock else "",
            "sort": self.sort if self.sort != "relevance" else "",
        }
        found.update({f"{SPEC_PREFIX}{code}": value for code, value in self.specs})
        return {name: value for name, value in found.items() if value}

    @property
    def narrowed(self) -> bool:
        return bool(self.category or self.brand or self.tag or self.specs or self.in_stock)


def _filters(args: Mapping[str, str]) -> Filters:
    sort = args.get("sort", "relevance")
    specs = tuple(
        sorted(
            (name.removeprefix(SPEC_PREFIX)[:40], value.strip()[:200])
            for name, value in args.items()
            if name.startswith(SPEC_PREFIX) and value.strip()
        )
    )[:MAX_SPEC_FILTERS]
    return Filters(
        q=args.get("q", "").strip()[:100],
        category=_positive(args.get("category")),
        brand=_positive(args.get("brand")),
        tag=args.get("tag", "").strip()[:50],
        specs=specs,
        in_stock=args.get("in_stock") == "1",
        sort=sort if sort in SORT_LABELS else "relevance",
    )


def _positive(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**31 else None


def _search_args(filters: Filters) -> dict[str, Any]:
    return {
        "q": filters.q or None,
        "category_id": filters.category,
        "brand_id": filters.brand,
        "tag": filters.tag or None,
        "specs": dict(filters.specs) or None,
        "in_stock": True if filters.in_stock else None,
        "sort": filters.sort,
        "limit": PAGE_SIZE,
    }


def _toggled_url(filters: Filters, name: str, value: Any) -> str:
    """The URL with one facet value switched on (or off, when it is on): a link per value."""
    params = filters.params()
    if params.get(name) == value or params.get(name) == str(value):
        params.pop(name)
    else:
        params[name] = value
    return url_for("ui.portal_catalog_search", **params)


def _category_names(result: SearchResult) -> dict[int, str]:
    return {value.id: value.name for value in result.facets.categories if value.id is not None}


def _one_per_product(hits: list[SearchHit]) -> list[SearchHit]:
    """One SKU per product, in order, preferring one in stock (a front page shows models)."""
    chosen: dict[int, SearchHit] = {}
    for hit in hits:
        current = chosen.get(hit.product_id)
        if current is None or (current.available <= 0 < hit.available):
            chosen[hit.product_id] = hit
    return list(chosen.values())


def _url(filters: Filters, **extra: Any) -> str:
    return url_for("ui.portal_catalog_search", **filters.params(), **extra)
