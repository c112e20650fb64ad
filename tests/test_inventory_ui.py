"""The console's stock pages: levels, a SKU's ledger, movements, warehouses, replenishment."""

from __future__ import annotations

import re

import pytest

from dinghuo.core.inventory import reorder, service


@pytest.fixture
def staff(acme, visitor):
    def login(who: str):
        person = visitor(acme)
        person.login(f"{who}@acme.test")
        return person

    return login


@pytest.fixture
def stocked(acme, db, catalog):
    with db.transaction(acme.id) as session:
        sh = service.create_warehouse(session, None, code="SH", name="上海仓")
        bj = service.create_warehouse(session, None, code="BJ", name="北京仓")
        for code, quantity in (("MATE60P-BLK-256", 10), ("CHG66-WHT", 40)):
            service.receive(
                session, None, warehouse_id=sh.id, sku_id=catalog.skus[code], quantity=quantity
            )
        reorder.update_policy(
            session, None, catalog.skus["MATE60P-BLK-256"], manual_reorder_point=12
        )
    return {"sh": sh.id, "bj": bj.id}


def text(response) -> str:
    return response.get_data(as_text=True)


def skus(response) -> list[str]:
    return re.findall(r'<tr data-sku="([^"]+)"', text(response))


def test_levels_are_searched_by_sku_code_and_filtered_to_low_stock(staff, stocked):
    sales = staff("sales")
    assert skus(sales.get("/console/stock")) == ["MATE60P-BLK-256", "CHG66-WHT"]
    assert skus(sales.get("/console/stock?sku=chg")) == ["CHG66-WHT"]
    assert skus(sales.get("/console/stock?low=1")) == ["MATE60P-BLK-256"]
    assert skus(sales.get(f"/console/stock?warehouse_id={stocked['bj']}")) == []
    page = text(sales.get("/console/stock"))
    assert "/console/stock/movements/new" not in page  # sales may look, not move stock


def test_an_adjustment_beyond_available_shows_the_numbers_and_a_valid_one_lands_in_the_ledger(
    staff, stocked, catalog
):
    warehouse = staff("warehouse")
    path = "/console/stock/movements/new?kind=adjustment"
    form = {"warehouse_id": stocked["sh"], "sku_code": "mate60p-blk-256", "reason": "damaged"}
    refused = warehouse.post(path, {**form, "quantity": "-11"}, token_from=path)
    assert refused.status_code == 422
    assert "requested 11, available 10, on hand 10" in text(refused)

    done = warehouse.post(path, {**form, "quantity": "-2"}, token_from=path)
    assert done.status_code == 302
    ledger = warehouse.get(done.headers["Location"])
    assert 'data-kind="adjustment"' in text(ledger) and "damaged" in text(ledger)


def test_warehouses_are_created_and_deactivated_from_the_console(staff, stocked):
    owner = staff("owner")
    created = owner.post(
        "/console/stock/warehouses",
        {"code": "gz", "name": "广州仓", "region": "华南", "address": ""},
        token_from="/console/stock/warehouses",
    )
    assert created.status_code == 302
    assert 'data-warehouse="GZ"' in text(owner.get("/console/stock/warehouses"))
    path = f"/console/stock/warehouses/{stocked['sh']}"
    saved = owner.post(
        path, {"code": "SH", "name": "上海仓", "region": "", "address": ""}, token_from=path
    )
    assert saved.status_code == 302
    assert "已停用" in text(owner.get("/console/stock/warehouses"))


def test_replenishment_page_lists_suggestions_and_open_alerts(staff, stocked):
    page = staff("finance").get("/console/stock/alerts")
    assert page.status_code == 200
    assert "data-suggestions" in text(page) and skus(page).count("MATE60P-BLK-256") == 2


def test_a_sku_page_shows_levels_policy_and_ledger(staff, stocked, catalog):
    owner = staff("owner")
    sku = catalog.skus["MATE60P-BLK-256"]
    page = owner.get(f"/console/stock/skus/{sku}")
    assert page.status_code == 200
    assert 'data-kind="receipt"' in text(page)
    path = f"/console/stock/skus/{sku}"
    cleared = owner.post(
        f"{path}/policy", {"manual_reorder_point": "", "lead_time_days": "5"}, token_from=path
    )
    assert cleared.status_code == 302
    assert skus(owner.get("/console/stock?low=1")) == []
