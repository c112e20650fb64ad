"""The first defence of tenant isolation: the ORM tenant guard in dinghuo/db.py.

These run on SQLite and PostgreSQL alike; on PostgreSQL Row-Level Security
would catch most of these mistakes too, which is why each test checks the
guard's own answer (an exception or a filtered result), not just the outcome.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update

from dinghuo.core.crm.models import AddressKind, Dealer, DealerAddress, DealerGroup
from dinghuo.db import TenantGuardError
from dinghuo.platform.auth.models import User


def test_query_of_tenant_data_without_a_tenant_bound_raises(db, acme):
    with db.session() as session, pytest.raises(TenantGuardError):
        session.scalars(select(User)).all()


def test_query_joining_tenant_data_without_a_tenant_bound_raises(db, acme):
    with db.session() as session, pytest.raises(TenantGuardError):
        session.execute(select(func.count(Dealer.id))).scalar()


def test_query_sees_only_the_bound_tenants_rows(db, acme, globex):
    with db.session(acme.id) as session:
        emails = session.scalars(select(User.email)).all()
        dealers = session.scalars(select(Dealer)).all()
    assert emails and all(email.endswith("@acme.test") for email in emails)
    assert {d.tenant_id for d in dealers} == {acme.id}


def test_get_by_id_of_another_tenants_row_finds_nothing(db, acme, globex):
    with db.session(acme.id) as session:
        assert session.get(Dealer, globex.dealer_id) is None
        assert session.get(Dealer, acme.dealer_id) is not None


def test_new_rows_are_stamped_with_the_bound_tenant(db, acme):
    with db.transaction(acme.id) as session:
        group = DealerGroup(code="KA", name="重点客户 Key accounts")
        session.add(group)
        session.flush()
        assert group.tenant_id == acme.id


def test_new_row_without_a_tenant_bound_raises(db, acme):
    with db.session() as session:
        session.add(DealerGroup(code="KA", name="Key accounts", tenant_id=acme.id))
        with pytest.raises(TenantGuardError):
            session.flush()


def test_new_row_for_another_tenant_raises(db, acme, globex):
    with db.session(acme.id) as session:
        session.add(DealerGroup(code="KA", name="Key accounts", tenant_id=globex.id))
        with pytest.raises(TenantGuardError):
            session.flush()


def _detached_globex_dealer(db, globex) -> Dealer:
    with db.session(globex.id) as session:
        dealer = session.get(Dealer, globex.dealer_id)
        session.expunge(dealer)
    return dealer


def test_changing_another_tenants_row_raises(db, acme, globex):
    dealer = _detached_globex_dealer(db, globex)
    with db.session(acme.id) as session:
        session.add(dealer)
        dealer.name_zh = "被篡改"
        with pytest.raises(TenantGuardError):
            session.flush()
    with db.session(globex.id) as session:
        assert session.get(Dealer, globex.dealer_id).name_zh != "被篡改"


def test_deleting_another_tenants_row_raises(db, acme, globex):
    dealer = _detached_globex_dealer(db, globex)
    with db.session(acme.id) as session:
        session.add(dealer)
        session.delete(dealer)
        with pytest.raises(TenantGuardError):
            session.flush()


def test_bulk_update_touches_only_the_bound_tenant(db, acme, globex):
    with db.transaction(acme.id) as session:
        session.execute(update(Dealer).values(tier="A"))
    with db.session(globex.id) as session:
        assert set(session.scalars(select(Dealer.tier))) == {"C"}
    with db.session(acme.id) as session:
        assert set(session.scalars(select(Dealer.tier))) == {"A"}


def test_rebinding_a_session_to_another_tenant_raises(db, acme, globex):
    with db.session(acme.id) as session:
        session.bind_tenant(acme.id)
        with pytest.raises(TenantGuardError):
            session.bind_tenant(globex.id)


def test_relationship_loads_are_filtered_to_the_bound_tenant(db, owner_engine, acme, globex):
    """A stray row of globex pointing at acme's dealer never surfaces in acme's session.

    Foreign keys cannot say "same tenant", so the row is planted directly as
    the owner: exactly the corruption the guard must not propagate.
    """
    with owner_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(globex.id)}
            )
        connection.execute(
            DealerAddress.__table__.insert().values(
                tenant_id=globex.id,
                dealer_id=acme.dealer_id,
                kind=AddressKind.SHIP_TO,
                label="",
                recipient="Mallory",
                phone="000",
                province="-",
                city="-",
                district="",
                street="-",
                postal_code="",
                is_default=False,
            )
        )
    with db.session(acme.id) as session:
        dealer = session.get(Dealer, acme.dealer_id)
        assert dealer.addresses == []
        joined = session.scalars(
            select(DealerAddress).join(Dealer, DealerAddress.dealer_id == Dealer.id)
        ).all()
        assert joined == []
