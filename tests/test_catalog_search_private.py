"""PostgreSQL: the search text mirror is private, and its one door binds the tenant itself.

``search_text_match`` has no Row-Level Security (so its trigram index can serve
``LIKE``); the first defence is that the app role holds no privilege on it at
all, the second that ``dinghuo_search_match`` filters by ``app.tenant_id`` on
its own and the app joins its ids to the RLS-protected documents.
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text
from sqlalchemy.exc import ProgrammingError

from dinghuo.core.catalog.models import Sku
from dinghuo.core.catalog.search import index_products
from dinghuo.rls import PRIVATE_TABLES

pytestmark = pytest.mark.postgres

MATE = ("MATE60P-BLK-256", "MATE60P-BLK-512", "MATE60P-SLV-256", "MATE60P-SLV-512")
MATCH = text("SELECT sku_id FROM dinghuo_search_match(CAST(:terms AS text[]))")


@pytest.fixture
def two_catalogs(app, acme, globex, catalog):
    """Acme's fixture catalog and an identical one for globex, both indexed."""
    if app.extensions["dinghuo.db"].engine.dialect.name != "postgresql":
        pytest.skip("the private mirror and its function exist only on PostgreSQL")
    from fixtures_catalog import seed_catalog

    theirs = seed_catalog(app, globex)
    db = app.extensions["dinghuo.db"]
    for world, seeded in ((acme, catalog), (globex, theirs)):
        with db.transaction(world.id) as session:
            index_products(session, seeded.products.values())
    return catalog, theirs


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT count(*) FROM search_text_match",
        "UPDATE search_text_match SET text = ''",
        "DELETE FROM search_text_match",
        "INSERT INTO search_text_match (sku_id, tenant_id, text) VALUES (-1, -1, '')",
    ],
)
def test_the_app_role_cannot_touch_the_private_text_mirror(db, acme, two_catalogs, statement):
    with pytest.raises(ProgrammingError, match="permission denied"):
        with db.transaction(acme.id) as session:
            session.execute(text(statement))
    assert PRIVATE_TABLES == ("search_text_match",)


def test_the_match_function_returns_only_the_bound_tenants_skus(db, acme, globex, two_catalogs):
    ours, theirs = two_catalogs
    with db.transaction(acme.id) as session:
        found = set(session.scalars(MATCH, {"terms": ["mate60"]}))
    assert found == {ours.skus[code] for code in MATE}
    with db.transaction(globex.id) as session:
        found = set(session.scalars(MATCH, {"terms": ["mate60"]}))
    assert found == {theirs.skus[code] for code in MATE}


def test_the_match_function_returns_nothing_without_a_tenant(db, two_catalogs):
    with db.engine.connect() as connection:
        assert connection.execute(MATCH, {"terms": ["mate60"]}).all() == []
        connection.execute(text("SELECT set_config('app.tenant_id', '', true)"))
        assert connection.execute(MATCH, {"terms": ["mate60"]}).all() == []
        connection.rollback()


def test_the_match_function_treats_terms_as_text_not_patterns(db, acme, two_catalogs):
    with db.transaction(acme.id) as session:
        for terms in (["%"], ["_"], ["\\"], ["'); SELECT 1; --"], ["mate60", "%"]):
            assert list(session.scalars(MATCH, {"terms": terms})) == [], terms
        assert list(session.scalars(MATCH, {"terms": []})) == []


def test_the_mirror_follows_the_documents(db, owner_engine, acme, globex, two_catalogs):
    ours, _ = two_catalogs
    gone = ours.skus["MATE60P-SLV-512"]
    with db.transaction(acme.id) as session:
        session.execute(delete(Sku).where(Sku.id == gone))
        index_products(session, [ours.products["MATE60P"]])
    with owner_engine.connect() as connection:
        mirror = set(
            connection.execute(text("SELECT sku_id, tenant_id, text FROM search_text_match"))
        )
    documents = set()
    for world in (acme, globex):  # RLS is forced on the documents, even for their owner
        with db.transaction(world.id) as session:
            documents |= set(
                session.execute(text("SELECT sku_id, tenant_id, text FROM search_documents"))
            )
    assert mirror == documents and gone not in {row.sku_id for row in mirror}
    assert {row.tenant_id for row in mirror} == {acme.id, globex.id}


def test_the_trigram_index_can_serve_the_mirrors_like(owner_engine, two_catalogs):
    """No RLS on the mirror, so LIKE is an index condition (seq scans off: the table is tiny)."""
    with owner_engine.begin() as connection:
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            connection.execute(
                text("EXPLAIN SELECT sku_id FROM search_text_match WHERE text LIKE '%雅丹黑%'")
            ).scalars()
        )
    assert "ix_search_text_match_text_trgm" in plan, plan
