"""The search documents follow the catalog: one normalised row per SKU."""

from __future__ import annotations

from sqlalchemy import delete, select, text

from dinghuo.core.catalog.models import ProductStatus, SearchDocument, Sku
from dinghuo.core.catalog.search import index_products
from dinghuo.core.catalog.search_text import document_text, query_terms


def test_text_is_folded_lower_cased_and_compacted_per_field():
    assert document_text(["Mate 60 Pro", "ＡＬＮ－ＡＬ００", "雅丹黑", "Mate 60 Pro", ""]) == (
        "mate60pro aln-al00 雅丹黑"
    )
    assert query_terms("  Mate　60 mate ") == ["mate", "60"]


def test_index_products_writes_one_document_per_sku(app, acme, catalog):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        index_products(session, catalog.products.values())
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        docs = {d.sku_id: d for d in session.scalars(select(SearchDocument))}
    assert set(docs) == set(catalog.skus.values())
    black = docs[catalog.skus["MATE60P-BLK-512"]]
    assert "mate60p-blk-512" in black.text and "雅丹黑" in black.text
    assert "12+512g" in black.text and "aln-al00" in black.text and "手机" in black.text
    assert "数码" in black.text and "鼎新" in black.text
    assert black.status == ProductStatus.ACTIVE
    assert black.category_id == catalog.categories["PHONE"]


def test_reindex_drops_documents_of_deleted_skus(app, acme, catalog):
    db = app.extensions["dinghuo.db"]
    with db.transaction(acme.id) as session:
        index_products(session, catalog.products.values())
    gone = catalog.skus["MATE60P-SLV-512"]
    with db.transaction(acme.id) as session:
        session.execute(delete(Sku).where(Sku.id == gone))
        session.execute(
            delete(SearchDocument).where(SearchDocument.sku_id == -1),
        )
        index_products(session, [catalog.products["MATE60P"]])
        index_products(session, [catalog.products["MATE60P"]])
    with db.transaction(acme.id) as session:
        ids = set(session.scalars(select(SearchDocument.sku_id)))
        assert gone not in ids and len(ids) == len(catalog.skus) - 1
        if session.get_bind().dialect.name == "sqlite":
            mirrored = session.execute(
                text("SELECT count(*) FROM search_documents_fts WHERE text MATCH '雅丹黑'")
            ).scalar()
            assert mirrored == 2
