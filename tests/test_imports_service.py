"""Imports through the service: readers, validation reports, all-or-nothing, jobs."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from dinghuo.core.catalog.models import Product, SearchDocument, Sku
from dinghuo.core.imports.models import ImportBatch, ImportKind, ImportStatus
from dinghuo.core.imports.service import report_rows, start_import
from dinghuo.errors import PermissionDenied, ValidationFailed
from dinghuo.platform.auth.service import principal_for_user

PRODUCT_HEADER = "product_code,name_zh,brand_code,category_code,sku_code,barcode,variant,moq,order_multiple,base_price,msrp"


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def run_import(app, db, acme, run_jobs):
    """``run_import(kind, filename, data, who="owner")`` -> the finished batch."""

    def run(kind, filename, data, who="owner", **kwargs):
        with db.transaction(acme.id) as session:
            actor = principal_for_user(session.merge(acme.users[who]))
            batch_id = start_import(session, actor, kind, filename, data, **kwargs).id
        run_jobs()
        with db.transaction(acme.id) as session:
            return session.scalar(select(ImportBatch).where(ImportBatch.id == batch_id))

    return run


def _report(db, acme, batch):
    with db.transaction(acme.id) as session:
        return report_rows(session, None, batch.id)[1]


def test_products_csv_creates_products_and_skus_and_indexes_them(run_import, db, acme, catalog):
    data = _csv(
        PRODUCT_HEADER,
        "P50,鼎新 P50,DX,PHONE,P50-BLK,6901234567892,颜色=黑;内存=8+256G,1,1,3999.00,4299",
        "P50,鼎新 P50,DX,PHONE,P50-WHT,,颜色=白;内存=8+256G,2,2,3999,4299.00",
    )
    batch = run_import(ImportKind.PRODUCTS, "p.csv", data)
    assert batch.status == ImportStatus.APPLIED, batch.message
    assert (batch.total_rows, batch.processed_rows, batch.error_count) == (2, 2, 0)
    with db.transaction(acme.id) as session:
        product = session.scalar(select(Product).where(Product.code == "P50"))
        assert product.variant_axes == ["颜色", "内存"]
        assert product.category_id == catalog.categories["PHONE"]
        skus = {s.code: s for s in product.skus}
        assert skus["P50-BLK"].barcode == "6901234567892"
        assert skus["P50-WHT"].variant == {"颜色": "白", "内存": "8+256G"}
        assert skus["P50-WHT"].base_price == Decimal("3999.00")
        assert (
            session.scalar(
                select(func.count())
                .select_from(SearchDocument)
                .where(SearchDocument.product_id == product.id)
            )
            == 2
        )


def test_bad_rows_reject_the_whole_file_with_a_report(run_import, db, acme, catalog):
    data = _csv(
        PRODUCT_HEADER,
        "P50,鼎新 P50,DX,PHONE,P50-BLK,6901234567890,,1,1,3999.00,4299",
        "P50,鼎新 P50,DX,NOPE,P50-WHT,,,x,1,-5,4299.00",
        "P60,鼎新 P60,DX,PHONE,P50-BLK,,,1,1,1,1",
    )
    batch = run_import(ImportKind.PRODUCTS, "p.csv", data)
    assert batch.status == ImportStatus.REJECTED
    rows = _report(db, acme, batch)
    assert rows[0] == ["row", "column", "value", "reason"]
    found = {(r[0], r[1]) for r in rows[1:]}
    assert ("2", "barcode") in found
    assert {("3", "category_code"), ("3", "moq"), ("3", "base_price")} <= found
    assert ("4", "sku_code") in found
    with db.transaction(acme.id) as session:
        assert session.scalar(select(Product).where(Product.code == "P50")) is None


def test_gbk_csv_with_chinese_headers_is_read(run_import, db, acme, catalog):
    text = "产品编码,产品名称,SKU编码,批发价\nG1,国标产品,G1-A,10.50\n"
    batch = run_import(ImportKind.PRODUCTS, "g.csv", text.encode("gbk"))
    assert batch.status == ImportStatus.APPLIED, batch.message
    with db.transaction(acme.id) as session:
        assert session.scalar(select(Product.name_zh).where(Product.code == "G1")) == "国标产品"


def test_undecodable_csv_is_refused_naming_the_encoding(db, acme):
    with db.transaction(acme.id) as session:
        with pytest.raises(ValidationFailed, match="neither UTF-8 nor GBK"):
            start_import(session, None, ImportKind.PRODUCTS, "x.csv", b"sku_code\n\xff\xfe\x80\n")


def test_xlsx_float_barcodes_and_prices_are_read_as_typed(run_import, db, acme, catalog):
    data = _xlsx(
        [
            ["product_code", "name_zh", "sku_code", "barcode", "base_price", "moq"],
            ["X1", "浮点", "X1-A", 6901234567892.0, 5999.0, 10.0],
        ]
    )
    batch = run_import(ImportKind.PRODUCTS, "x.xlsx", data)
    assert batch.status == ImportStatus.APPLIED, batch.message
    with db.transaction(acme.id) as session:
        sku = session.scalar(select(Sku).where(Sku.code == "X1-A"))
        assert (sku.barcode, sku.base_price, sku.moq) == ("6901234567892", Decimal("5999.00"), 10)


def test_dealer_cannot_import_products(db, acme):
    with db.transaction(acme.id) as session:
        actor = principal_for_user(session.merge(acme.users["buyer"]))
        with pytest.raises(PermissionDenied):
            start_import(session, actor, ImportKind.PRODUCTS, "p.csv", _csv(PRODUCT_HEADER))


def test_report_csv_parses(run_import, db, acme, catalog):
    batch = run_import(ImportKind.PRODUCTS, "p.csv", _csv(PRODUCT_HEADER, "A,,,,A-1,,,,,,"))
    rows = _report(db, acme, batch)
    assert list(csv.reader(io.StringIO("row,column\n"))) == [["row", "column"]]
    assert rows[1][:2] == ["2", "name_zh"]


def test_reimport_updates_changed_rows_only_and_reindexes_them(run_import, db, acme, catalog):
    first = _csv(
        PRODUCT_HEADER,
        "P70,鼎新 P70,DX,PHONE,P70-BLK,,颜色=黑,1,1,3999.00,4299",
        "P70,鼎新 P70,DX,PHONE,P70-WHT,,颜色=白,1,1,3999.00,4299",
    )
    assert run_import(ImportKind.PRODUCTS, "p.csv", first).status == ImportStatus.APPLIED
    second = _csv(
        PRODUCT_HEADER,
        "P70,鼎新 P70 Ultra,DX,PHONE,P70-BLK,,颜色=黑,1,1,3999.00,4299",
        "P70,鼎新 P70 Ultra,DX,PHONE,P70-WHT,,颜色=白,1,1,3799.00,4299",
        "P70,鼎新 P70 Ultra,DX,PHONE,P70-RED,,颜色=红,1,1,3999.00,4299",
    )
    batch = run_import(ImportKind.PRODUCTS, "p.csv", second)
    assert batch.status == ImportStatus.APPLIED, batch.message
    assert batch.message == (
        "products created: 0, products updated: 1, skus created: 1, skus updated: 1"
    )
    with db.transaction(acme.id) as session:
        product = session.scalar(select(Product).where(Product.code == "P70"))
        assert product.name_zh == "鼎新 P70 Ultra"
        skus = {s.code: s for s in product.skus}
        assert skus["P70-WHT"].base_price == Decimal("3799.00")
        assert (skus["P70-WHT"].position, skus["P70-RED"].position) == (1, 2)
        texts = session.scalars(
            select(SearchDocument.text).where(SearchDocument.product_id == product.id)
        ).all()
        assert len(texts) == 3 and all("鼎新p70ultra" in text for text in texts)
    again = run_import(ImportKind.PRODUCTS, "p.csv", second)
    assert again.message == (
        "products created: 0, products updated: 0, skus created: 0, skus updated: 0"
    )
