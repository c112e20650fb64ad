"""GET /orders and /orders/{order_id}: who sees which orders, and the list's filters."""

from __future__ import annotations

from test_order_lifecycle import place_order


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [o["number"] for o in response.get_json()["items"]]


def test_dealer_users_see_only_their_dealers_orders_and_staff_see_all(app, acme, shop, api):
    own = place_order(app, acme, shop, {"MATE60P-BLK-256": 1})
    other = place_order(app, acme, shop, {"MATE60P-BLK-256": 1}, dealer="D002")
    own_no, other_no = f"SO-{own:06d}", f"SO-{other:06d}"

    assert _numbers(api(acme, "buyer").get("/api/v1/orders")) == [own_no]
    assert _numbers(api(acme, "other_buyer").get("/api/v1/orders")) == [other_no]
    assert _numbers(api(acme, "warehouse").get("/api/v1/orders")) == [other_no, own_no]
    assert api(acme, "buyer").get(f"/api/v1/orders/{other}").status_code == 404
    assert api(acme, "buyer").get(f"/api/v1/orders/{other}/timeline").status_code == 404
    assert api(acme, "buyer").post(f"/api/v1/orders/{other}/cancel", json={}).status_code == 404
    assert _numbers(api(acme, "buyer").get("/api/v1/orders?q=D002")) == []
    assert api(acme).get("/api/v1/orders").status_code == 401

    order = api(acme, "buyer").get(f"/api/v1/orders/{own}").get_json()
    line = order["lines"][0]
    assert line["sku_code"] == "MATE60P-BLK-256"
    assert {"list_price", "unit_price", "adjustments", "tax", "total"} <= set(line)
    assert order["ship_to"]["city"] == "上海市"


def test_the_list_filters_combine_and_page(app, acme, shop, api):
    ids = [
        place_order(app, acme, shop, {"MATE60P-BLK-256": n}, dealer=dealer)
        for n, dealer in ((1, "D001"), (10, "D001"), (2, "D002"))
    ]
    numbers = [f"SO-{i:06d}" for i in ids]
    api(acme, "owner").post(f"/api/v1/orders/{ids[0]}/approve", json={})
    owner = api(acme, "owner")

    assert _numbers(owner.get("/api/v1/orders?status=approved")) == [numbers[0]]
    assert _numbers(owner.get("/api/v1/orders?status=approved&status=submitted")) == [
        numbers[2],
        numbers[1],
        numbers[0],
    ]
    assert _numbers(owner.get("/api/v1/orders?review_step=sales")) == [numbers[2], numbers[1]]
    assert _numbers(owner.get(f"/api/v1/orders?dealer_id={acme.dealer_id}&min_total=20000")) == [
        numbers[1]
    ]
    assert _numbers(owner.get("/api/v1/orders?max_total=20000&sort=total")) == [
        numbers[0],
        numbers[2],
    ]
    assert _numbers(owner.get("/api/v1/orders?date_to=2000-01-01")) == []

    first = owner.get("/api/v1/orders?limit=2").get_json()
    rest = owner.get(f"/api/v1/orders?limit=2&cursor={first['next_cursor']}").get_json()
    assert [o["number"] for o in first["items"] + rest["items"]] == numbers[::-1]
    assert rest["next_cursor"] is None

    bad = owner.get("/api/v1/orders?status=lost&sort=colour")
    assert bad.status_code == 422
    assert "status" in bad.get_json()["error"]["fields"]
