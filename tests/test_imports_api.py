"""Imports and exports over HTTP: upload, status, error reports, templates, round trips."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dinghuo.core.catalog.models import Product, Sku
from dinghuo.core.inventory.models import ChannelStock, StockLevel, StockMovement, Warehouse
from dinghuo.core.pricing.models import PriceList, PriceListItem


def _upload(api, kind: str, name: str, data: bytes):
    return api.post(
        "/api/v1/imports",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _finished(api, response, run_jobs):
    assert response.status_code == 202, response.json
    run_jobs()
    return api.get(f"/api/v1/imports/{response.json['id']}").json


def _xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def warehouse(db, acme):
    with db.transaction(acme.id) as session:
        found = Warehouse(code="SH01", name="上海仓")
        session.add(found)
        session.flush()
        return found.id


@pytest.fixture
def price_list(db, acme, catalog):
    with db.transaction(acme.id) as session:
        found = PriceList(code="TIER-A", name="A 级价")
        session.add(found)
        session.flush()
        return found.id


def test_staff_imports_an_xlsx_and_it_is_applied(api, acme, catalog, run_jobs, db):
    owner = api(acme, "owner")
    data = _xlsx(
        [
            ["产品编码", "产品名称", "SKU编码", "条码", "批发价", "建议零售价"],
            ["N1", "新品一号", "N1-A", 6901234567892.0, 100.0, "129.00"],
        ]
    )
    batch = _finished(owner, _upload(owner, "products", "new.xlsx", data), run_jobs)
    assert batch["status"] == "applied", batch
    assert (batch["total_rows"], batch["processed_rows"], batch["has_report"]) == (1, 1, False)
    listed = owner.get("/api/v1/imports").json["items"]
    assert [b["id"] for b in listed] == [batch["id"]]


def test_rejected_import_has_a_report_as_csv_and_xlsx(api, acme, catalog, warehouse, run_jobs):
    owner = api(acme, "owner")
    data = b"sku_code,on_hand,warehouse_code\nNOPE,5,SH01\nMATE60P-BLK-256,x,SH01\n"
    batch = _finished(owner, _upload(owner, "stock", "s.csv", data), run_jobs)
    assert (batch["status"], batch["error_count"]) == ("rejected", 2)
    report = owner.get(f"/api/v1/imports/{batch['id']}/report?format=csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    text = report.data.decode("utf-8-sig")
    assert "2,sku_code,NOPE,Unknown SKU code." in text
    assert "3,on_hand,x,Not a whole number." in text
    xlsx = owner.get(f"/api/v1/imports/{batch['id']}/report?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows())] == ["row", "column", "value", "reason"]


def test_wrong_columns_are_refused_at_once(api, acme):
    owner = api(acme, "owner")
    response = _upload(owner, "prices", "p.csv", b"sku_code;colour\nA;red\n")
    assert response.status_code == 422
    message = (
        response.json["errors"]["file"][0] if "errors" in response.json else str(response.json)
    )
    assert "colour" in message


def test_each_kind_needs_its_permission(api, acme):
    data = b"warehouse_code,sku_code,on_hand\n"
    assert _upload(api(acme, "sales"), "stock", "s.csv", data).status_code == 403
    assert _upload(api(acme, "warehouse"), "products", "p.csv", data).status_code == 403
    assert _upload(api(acme, "buyer"), "stock", "s.csv", data).status_code == 403


def test_another_tenants_import_is_not_found(api, acme, globex, catalog, run_jobs):
    owner = api(acme, "owner")
    batch = _finished(
        owner,
        _upload(owner, "products", "p.csv", b"product_code,name_zh,sku_code\nQ,Q,Q-1\n"),
        run_jobs,
    )
    assert api(globex, "owner").get(f"/api/v1/imports/{batch['id']}").status_code == 404
    assert api(acme, "buyer").get(f"/api/v1/imports/{batch['id']}").status_code == 404


def test_prices_import_creates_and_updates_quantity_breaks(
    api, acme, price_list, run_jobs, db, catalog
):
    owner = api(acme, "owner")
    data = b"price_list_code,sku_code,min_qty,price\nTIER-A,MATE60P-BLK-256,1,5800\nTIER-A,MATE60P-BLK-256,10,5700.00\n"
    assert (
        _finished(owner, _upload(owner, "prices", "p.csv", data), run_jobs)["status"] == "applied"
    )
    again = data.replace(b"5700.00", b"5650")
    assert (
        _finished(owner, _upload(owner, "prices", "p.csv", again), run_jobs)["status"] == "applied"
    )
    with db.transaction(acme.id) as session:
        prices = dict(session.execute(select(PriceListItem.min_qty, PriceListItem.price)).all())
    assert prices == {1: Decimal("5800.00"), 10: Decimal("5650.00")}


def test_stock_import_writes_ledger_movements(api, acme, catalog, warehouse, run_jobs, db):
    owner = api(acme, "owner")
    data = b"warehouse_code\tsku_code\ton_hand\nSH01\tMATE60P-BLK-256\t40\nSH01\tCHG66-WHT\t7\n"
    batch = _finished(owner, _upload(owner, "stock", "s.tsv.csv", data), run_jobs)
    assert batch["status"] == "applied", batch
    with db.transaction(acme.id) as session:
        levels = dict(session.execute(select(StockLevel.sku_id, StockLevel.on_hand)).all())
        movements = session.scalar(select(func.count()).select_from(StockMovement))
    assert levels == {catalog.skus["MATE60P-BLK-256"]: 40, catalog.skus["CHG66-WHT"]: 7}
    assert movements == 2


def test_dealer_uploads_its_own_channel_stock(api, acme, catalog, run_jobs, db):
    buyer = api(acme, "buyer")
    data = "SKU编码,库存数量,销量,统计天数\nmate60p-blk-256,30,10,30\n".encode("gbk")
    batch = _finished(buyer, _upload(buyer, "channel_stock", "c.csv", data), run_jobs)
    assert batch["status"] == "applied", batch
    with db.transaction(acme.id) as session:
        stock = session.scalar(select(ChannelStock))
    assert (stock.dealer_id, stock.on_hand, stock.sold_qty) == (acme.dealer_id, 30, 10)
    assert [b["id"] for b in api(acme, "other_buyer").get("/api/v1/imports").json["items"]] == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reimported_changes_nothing(
    api, acme, catalog, warehouse, price_list, run_jobs, db, fmt
):
    owner = api(acme, "owner")
    seed = b"price_list_code,sku_code,price\nTIER-A,CHG66-WHT,88\n"
    _finished(owner, _upload(owner, "prices", "p.csv", seed), run_jobs)
    _finished(
        owner,
        _upload(owner, "stock", "s.csv", b"warehouse_code,sku_code,on_hand\nSH01,CHG66-WHT,9\n"),
        run_jobs,
    )
    with db.transaction(acme.id) as session:
        before = session.scalar(select(func.max(Product.updated_at)))
    for kind in ("products", "prices", "stock"):
        exported = owner.get(f"/api/v1/exports/{kind}?format={fmt}")
        assert exported.status_code == 200
        batch = _finished(owner, _upload(owner, kind, f"{kind}.{fmt}", exported.data), run_jobs)
        assert batch["status"] == "applied", batch
        assert batch["message"].endswith(": 0"), batch["message"]
    with db.transaction(acme.id) as session:
        assert session.scalar(select(func.max(Product.updated_at))) == before
        assert session.scalar(select(func.count()).select_from(Sku)) == 6
        assert session.scalar(select(func.count()).select_from(StockMovement)) == 1


def test_templates_name_the_columns(api, acme):
    owner = api(acme, "owner")
    csv_template = owner.get("/api/v1/imports/templates/stock?format=csv")
    assert csv_template.data.decode("utf-8-sig").strip() == "warehouse_code,sku_code,on_hand"
    xlsx = owner.get("/api/v1/imports/templates/products?format=xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert [c.value for c in next(book.worksheets[1].iter_rows())][:3] == [
        "column",
        "English",
        "中文",
    ]
    assert owner.get("/api/v1/imports/templates/nope").status_code == 422
