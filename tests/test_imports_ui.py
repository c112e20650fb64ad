"""The console's import/export page: upload, list with progress, reports, templates, exports."""

from __future__ import annotations

import io
import re

import pytest


@pytest.fixture
def owner(acme, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    return staff


def _upload(staff, kind: str, name: str, data: bytes):
    return staff.post(
        "/console/imports",
        {"kind": kind, "file": (io.BytesIO(data), name)},
        token_from="/console/imports",
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_an_upload_is_listed_with_its_outcome_and_report(owner, catalog, run_jobs):
    page = _upload(owner, "products", "bad.csv", b"product_code,name_zh,sku_code\nA1,,A1-X\n")
    assert page.status_code == 200
    run_jobs()
    html = owner.get("/console/imports").get_data(as_text=True)
    batch_id = re.search(r'data-import="(\d+)"', html).group(1)
    assert "bad.csv" in html and f"/console/imports/{batch_id}/report?format=xlsx" in html
    report = owner.get(f"/console/imports/{batch_id}/report?format=csv")
    assert "2,name_zh,,Required." in report.get_data(as_text=True)
    status = owner.get(f"/console/imports/{batch_id}/status").json
    assert (status["status"], status["error_count"]) == ("rejected", 1)


def test_a_file_with_wrong_columns_is_refused_with_the_reason(owner):
    page = _upload(owner, "stock", "s.csv", b"foo,bar\n1,2\n")
    assert "Unknown column(s): foo, bar" in page.get_data(as_text=True)


def test_templates_and_exports_download(owner, catalog):
    template = owner.get("/console/imports/templates/prices?format=csv")
    assert template.get_data(as_text=True).lstrip("\ufeff").startswith("price_list_code,")
    export = owner.get("/console/exports/products?format=csv")
    assert "MATE60P-BLK-256" in export.get_data(as_text=True)


def test_sales_sees_no_upload_form(acme, visitor):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    html = sales.get("/console/imports").get_data(as_text=True)
    assert 'name="kind"' not in html
    assert 'data-export="prices-xlsx"' in html
