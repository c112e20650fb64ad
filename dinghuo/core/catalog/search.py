"""Catalog search: the contract other areas call.

:func:`index_products` keeps the search documents current (catalog service,
imports); :func:`search_catalog` answers staff and dealer searches.
"""

from __future__ import annotations

from dinghuo.core.catalog.search_index import index_products

__all__ = ["index_products"]
