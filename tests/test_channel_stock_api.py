"""Channel stock over HTTP: dealers report their own, staff read everyone's with warnings."""

from __future__ import annotations

from dinghuo.core.catalog.models import DealerSkuCode


def report(client, *lines):
    return client.post("/api/v1/my/channel-stock", json={"lines": list(lines)})


def test_a_dealer_reports_by_brand_code_or_own_code_and_reads_it_back(api, acme, catalog, app):
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        session.add(
            DealerSkuCode(dealer_id=acme.dealer_id, sku_id=catalog.skus["CHG66-WHT"], code="MY-CHG")
        )
    buyer = api(acme, "buyer")

    response = report(
        buyer,
        {"sku_code": "MATE60P-BLK-256", "on_hand": 95, "sold_qty": 30},
        {"sku_code": "my-chg", "on_hand": 10, "sold_qty": 20, "period_days": 10},
    )
    assert response.status_code == 201, response.json
    assert response.json == {"reported": 2}

    items = buyer.get("/api/v1/my/channel-stock").json["items"]
    assert [
        (i["sku_code"], i["own_code"], i["days_of_cover"], i["overstocked"]) for i in items
    ] == [
        ("MATE60P-BLK-256", "", "95.0", True),
        ("CHG66-WHT", "MY-CHG", "5.0", False),
    ]


def test_bad_lines_are_422_naming_line_and_field(api, acme, catalog):
    buyer = api(acme, "buyer")
    good = {"sku_id": catalog.skus["CHG66-WHT"], "on_hand": 1, "sold_qty": 1}

    negative = report(
        buyer, good, {**good, "sku_id": catalog.skus["MATE60P-BLK-512"], "on_hand": -1}
    )
    fractional = report(buyer, {**good, "sold_qty": 1.5})
    long_period = report(buyer, {**good, "period_days": 366})
    unknown_code = report(buyer, good, {"sku_code": "NOPE", "on_hand": 1, "sold_qty": 0})
    unknown_id = report(buyer, {**good, "sku_id": 999999})
    both = report(buyer, {**good, "sku_code": "CHG66-WHT"})

    assert negative.status_code == 422
    assert list(negative.json["error"]["fields"]["lines"]) == ["1"]
    assert list(negative.json["error"]["fields"]["lines"]["1"]) == ["on_hand"]
    assert "sold_qty" in fractional.json["error"]["fields"]["lines"]["0"]
    assert "period_days" in long_period.json["error"]["fields"]["lines"]["0"]
    assert unknown_code.status_code == 422
    assert unknown_code.json["error"]["fields"] == {"lines[1].sku_code": ["No such SKU."]}
    assert unknown_id.json["error"]["fields"] == {"lines[0].sku_id": ["No such SKU."]}
    assert both.status_code == 422
    assert both.json["error"]["fields"] == {
        "lines[0].sku_code": ["Give sku_id or sku_code, not both."]
    }
    assert buyer.get("/api/v1/my/channel-stock").json["items"] == []


def test_a_hidden_sku_cannot_be_reported_by_code(api, acme, catalog):
    other = api(acme, "other_buyer")  # D002 is tier C; X7 is tier A only

    response = report(other, {"sku_code": "X7-BLK-1T", "on_hand": 1, "sold_qty": 0})

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"lines[0].sku_code": ["No such SKU."]}


def test_a_dealer_never_sees_another_dealers_reports(api, acme, catalog):
    report(api(acme, "buyer"), {"sku_code": "CHG66-WHT", "on_hand": 50, "sold_qty": 0})

    mine = api(acme, "other_buyer").get("/api/v1/my/channel-stock")
    staff_list = api(acme, "other_buyer").get("/api/v1/channel-stock")

    assert mine.status_code == 200 and mine.json["items"] == []
    assert staff_list.status_code == 403


def test_staff_cannot_report_and_dealers_cannot_read_the_staff_views(api, acme, catalog):
    line = {"sku_code": "CHG66-WHT", "on_hand": 1, "sold_qty": 1}

    assert report(api(acme, "owner"), line).status_code == 403
    for path in ("/channel-stock", "/channel-stock/by-sku", "/channel-stock/warnings"):
        assert api(acme, "buyer").get(f"/api/v1{path}").status_code == 403
        assert api(acme).get(f"/api/v1{path}").status_code == 401


def test_staff_see_days_of_cover_flags_totals_and_warnings(api, acme, catalog):
    report(api(acme, "buyer"), {"sku_code": "MATE60P-BLK-256", "on_hand": 95, "sold_qty": 30})
    report(api(acme, "other_buyer"), {"sku_code": "MATE60P-BLK-256", "on_hand": 10, "sold_qty": 30})
    sales = api(acme, "warehouse")

    listing = sales.get("/api/v1/channel-stock").json["items"]
    flagged = sales.get("/api/v1/channel-stock", query_string={"overstocked": "true"}).json
    of_dealer = sales.get(
        "/api/v1/channel-stock", query_string={"dealer_id": acme.other_dealer_id}
    ).json["items"]
    totals = sales.get("/api/v1/channel-stock/by-sku").json["items"]
    warnings = sales.get(
        "/api/v1/channel-stock/warnings",
        query_string={"dealer_id": acme.dealer_id, "sku_id": catalog.skus["MATE60P-BLK-256"]},
    ).json["items"]

    assert {(i["dealer_code"], i["overstocked"]) for i in listing} == {
        ("D001", True),
        ("D002", False),
    }
    assert [i["dealer_code"] for i in flagged["items"]] == ["D001"]
    assert [i["on_hand"] for i in of_dealer] == [10]
    assert totals == [
        {
            "sku_id": catalog.skus["MATE60P-BLK-256"],
            "sku_code": "MATE60P-BLK-256",
            "sku_name": totals[0]["sku_name"],
            "dealers": 2,
            "on_hand": 105,
            "avg_daily_sales": "2.00",
            "days_of_cover": "52.5",
            "overstocked_dealers": 1,
        }
    ]
    (warning,) = warnings
    assert warning["days_of_cover"] == "95.0" and warning["threshold"] == 60
    assert "95.0 days of cover of MATE60P-BLK-256" in warning["message"]


def test_nothing_sold_with_stock_is_infinite_cover_and_flagged(api, acme, catalog):
    report(api(acme, "buyer"), {"sku_code": "CHG66-WHT", "on_hand": 5, "sold_qty": 0})

    (row,) = api(acme, "owner").get("/api/v1/channel-stock").json["items"]

    assert row["days_of_cover"] is None and row["overstocked"] is True


def test_another_tenants_staff_see_none_of_it(api, acme, globex, catalog):
    report(api(acme, "buyer"), {"sku_code": "CHG66-WHT", "on_hand": 5, "sold_qty": 0})

    theirs = api(globex, "owner").get(
        "/api/v1/channel-stock", query_string={"dealer_id": acme.dealer_id}
    )

    assert theirs.status_code == 200 and theirs.json["items"] == []
    assert api(globex, "owner").get("/api/v1/channel-stock/warnings").json["items"] == []
