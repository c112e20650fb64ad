"""resolve_prices: the one precedence that prices portal pages, search, carts and orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, select, update

from dinghuo.core.catalog.models import Sku
from dinghuo.core.crm.models import Dealer, DealerGroup, DealerGroupMember
from dinghuo.core.pricing.models import (
    AssignmentScope,
    PriceList,
    PriceListAssignment,
    PriceListItem,
    PriceListKind,
)
from dinghuo.core.pricing.service import PriceBreak, resolve_prices
from dinghuo.errors import ValidationFailed
from dinghuo.platform.tenants.models import Tenant

TODAY = dt.date(2026, 6, 15)
PHONE = "MATE60P-BLK-256"  # base 5999.00, msrp 6499.00


@pytest.fixture
def prices(app, acme, catalog):
    """``prices.list(code, scope, value, {sku_code: {min_qty: price}}, **list_fields)``."""

    class Prices:
        def __init__(self) -> None:
            self.db = app.extensions["dinghuo.db"]
            self.ids: dict[str, int] = {}

        def list(
            self,
            code: str,
            assign: list[tuple[str, str]],
            items: dict[str, dict[int, str]],
            **fields,
        ) -> int:
            with self.db.transaction(acme.id) as session:
                price_list = PriceList(code=code, name=code, **fields)
                session.add(price_list)
                session.flush()
                for scope, value in assign:
                    session.add(
                        PriceListAssignment(
                            price_list_id=price_list.id, scope=AssignmentScope(scope), value=value
                        )
                    )
                for sku_code, breaks in items.items():
                    for min_qty, price in breaks.items():
                        session.add(
                            PriceListItem(
                                price_list_id=price_list.id,
                                sku_id=catalog.skus[sku_code],
                                min_qty=min_qty,
                                price=Decimal(price),
                            )
                        )
                self.ids[code] = price_list.id
                return price_list.id

        def group(self, dealer_id: int, code: str = "KEY") -> str:
            with self.db.transaction(acme.id) as session:
                group = DealerGroup(code=code, name=code)
                session.add(group)
                session.flush()
                session.add(DealerGroupMember(dealer_id=dealer_id, group_id=group.id))
                return str(group.id)

        def resolve(self, dealer_id: int, quantities, on=TODAY):
            with self.db.transaction(acme.id) as session:
                dealer = session.get(Dealer, dealer_id)
                return resolve_prices(session, dealer, quantities, on=on)

        def one(self, dealer_id: int, quantity: int = 1, on=TODAY, sku: str = PHONE):
            sku_id = catalog.skus[sku]
            return self.resolve(dealer_id, {sku_id: quantity}, on=on)[sku_id]

    return Prices()


def test_without_lists_the_base_price_applies(prices, acme):
    price = prices.one(acme.dealer_id)
    assert (price.unit_price, price.source, price.price_list_id) == (
        Decimal("5999.00"),
        "base",
        None,
    )
    assert price.msrp == Decimal("6499.00") and price.breaks == ()


def test_tier_list_applies_only_to_dealers_of_that_tier(prices, acme):
    prices.list("TIER-A", [("tier", "A")], {PHONE: {1: "5500"}})
    assert prices.one(acme.dealer_id).unit_price == Decimal("5500")
    assert prices.one(acme.dealer_id).source == "tier"
    assert prices.one(acme.other_dealer_id).source == "base"


def test_precedence_contract_beats_dealer_beats_group_beats_tier(prices, acme):
    group_id = prices.group(acme.dealer_id)
    prices.list("TIER-A", [("tier", "A")], {PHONE: {1: "5000"}}, priority=1)
    assert prices.one(acme.dealer_id).source == "tier"
    prices.list("GROUP", [("group", group_id)], {PHONE: {1: "5600"}}, priority=500)
    assert (prices.one(acme.dealer_id).source, prices.one(acme.dealer_id).unit_price) == (
        "group",
        Decimal("5600"),
    )
    prices.list("DEALER", [("dealer", str(acme.dealer_id))], {PHONE: {1: "5700"}}, priority=900)
    assert prices.one(acme.dealer_id).source == "dealer"
    prices.list(
        "CONTRACT",
        [("dealer", str(acme.dealer_id))],
        {PHONE: {1: "5800"}},
        kind=PriceListKind.CONTRACT,
        priority=999,
    )
    price = prices.one(acme.dealer_id)
    assert (price.source, price.unit_price, price.price_list_code) == (
        "contract",
        Decimal("5800"),
        "CONTRACT",
    )
    assert prices.one(acme.other_dealer_id).source == "base"


def test_a_list_without_the_sku_does_not_hide_a_less_specific_list(prices, acme):
    prices.list("DEALER", [("dealer", str(acme.dealer_id))], {"MATE60P-BLK-512": {1: "1"}})
    prices.list("TIER-A", [("tier", "A")], {PHONE: {1: "5500"}})
    assert prices.one(acme.dealer_id).source == "tier"


def test_same_level_lower_priority_number_wins_then_lower_price_then_lower_id(prices, acme):
    prices.list("EXPENSIVE-FIRST", [("tier", "A")], {PHONE: {1: "5900"}}, priority=10)
    prices.list("CHEAP-LATER", [("tier", "A")], {PHONE: {1: "5100"}}, priority=20)
    assert prices.one(acme.dealer_id).price_list_code == "EXPENSIVE-FIRST"
    prices.list("CHEAPER-SAME", [("tier", "A")], {PHONE: {1: "5800"}}, priority=10)
    assert prices.one(acme.dealer_id).price_list_code == "CHEAPER-SAME"
    prices.list("TIE-LATER-ID", [("tier", "A")], {PHONE: {1: "5800"}}, priority=10)
    assert prices.one(acme.dealer_id).price_list_code == "CHEAPER-SAME"


def test_a_list_assigned_at_two_levels_counts_at_the_most_specific(prices, acme):
    prices.list("GROUPISH", [("group", prices.group(acme.dealer_id))], {PHONE: {1: "5000"}})
    prices.list("BOTH", [("tier", "A"), ("dealer", str(acme.dealer_id))], {PHONE: {1: "5900"}})
    assert prices.one(acme.dealer_id).source == "dealer"
    assert prices.one(acme.dealer_id).price_list_code == "BOTH"


def test_inactive_lists_are_ignored(prices, acme):
    prices.list("OFF", [("tier", "A")], {PHONE: {1: "1"}}, is_active=False)
    assert prices.one(acme.dealer_id).source == "base"


def test_validity_dates_are_inclusive(prices, acme):
    prices.list(
        "JUNE",
        [("tier", "A")],
        {PHONE: {1: "5500"}},
        valid_from=dt.date(2026, 6, 1),
        valid_to=dt.date(2026, 6, 30),
    )
    assert prices.one(acme.dealer_id, on=dt.date(2026, 5, 31)).source == "base"
    assert prices.one(acme.dealer_id, on=dt.date(2026, 6, 1)).source == "tier"
    assert prices.one(acme.dealer_id, on=dt.date(2026, 6, 30)).source == "tier"
    assert prices.one(acme.dealer_id, on=dt.date(2026, 7, 1)).source == "base"


def test_today_is_the_tenants_date_not_utcs(prices, acme, monkeypatch, app):
    """At 2026-06-30 17:00 UTC it is already 1 July in Shanghai: a June list has ended."""
    prices.list("JUNE", [("tier", "A")], {PHONE: {1: "5500"}}, valid_to=dt.date(2026, 6, 30))
    prices.list("JULY", [("tier", "A")], {PHONE: {1: "5400"}}, valid_from=dt.date(2026, 7, 1))
    instant = dt.datetime(2026, 6, 30, 17, 0, tzinfo=dt.UTC)
    monkeypatch.setattr("dinghuo.core.pricing.service.utcnow", lambda: instant)
    assert prices.one(acme.dealer_id, on=None).price_list_code == "JULY"
    with app.extensions["dinghuo.db"].transaction() as session:
        session.execute(update(Tenant).where(Tenant.id == acme.id).values(timezone="UTC"))
    assert prices.one(acme.dealer_id, on=None).price_list_code == "JUNE"


def test_quantity_breaks_pick_the_greatest_min_qty_not_above_the_quantity(prices, acme):
    prices.list("TIER-A", [("tier", "A")], {PHONE: {1: "5600", 10: "5400", 50: "5200"}})
    assert prices.one(acme.dealer_id, 9).unit_price == Decimal("5600")
    assert prices.one(acme.dealer_id, 10).unit_price == Decimal("5400")
    assert prices.one(acme.dealer_id, 49).unit_price == Decimal("5400")
    price = prices.one(acme.dealer_id, 500)
    assert price.unit_price == Decimal("5200") and price.quantity == 500
    assert price.breaks == (
        PriceBreak(1, Decimal("5600")),
        PriceBreak(10, Decimal("5400")),
        PriceBreak(50, Decimal("5200")),
    )


def test_below_a_lists_smallest_break_the_next_candidate_applies(prices, acme):
    prices.list(
        "CONTRACT-BULK",
        [("dealer", str(acme.dealer_id))],
        {PHONE: {20: "5000"}},
        kind=PriceListKind.CONTRACT,
    )
    prices.list("TIER-A-BULK", [("tier", "A")], {PHONE: {10: "5300"}})
    assert prices.one(acme.dealer_id, 20).source == "contract"
    assert prices.one(acme.dealer_id, 19).source == "tier"
    assert prices.one(acme.dealer_id, 9).source == "base"


def test_lower_price_ties_compare_the_price_for_this_quantity(prices, acme):
    prices.list("A1", [("tier", "A")], {PHONE: {1: "5500", 10: "5300"}}, priority=5)
    prices.list("A2", [("tier", "A")], {PHONE: {1: "5400", 10: "5350"}}, priority=5)
    assert prices.one(acme.dealer_id, 1).price_list_code == "A2"
    assert prices.one(acme.dealer_id, 10).price_list_code == "A1"


def test_unknown_skus_are_absent_and_bad_quantities_refused(prices, acme, catalog):
    assert prices.resolve(acme.dealer_id, {999999: 1}) == {}
    with pytest.raises(ValidationFailed):
        prices.resolve(acme.dealer_id, {catalog.skus[PHONE]: 0})


def test_statement_count_does_not_grow_with_the_number_of_skus(prices, acme, catalog, app):
    group_id = prices.group(acme.dealer_id)
    every = {code: {1: "10", 5: "9"} for code in catalog.skus}
    prices.list("TIER-A", [("tier", "A")], every)
    prices.list("GROUP", [("group", group_id)], every)
    prices.list("CONTRACT", [("dealer", str(acme.dealer_id))], every, kind=PriceListKind.CONTRACT)
    engine = app.extensions["dinghuo.db"].engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def counted(quantities) -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            result = prices.resolve(acme.dealer_id, quantities, on=None)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert set(result) == set(quantities)
        return len(statements)

    one = counted({catalog.skus[PHONE]: 1})
    all_skus = counted({sku_id: 7 for sku_id in catalog.skus.values()})
    assert one == all_skus
    assert all_skus <= 8


def test_resolution_is_per_tenant(prices, acme, globex, catalog, app):
    """A globex dealer of the same tier sees none of acme's SKUs or lists."""
    prices.list("TIER-A", [("tier", "A")], {PHONE: {1: "1"}})
    with app.extensions["dinghuo.db"].transaction(globex.id) as session:
        session.execute(update(Dealer).where(Dealer.id == globex.dealer_id).values(tier="A"))
        dealer = session.get(Dealer, globex.dealer_id)
        assert session.scalar(select(Sku.id)) is None
        assert resolve_prices(session, dealer, {catalog.skus[PHONE]: 1}, on=TODAY) == {}
