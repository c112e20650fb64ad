"""Catalog work done after the request: search documents of bulk changes.

A bulk import commits its products first and indexes them right after, in
jobs of :data:`INDEX_BATCH` products (as Saleor refreshes search vectors
after the write): the import's transaction then holds only the catalog rows,
and several workers can index a large file in parallel. Search documents are
derived data — :func:`index_products` rebuilds them from the current rows, so
a job that runs twice, or after a later edit, leaves them right.
"""

from __future__ import annotations

from collections.abc import Iterable

from dinghuo.core.catalog.search_index import index_products
from dinghuo.db import TenantSession
from dinghuo.platform.jobs import JobContext, enqueue

INDEX_BATCH = 5_000


def reindex_products(ctx: JobContext, product_ids: list[int]) -> int:
    index_products(ctx.session, product_ids)
    return len(product_ids)


def schedule_reindex(session: TenantSession, product_ids: Iterable[int]) -> int:
    """Queue the indexing of ``product_ids`` once the session's transaction commits."""
    ids = sorted(set(product_ids))
    for start in range(0, len(ids), INDEX_BATCH):
        enqueue(session, reindex_products, ids[start : start + INDEX_BATCH])
    return len(ids)
