"""Fulfilment pages: the console ships from the order page, the dealer follows and confirms the
boxes on the portal and asks for a return, staff receive it; packing list and serial search."""

from __future__ import annotations

from sqlalchemy import select
from test_fulfilment import IMEIS, approved_order, level, order_status

from dinghuo.core.fulfilment.models import ReturnRequest, Shipment


def signed_in(visitor, world, who: str, path: str):
    browser = visitor(world)
    browser.login(
        f"{'dealer-admin' if who == 'dealer_admin' else who}@{world.slug}.test", path=path
    )
    return browser


def test_warehouse_staff_ship_track_and_print_from_the_order_page(app, acme, shop, visitor):
    order = approved_order(app, acme, shop, {"MATE60P-BLK-256": 2, "CHG66-WHT": 10})
    phone, charger = order["lines"]["MATE60P-BLK-256"], order["lines"]["CHG66-WHT"]
    staff = signed_in(visitor, acme, "warehouse", "/console/login")
    page = f"/console/orders/{order['id']}"
    html = staff.get(page).get_data(as_text=True)
    assert "data-ship-form" in html and 'data-line="MATE60P-BLK-256"' in html

    refused = staff.post(
        f"{page}/shipments",
        {
            "warehouse_id": shop.warehouses["SH"],
            "tracking_number": "SF100",
            f"quantity_{phone}": "2",
            f"serials_{phone}": IMEIS[0],
        },
        token_from=page,
        follow_redirects=True,
    )
    assert "serials" in refused.get_data(as_text=True)
    assert order_status(app, acme, order["id"]) == "approved"

    shipped = staff.post(
        f"{page}/shipments",
        {
            "warehouse_id": shop.warehouses["SH"],
            "tracking_number": "SF100",
            f"quantity_{phone}": "2",
            f"serials_{phone}": f"{IMEIS[0]}\n{IMEIS[1]}",
            f"quantity_{charger}": "10",
        },
        token_from=page,
        follow_redirects=True,
    )
    html = shipped.get_data(as_text=True)
    assert f'data-shipment="{order["number"]}-1"' in html and "SF100" in html
    assert order_status(app, acme, order["id"]) == "shipped"
    assert level(app, acme, shop.warehouses["SH"], shop.skus["CHG66-WHT"]) == (990, 0)

    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        shipment_id = session.scalar(select(Shipment.id))
    tracked = staff.post(
        f"/console/shipments/{shipment_id}/tracking",
        {"status": "in_transit", "location": "上海转运中心"},
        token_from=page,
        follow_redirects=True,
    )
    assert "上海转运中心" in tracked.get_data(as_text=True)

    packing = staff.get(f"/console/shipments/{shipment_id}/packing-list").get_data(as_text=True)
    assert "data-packing-list" in packing and IMEIS[1] in packing and "世纪大道 100 号" in packing

    search = staff.get("/console/serials", query_string={"q": IMEIS[1][:8]}).get_data(as_text=True)
    assert f'data-serial="{IMEIS[1]}"' in search and order["number"] in search


def test_the_dealer_confirms_delivery_and_returns_a_unit_that_staff_receive(
    app, acme, shop, api, visitor
):
    order = approved_order(app, acme, shop, {"CHG66-WHT": 20})
    line = order["lines"]["CHG66-WHT"]
    body = {
        "warehouse_id": shop.warehouses["SH"],
        "tracking_number": "SF1",
        "lines": [{"line_id": line, "quantity": 20}],
    }
    shipment = api(acme, "warehouse").post(f"/api/v1/orders/{order['id']}/shipments", json=body)
    buyer = signed_in(visitor, acme, "buyer", "/login")
    page = f"/orders/{order['id']}"
    assert 'data-action="confirm-delivery"' in buyer.get(page).get_data(as_text=True)

    buyer.post(f"/shipments/{shipment.json['id']}/deliver", token_from=page)
    html = buyer.get(page).get_data(as_text=True)
    assert 'data-shipment-status="delivered"' in html and "data-return-form" in html
    assert order_status(app, acme, order["id"]) == "delivered"

    buyer.post(
        f"/orders/{order['id']}/returns",
        {f"return_{line}": "4", "reason": "包装破损"},
        token_from=page,
    )
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        rma = session.scalar(select(ReturnRequest))
        assert rma.status.value == "requested" and rma.lines[0].quantity == 4
        rma_id, rma_number, rma_line = rma.id, rma.number, rma.lines[0].id
    assert 'data-return-status="requested"' in buyer.get(page).get_data(as_text=True)

    staff = signed_in(visitor, acme, "warehouse", "/console/login")
    listed = staff.get("/console/returns", query_string={"status": "requested"})
    assert rma_number in listed.get_data(as_text=True)
    detail = f"/console/returns/{rma_id}"
    staff.post(f"{detail}/approve", {"note": ""}, token_from=detail)
    received = staff.post(
        f"{detail}/receive",
        {f"resalable_{rma_line}": "1", "note": "已验货"},
        token_from=detail,
        follow_redirects=True,
    )
    assert 'data-return-status="received"' in received.get_data(as_text=True)
    assert level(app, acme, shop.warehouses["SH"], shop.skus["CHG66-WHT"]) == (984, 0)
