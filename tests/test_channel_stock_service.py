"""Dealer (channel) stock as services see it: reports, days of cover, overstock warnings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dinghuo.core.catalog.models import DealerSkuCode
from dinghuo.core.inventory.channel import (
    ChannelStockLine,
    is_overstocked,
    list_by_sku,
    list_channel_stock,
    overstock_warnings,
    report_channel_stock,
    resolve_sku_codes,
)
from dinghuo.core.inventory.models import ChannelStock, ChannelStockReport
from dinghuo.errors import NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user
from dinghuo.platform.events.models import OutboxEvent
from dinghuo.platform.tenants.business import update_business_settings


@pytest.fixture
def session(acme, catalog, db):
    session = db.session(acme.id)
    yield session
    session.rollback()
    session.close()


def actor(session, world, who):
    return principal_for_user(session.get(User, world.users[who].id))


def line(sku_id, on_hand, sold_qty, period_days=30):
    return ChannelStockLine(
        sku_id=sku_id, on_hand=on_hand, sold_qty=sold_qty, period_days=period_days
    )


def test_a_report_keeps_the_latest_snapshot_and_appends_history(session, acme, catalog):
    buyer = actor(session, acme, "buyer")
    sku = catalog.skus["MATE60P-BLK-256"]

    report_channel_stock(session, buyer, acme.dealer_id, [line(sku, 100, 30)], source="form")
    report_channel_stock(session, buyer, acme.dealer_id, [line(sku, 80, 60)], source="api")

    latest = session.scalars(select(ChannelStock)).all()
    assert [(s.on_hand, s.sold_qty) for s in latest] == [(80, 60)]
    assert latest[0].days_of_cover == Decimal("40.0")
    history = session.scalars(select(ChannelStockReport).order_by(ChannelStockReport.id)).all()
    assert [(r.on_hand, r.source, r.reported_by_id) for r in history] == [
        (100, "form", acme.users["buyer"].id),
        (80, "api", acme.users["buyer"].id),
    ]
    assert (
        session.scalar(select(func.count()).where(OutboxEvent.type == "channel_stock.reported"))
        == 2
    )


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"on_hand": -1}, "lines[1].on_hand"),
        ({"sold_qty": 1.5}, "lines[1].sold_qty"),
        ({"on_hand": True}, "lines[1].on_hand"),
        ({"period_days": 0}, "lines[1].period_days"),
        ({"period_days": 366}, "lines[1].period_days"),
        ({"sku_id": 999999}, "lines[1].sku_id"),
    ],
)
def test_bad_lines_are_refused_by_line_and_field_and_change_nothing(
    session, acme, catalog, bad, field
):
    good = {"sku_id": catalog.skus["CHG66-WHT"], "on_hand": 5, "sold_qty": 5, "period_days": 30}
    other = {**good, "sku_id": catalog.skus["MATE60P-BLK-512"], **bad}

    with pytest.raises(ValidationFailed) as excinfo:
        report_channel_stock(
            session,
            actor(session, acme, "buyer"),
            acme.dealer_id,
            [ChannelStockLine(**good), ChannelStockLine(**other)],
            source="api",
        )

    assert list(excinfo.value.fields) == [field]
    assert session.scalar(select(func.count()).select_from(ChannelStockReport)) == 0


def test_the_same_sku_twice_in_one_report_is_refused(session, acme, catalog):
    sku = catalog.skus["CHG66-WHT"]
    with pytest.raises(ValidationFailed) as excinfo:
        report_channel_stock(
            session, None, acme.dealer_id, [line(sku, 1, 1), line(sku, 2, 2)], source="api"
        )
    assert list(excinfo.value.fields) == ["lines[1].sku_id"]


def test_a_sku_hidden_from_the_dealer_cannot_be_reported(session, acme, catalog):
    launch = catalog.skus["X7-BLK-1T"]  # tier A only; D002 is tier C
    with pytest.raises(ValidationFailed) as excinfo:
        report_channel_stock(
            session,
            actor(session, acme, "other_buyer"),
            acme.other_dealer_id,
            [line(launch, 3, 1)],
            source="form",
        )
    assert list(excinfo.value.fields) == ["lines[0].sku_id"]
    assert report_channel_stock(session, None, acme.dealer_id, [line(launch, 3, 1)], source="form")


def test_a_buyer_of_one_dealer_cannot_report_for_another(session, acme, catalog):
    with pytest.raises(NotFound):
        report_channel_stock(
            session,
            actor(session, acme, "other_buyer"),
            acme.dealer_id,
            [line(catalog.skus["CHG66-WHT"], 1, 1)],
            source="api",
        )


def test_staff_cannot_report_for_a_dealer(session, acme, catalog):
    with pytest.raises(PermissionDenied):
        report_channel_stock(
            session,
            actor(session, acme, "owner"),
            acme.dealer_id,
            [line(catalog.skus["CHG66-WHT"], 1, 1)],
            source="api",
        )


@pytest.mark.parametrize(
    ("on_hand", "sold", "period", "expected"),
    [
        (0, 0, 30, False),  # nothing held
        (5, 0, 30, True),  # nothing sold: infinite cover
        (60, 30, 30, False),  # exactly 60 days
        (61, 30, 30, True),  # 61 days
        (1201, 20, 1, True),  # 60.05 days: compared exactly, not after rounding
    ],
)
def test_overstock_compares_days_of_cover_with_the_threshold(on_hand, sold, period, expected):
    assert is_overstocked(on_hand, sold, period, 60) is expected


def test_overstock_warnings_name_sku_cover_and_threshold(session, acme, catalog):
    update_business_settings(session, None, {"overstock_days_of_cover": 60})
    skus = catalog.skus
    report_channel_stock(
        session,
        None,
        acme.dealer_id,
        [
            line(skus["MATE60P-BLK-256"], 95, 30),  # 95 days
            line(skus["MATE60P-BLK-512"], 30, 30),  # 30 days
            line(skus["CHG66-WHT"], 40, 0),  # nothing sold
        ],
        source="api",
    )

    warnings = overstock_warnings(session, acme.dealer_id, skus.values())

    assert [(w.sku_code, w.on_hand, w.days_of_cover, w.threshold) for w in warnings] == [
        ("CHG66-WHT", 40, None, 60),
        ("MATE60P-BLK-256", 95, Decimal("95.0"), 60),
    ]
    assert "95.0 days of cover of MATE60P-BLK-256" in warnings[1].message
    assert overstock_warnings(session, acme.dealer_id, [skus["MATE60P-BLK-512"]]) == []
    assert overstock_warnings(session, acme.other_dealer_id, skus.values()) == []
    assert overstock_warnings(session, acme.dealer_id, []) == []


def test_the_threshold_is_the_tenant_setting(session, acme, catalog):
    sku = catalog.skus["MATE60P-BLK-256"]
    report_channel_stock(session, None, acme.dealer_id, [line(sku, 45, 30)], source="api")
    assert overstock_warnings(session, acme.dealer_id, [sku]) == []

    update_business_settings(session, None, {"overstock_days_of_cover": 30})

    assert [w.threshold for w in overstock_warnings(session, acme.dealer_id, [sku])] == [30]


def test_staff_list_filters_and_pages_dealer_by_sku(session, acme, catalog):
    skus = catalog.skus
    report_channel_stock(
        session,
        None,
        acme.dealer_id,
        [line(skus["MATE60P-BLK-256"], 200, 30), line(skus["CHG66-WHT"], 10, 30)],
        source="api",
    )
    report_channel_stock(
        session, None, acme.other_dealer_id, [line(skus["MATE60P-BLK-256"], 5, 30)], source="api"
    )
    owner = actor(session, acme, "sales")

    first = list_channel_stock(session, owner, limit=2)
    second = list_channel_stock(session, owner, limit=2, cursor=first.next_cursor)
    flagged = list_channel_stock(session, owner, overstocked=True)
    of_sku = list_channel_stock(session, owner, sku_id=skus["MATE60P-BLK-256"])

    assert len(first.items) == 2 and len(second.items) == 1 and second.next_cursor is None
    assert {(r.dealer_id, r.sku_id) for r in first.items + second.items} == {
        (acme.dealer_id, skus["MATE60P-BLK-256"]),
        (acme.dealer_id, skus["CHG66-WHT"]),
        (acme.other_dealer_id, skus["MATE60P-BLK-256"]),
    }
    assert [(r.dealer_code, r.sku_code, r.days_of_cover) for r in flagged.items] == [
        ("D001", "MATE60P-BLK-256", Decimal("200.0"))
    ]
    assert {r.dealer_code for r in of_sku.items} == {"D001", "D002"}
    with pytest.raises(PermissionDenied):
        list_channel_stock(session, actor(session, acme, "buyer"))


def test_totals_per_sku_add_up_dealers(session, acme, catalog):
    sku = catalog.skus["MATE60P-BLK-256"]
    report_channel_stock(session, None, acme.dealer_id, [line(sku, 90, 30)], source="api")
    report_channel_stock(session, None, acme.other_dealer_id, [line(sku, 30, 30, 60)], source="api")

    (total,) = list_by_sku(session, None).items

    # 120 units over 1 + 0.5 units a day = 80 days
    assert (total.dealers, total.on_hand, total.avg_daily_sales) == (2, 120, Decimal("1.50"))
    assert total.days_of_cover == Decimal("80.0")
    assert total.overstocked_dealers == 1


def test_codes_resolve_to_the_brand_code_or_the_dealer_own_code(session, acme, catalog):
    session.add(
        DealerSkuCode(dealer_id=acme.dealer_id, sku_id=catalog.skus["CHG66-WHT"], code="MY-CHG")
    )
    session.flush()

    found = resolve_sku_codes(session, acme.dealer_id, ["my-chg", " MATE60P-BLK-256 ", "nope"])

    assert found == {
        "MY-CHG": catalog.skus["CHG66-WHT"],
        "MATE60P-BLK-256": catalog.skus["MATE60P-BLK-256"],
    }
    assert resolve_sku_codes(session, acme.other_dealer_id, ["MY-CHG"]) == {}


def test_the_largest_quantities_are_compared_without_overflow(session, acme, catalog):
    sku = catalog.skus["CHG66-WHT"]
    report_channel_stock(
        session, None, acme.dealer_id, [line(sku, 1_000_000_000, 1_000_000_000, 365)], source="api"
    )

    assert overstock_warnings(session, acme.dealer_id, [sku])[0].days_of_cover == Decimal("365.0")
    assert len(list_channel_stock(session, None, overstocked=True).items) == 1
