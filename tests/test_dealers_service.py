"""The dealer service as the console calls it: rules hold without the API's schemas."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from dinghuo.core.crm import service
from dinghuo.core.crm.models import Dealer, DealerStatus, PaymentTerms
from dinghuo.errors import NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user


@pytest.fixture
def acme_session(acme, db):
    session = db.session(acme.id)
    yield session
    session.rollback()
    session.close()


def actor(session, world, who):
    return principal_for_user(session.get(User, world.users[who].id))


def field_of(excinfo) -> list[str]:
    return list(excinfo.value.fields)


@pytest.mark.parametrize(
    "amount",
    [0.1, Decimal("-1"), Decimal("1.001"), Decimal("NaN"), "abc", True, None],
)
def test_credit_limit_must_be_a_non_negative_decimal_with_cents(acme_session, amount):
    with pytest.raises(ValidationFailed) as excinfo:
        service.create_dealer(acme_session, None, code="X1", name_zh="新", credit_limit=amount)

    assert field_of(excinfo) == ["credit_limit"]


def test_credit_limit_is_stored_exactly_in_minor_units(acme, acme_session, db):
    dealer = service.create_dealer(
        acme_session, None, code="X1", name_zh="新", credit_limit=Decimal("1234567.89")
    )
    acme_session.commit()

    with db.transaction(acme.id) as session:
        assert session.get(Dealer, dealer.id).credit_limit == Decimal("1234567.89")


def test_payment_terms_accept_their_values_and_refuse_others(acme_session):
    dealer = service.create_dealer(
        acme_session, None, code="X1", name_zh="新", payment_terms="net60"
    )
    assert dealer.payment_terms is PaymentTerms.NET60

    with pytest.raises(ValidationFailed) as excinfo:
        service.update_dealer(acme_session, None, dealer.id, payment_terms="cash")
    assert field_of(excinfo) == ["payment_terms"]


def test_update_refuses_fields_it_does_not_know(acme, acme_session):
    with pytest.raises(ValidationFailed) as excinfo:
        service.update_dealer(acme_session, None, acme.dealer_id, status=DealerStatus.SUSPENDED)

    assert field_of(excinfo) == ["status"]


def test_a_failed_update_changes_nothing(acme, acme_session):
    with pytest.raises(ValidationFailed):
        service.update_dealer(acme_session, None, acme.dealer_id, tier="A", credit_limit=-5)

    dealer = service.get_dealer(acme_session, acme.dealer_id)
    assert dealer.tier == "C"
    assert (
        acme_session.scalar(select(AuditEntry).where(AuditEntry.action == "dealer.update")) is None
    )


def test_staff_without_dealers_manage_are_refused(acme, acme_session):
    warehouse = actor(acme_session, acme, "warehouse")

    with pytest.raises(PermissionDenied):
        service.create_dealer(acme_session, warehouse, code="X1", name_zh="新")
    with pytest.raises(PermissionDenied):
        service.suspend_dealer(acme_session, warehouse, acme.dealer_id, "no")
    with pytest.raises(PermissionDenied):
        service.add_contact(acme_session, warehouse, acme.dealer_id, name="李娜")


def test_a_dealer_user_fetches_only_their_own_dealer(acme, acme_session):
    buyer = actor(acme_session, acme, "buyer")

    assert service.get_dealer(acme_session, acme.dealer_id, buyer).id == acme.dealer_id
    assert service.get_own_dealer(acme_session, buyer).id == acme.dealer_id
    with pytest.raises(NotFound):
        service.get_dealer(acme_session, acme.other_dealer_id, buyer)
    with pytest.raises(PermissionDenied):
        service.list_dealers(acme_session, buyer)


def test_another_tenants_dealer_is_not_found(acme, globex, acme_session):
    with pytest.raises(NotFound):
        service.get_dealer(acme_session, globex.dealer_id)
    with pytest.raises(NotFound):
        service.update_dealer(acme_session, None, globex.dealer_id, tier="A")


def test_list_answers_a_page_with_a_cursor(acme, acme_session):
    sales = actor(acme_session, acme, "sales")

    first = service.list_dealers(acme_session, sales, limit=1)
    second = service.list_dealers(acme_session, sales, limit=1, cursor=first.next_cursor)

    assert [d.code for d in first.items] == ["D001"]
    assert [d.code for d in second.items] == ["D002"]
    assert second.next_cursor is None


def test_dealer_access_follows_the_dealers_status(acme, acme_session):
    assert service.dealer_allows_access(acme_session, None)
    assert service.dealer_allows_access(acme_session, acme.dealer_id)

    service.suspend_dealer(acme_session, None, acme.dealer_id, "逾期")

    assert not service.dealer_allows_access(acme_session, acme.dealer_id)
    assert service.dealer_allows_access(acme_session, acme.other_dealer_id)
    service.reactivate_dealer(acme_session, None, acme.dealer_id)
    assert service.dealer_allows_access(acme_session, acme.dealer_id)


def test_the_system_actor_is_audited_as_system(acme_session):
    dealer = service.create_dealer(acme_session, None, code="X1", name_zh="新")

    entry = acme_session.scalar(select(AuditEntry).where(AuditEntry.object_id == str(dealer.id)))
    assert (entry.action, entry.actor_type) == ("dealer.create", "system")
