"""Channel stock pages: the dealer's report form and upload, the console report, the dealer box."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from dinghuo.core.inventory.channel import ChannelStockLine, report_channel_stock
from dinghuo.core.inventory.models import ChannelStock


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def buyer(acme, catalog, visitor):
    dealer_user = visitor(acme)
    dealer_user.login("buyer@acme.test", path="/login")
    return dealer_user


@pytest.fixture
def staff(acme, catalog, visitor):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    return sales


def seed_report(db, world, dealer_id, by_sku):
    with db.transaction(world.id) as session:
        report_channel_stock(
            session,
            None,
            dealer_id,
            [ChannelStockLine(sku_id, *numbers) for sku_id, numbers in by_sku.items()],
            source="api",
        )


def latest(db, world):
    with db.transaction(world.id) as session:
        rows = session.scalars(select(ChannelStock).order_by(ChannelStock.sku_id))
        return [(r.dealer_id, r.sku_id, r.on_hand, r.sold_qty, r.period_days) for r in rows]


def test_the_form_lists_the_skus_the_dealer_may_see(acme, catalog, buyer, visitor):
    page = text(buyer.get("/stock-report"))
    assert set(re.findall(r'<tr data-sku="([^"]+)"', page)) == set(catalog.skus)

    other = visitor(acme)
    other.login("other-buyer@acme.test", path="/login")
    hidden = re.findall(r'<tr data-sku="([^"]+)"', text(other.get("/stock-report")))
    assert "X7-BLK-1T" not in hidden and "CHG66-WHT" in hidden
    assert "Stock report" in page or "库存上报" in page


def test_a_dealer_reports_rows_of_the_table_and_by_code(acme, catalog, buyer, db):
    phone, charger = catalog.skus["MATE60P-BLK-256"], catalog.skus["CHG66-WHT"]

    response = buyer.post(
        "/stock-report",
        {
            "sku": [str(phone), str(charger)],
            f"on_hand-{phone}": "95",
            f"sold-{phone}": "30",
            "code-0": "mate60p-slv-512",
            "code_on_hand-0": "4",
            "code_sold-0": "8",
            "period_days": "30",
        },
        token_from="/stock-report",
    )

    assert response.status_code == 302
    assert latest(db, acme) == [
        (acme.dealer_id, phone, 95, 30, 30),
        (acme.dealer_id, catalog.skus["MATE60P-SLV-512"], 4, 8, 30),
    ]


def test_a_bad_row_is_marked_and_nothing_is_recorded(acme, catalog, buyer, db):
    phone, charger = catalog.skus["MATE60P-BLK-256"], catalog.skus["CHG66-WHT"]

    response = buyer.post(
        "/stock-report",
        {
            "sku": [str(phone), str(charger)],
            f"on_hand-{phone}": "5",
            f"sold-{phone}": "1",
            f"on_hand-{charger}": "-3",
            f"sold-{charger}": "1",
            "code-1": "NOPE",
            "code_on_hand-1": "1",
            "code_sold-1": "1",
        },
        token_from="/stock-report",
    )

    assert response.status_code == 422
    page = text(response)
    assert re.search(r'<tr data-sku="CHG66-WHT" class="has-error">', page)
    assert latest(db, acme) == []


def test_a_period_out_of_range_is_refused(acme, catalog, buyer, db):
    phone = catalog.skus["MATE60P-BLK-256"]
    response = buyer.post(
        "/stock-report",
        {"sku": [str(phone)], f"on_hand-{phone}": "5", f"sold-{phone}": "1", "period_days": "400"},
        token_from="/stock-report",
    )
    assert response.status_code == 422 and "data-form-error" in text(response)
    assert latest(db, acme) == []


def test_staff_see_days_of_cover_and_the_red_flag(acme, catalog, staff, db):
    seed_report(db, acme, acme.dealer_id, {catalog.skus["MATE60P-BLK-256"]: (95, 30, 30)})
    seed_report(db, acme, acme.other_dealer_id, {catalog.skus["CHG66-WHT"]: (10, 30, 30)})

    page = text(staff.get("/console/channel-stock"))
    flagged = text(staff.get("/console/channel-stock?overstocked=1"))
    of_d002 = text(staff.get("/console/channel-stock?dealer=d002"))
    by_sku = text(staff.get("/console/channel-stock?view=sku"))

    assert re.search(r'data-dealer="D001" data-sku="MATE60P-BLK-256" data-overstocked', page)
    assert "95.0" in page and "badge-danger" in page
    assert re.findall(r'data-dealer="([^"]+)"', flagged) == ["D001"]
    assert re.findall(r'data-dealer="([^"]+)"', of_d002) == ["D002"]
    assert set(re.findall(r'<tr data-sku="([^"]+)"', by_sku)) == {"MATE60P-BLK-256", "CHG66-WHT"}


def test_the_dealer_page_warns_of_overstock(acme, catalog, visitor, db):
    seed_report(db, acme, acme.dealer_id, {catalog.skus["CHG66-WHT"]: (40, 0, 30)})
    admin = visitor(acme)
    admin.login("admin@acme.test")

    page = text(admin.get(f"/console/dealers/{acme.dealer_id}"))
    quiet = text(admin.get(f"/console/dealers/{acme.other_dealer_id}"))

    assert "data-channel-stock-box" in page and 'data-overstock-sku="CHG66-WHT"' in page
    assert "data-channel-stock-box" in quiet and "data-overstock-sku" not in quiet


def test_dealers_cannot_open_the_console_report_nor_staff_the_form(acme, catalog, buyer, staff):
    assert buyer.get("/console/channel-stock").status_code == 302
    assert staff.get("/stock-report").status_code == 302


def test_the_navigation_links_both_pages(acme, catalog, buyer, staff):
    assert 'href="/stock-report"' in text(buyer.get("/"))
    assert 'href="/console/channel-stock"' in text(staff.get("/console"))


def test_an_upload_starts_a_channel_stock_import_of_the_own_dealer(
    acme, catalog, buyer, db, run_jobs
):
    csv_data = "sku_code,on_hand,sold_qty,period_days\nMATE60P-BLK-256,70,10,30\n"

    response = buyer.client.post(
        "/stock-report/upload",
        base_url=buyer.base_url,
        data={
            "csrf_token": buyer.csrf_token("/stock-report"),
            "file": (io.BytesIO(csv_data.encode()), "stock.csv"),
        },
        content_type="multipart/form-data",
    )
    run_jobs()

    assert response.status_code == 302
    assert latest(db, acme) == [(acme.dealer_id, catalog.skus["MATE60P-BLK-256"], 70, 10, 30)]
    page = text(buyer.get("/stock-report"))
    assert "stock.csv" in page and "data-import=" in page and "badge-success" in page


def test_a_rejected_upload_links_its_error_report(acme, catalog, buyer, db, run_jobs, visitor):
    csv_data = "sku_code,on_hand,sold_qty\nX7-BLK-1T,-1,0\n"
    buyer.client.post(
        "/stock-report/upload",
        base_url=buyer.base_url,
        data={
            "csrf_token": buyer.csrf_token("/stock-report"),
            "file": (io.BytesIO(csv_data.encode()), "bad.csv"),
        },
        content_type="multipart/form-data",
    )
    run_jobs()

    page = text(buyer.get("/stock-report"))
    link = re.search(r'href="(/stock-report/imports/\d+/report.csv)"', page).group(1)
    report = buyer.get(link)
    other = visitor(acme)
    other.login("other-buyer@acme.test", path="/login")

    assert report.status_code == 200 and "on_hand" in text(report).lower()
    assert latest(db, acme) == []
    assert other.get(link).status_code == 404
