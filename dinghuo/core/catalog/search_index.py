"""Keeping ``search_documents`` in step with the catalog: one row per SKU.

The catalog service and imports call :func:`index_products` after any change
to what a search matches, filters or sorts on. Rows are upserted (two
concurrent re-indexes of one product both succeed) and the rows of SKUs that
no longer exist are deleted. On SQLite, triggers from migration 0002 mirror
each row into the FTS5 trigram table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from dinghuo.core.catalog.models import (
    Brand,
    Category,
    Product,
    ProductSpec,
    ProductStatus,
    ProductTag,
    SearchDocument,
    Sku,
)
from dinghuo.core.catalog.search_text import document_text
from dinghuo.db import TenantSession

_BATCH = 500


def index_products(session: TenantSession, product_ids: Iterable[int]) -> None:
    """Rebuild the search documents of these products' SKUs (deleting those of SKUs gone)."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    categories = _category_paths(session)
    for start in range(0, len(ids), _BATCH):
        _index_batch(session, ids[start : start + _BATCH], categories)


def _index_batch(session: TenantSession, ids: list[int], categories: dict[int, list[str]]) -> None:
    session.flush()
    products = session.scalars(
        select(Product)
        .where(Product.id.in_(ids))
        .options(
            selectinload(Product.skus),
            selectinload(Product.tag_links).joinedload(ProductTag.tag),
            selectinload(Product.specs).joinedload(ProductSpec.attribute),
        )
    ).all()
    brands = _brand_names(session, {p.brand_id for p in products if p.brand_id})
    rows = [
        _document(product, sku, brands.get(product.brand_id or 0, []), categories)
        for product in products
        for sku in product.skus
    ]
    kept = [row["sku_id"] for row in rows]
    stale = delete(SearchDocument).where(SearchDocument.product_id.in_(ids))
    if kept:
        stale = stale.where(SearchDocument.sku_id.not_in(kept))
    session.execute(stale, execution_options={"synchronize_session": False})
    if rows:
        _upsert(session, rows)


def _document(
    product: Product, sku: Sku, brand: list[str], categories: dict[int, list[str]]
) -> dict[str, Any]:
    fields: list[str | None] = [
        sku.code,
        sku.barcode,
        product.model_number,
        product.code,
        product.name_zh,
        product.name_en,
        *(str(value) for value in sku.variant.values()),
        *brand,
        *categories.get(product.category_id or 0, []),
        *(link.tag.name for link in product.tag_links),
        *(spec.value for spec in product.specs),
    ]
    return {
        "tenant_id": product.tenant_id,
        "sku_id": sku.id,
        "product_id": product.id,
        "text": document_text(fields),
        "status": _effective_status(product.status, sku.status),
        "brand_id": product.brand_id,
        "category_id": product.category_id,
        "created_at": product.created_at,
    }


def _effective_status(product: ProductStatus, sku: ProductStatus) -> ProductStatus:
    """Orderable only when both are active; otherwise the status that is not."""
    return sku if product == ProductStatus.ACTIVE else product


def _brand_names(session: TenantSession, ids: set[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    rows = session.execute(select(Brand.id, Brand.name, Brand.code).where(Brand.id.in_(ids)))
    return {row.id: [row.name, row.code] for row in rows}


def _category_paths(session: TenantSession) -> dict[int, list[str]]:
    """Each category's names and those of its ancestors: "手机" also finds "折叠屏手机"'s products."""
    nodes = {
        row.id: row
        for row in session.execute(
            select(Category.id, Category.parent_id, Category.name_zh, Category.name_en)
        )
    }
    paths: dict[int, list[str]] = {}
    for category_id in nodes:
        names: list[str] = []
        node = nodes.get(category_id)
        seen: set[int] = set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names += [node.name_zh, node.name_en]
            node = nodes.get(node.parent_id) if node.parent_id else None
        paths[category_id] = names
    return paths


def _upsert(session: TenantSession, rows: list[dict[str, Any]]) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SearchDocument.__table__)
    updated = {
        column: statement.excluded[column]
        for column in ("product_id", "text", "status", "brand_id", "category_id", "created_at")
    }
    session.execute(statement.on_conflict_do_update(index_elements=["sku_id"], set_=updated), rows)
