"""Submitting orders: every check at once, idempotent keys, dealer approval, on behalf, splits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from dinghuo.core.crm.models import PaymentTerms
from dinghuo.core.crm.service import update_dealer
from dinghuo.core.inventory.ledger import verify_ledger
from dinghuo.core.inventory.models import Reservation, StockLevel
from dinghuo.core.orders.models import AllocationStatus, CartLine, Order, OrderAllocation
from dinghuo.platform.events.models import OutboxEvent
from dinghuo.platform.tenants.business import update_business_settings


def _add_to_cart(api, world, items, who="buyer"):
    response = api(world, who).post("/api/v1/cart/items", json={"items": items})
    assert response.status_code == 200, response.json


def _submit(api, world, key, who="buyer", **body):
    body.setdefault("delivery_method", "pickup")
    return api(world, who).post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})


def _count(db, world, model):
    with db.transaction(world.id) as session:
        return session.scalar(select(func.count()).select_from(model))


def _settings(db, world, **changes):
    with db.transaction(world.id) as session:
        update_business_settings(session, None, changes)


def test_buyer_submits_the_cart_and_gets_a_numbered_order_with_frozen_prices_and_stock_held(
    api, acme, shop, db
):
    _add_to_cart(
        api,
        acme,
        [{"code": "MATE60P-BLK-256", "quantity": 3}, {"code": "CHG66-WHT", "quantity": 20}],
    )
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()

    response = _submit(
        api,
        acme,
        "key-1",
        ship_to_address_id=shop.addresses["D001"],
        requested_delivery_date=tomorrow,
        po_number="PO-77",
        notes="请在工作日送货",
    )

    assert response.status_code == 201, response.json
    order = response.json
    assert order["number"] == "SO-000001"
    assert order["status"] == "submitted" and order["review_step"] == "sales"
    assert order["po_number"] == "PO-77" and order["requested_delivery_date"] == tomorrow
    assert order["ship_to"]["street"] == "世纪大道 100 号"
    assert order["delivery_method"] == "pickup" and Decimal(order["freight"]) == 0
    assert order["payment_terms"] == "prepaid"
    phone, charger = order["lines"]
    assert (phone["sku_code"], phone["quantity"], phone["unit_price"]) == (
        "MATE60P-BLK-256",
        3,
        "5999.00",
    )
    assert Decimal(order["total"]) == Decimal("5999.00") * 3 + Decimal("99.00") * 20
    assert Decimal(order["tax_total"]) > 0 and charger["sku_code"] == "CHG66-WHT"
    with db.transaction(acme.id) as session:
        allocations = session.scalars(select(OrderAllocation).order_by(OrderAllocation.id)).all()
        assert [(a.quantity, a.status) for a in allocations] == [
            (3, AllocationStatus.RESERVED),
            (20, AllocationStatus.RESERVED),
        ]
        reservations = session.scalars(select(Reservation)).all()
        assert {(r.reference_type, r.reference_id) for r in reservations} == {
            ("order_allocation", str(a.id)) for a in allocations
        }
        assert session.scalar(select(func.count()).select_from(CartLine)) == 0
        events = session.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("order.%")))
        assert list(events) == ["order.submitted"]


def test_the_same_key_answers_the_same_order_and_a_reused_key_with_other_content_is_refused(
    api, acme, shop, db
):
    body = {
        "lines": [{"sku_id": shop.skus["MATE60P-BLK-512"], "quantity": 2}],
        "ship_to_address_id": shop.addresses["D001"],
    }
    first = _submit(api, acme, "retry-me", **body)
    again = _submit(api, acme, "retry-me", **body)
    other = _submit(api, acme, "retry-me", **{**body, "po_number": "changed"})
    missing = api(acme, "buyer").post("/api/v1/orders", json=body)

    assert first.status_code == 201, first.json
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert other.status_code == 422 and "Idempotency-Key" in other.json["error"]["fields"]
    assert missing.status_code == 422 and "Idempotency-Key" in missing.json["error"]["fields"]
    # Another user's identical key is theirs: a second order.
    assert _submit(api, acme, "retry-me", who="dealer_admin", **body).status_code == 201
    assert _count(db, acme, Order) == 2
    with db.transaction(acme.id) as session:
        level = session.scalar(
            select(func.sum(StockLevel.reserved)).where(
                StockLevel.sku_id == shop.skus["MATE60P-BLK-512"]
            )
        )
        assert level == 4


def test_every_problem_is_named_at_once_and_nothing_is_written(api, acme, shop, db):
    yesterday = (dt.date.today() - dt.timedelta(days=2)).isoformat()
    response = _submit(
        api,
        acme,
        "bad",
        lines=[
            {"sku_id": shop.skus["CHG66-WHT"], "quantity": 5},  # MOQ 10
            {"sku_id": shop.skus["MATE60P-SLV-512"], "quantity": 9},  # 8 in stock
            {"sku_id": 999999, "quantity": 1},
            {"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1},
        ],
        ship_to_address_id=shop.addresses["D002"],  # another dealer's
        delivery_method="teleport:now",
        requested_delivery_date=yesterday,
    )

    assert response.status_code == 422, response.json
    fields = response.json["error"]["fields"]
    assert set(fields) == {
        "lines.0.quantity",
        "lines.1.quantity",
        "lines.2.sku_id",
        "ship_to_address_id",
        "requested_delivery_date",
    }
    assert "10" in fields["lines.0.quantity"][0]
    assert "Only 8 of MATE60P-SLV-512 available" in fields["lines.1.quantity"][0]
    assert fields["lines.2.sku_id"] == ["Unknown SKU."]
    with db.transaction(acme.id) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        assert session.scalar(select(func.count()).select_from(Reservation)) == 0

    bad_method = _submit(
        api,
        acme,
        "bad-2",
        lines=[{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1}],
        ship_to_address_id=shop.addresses["D001"],
        delivery_method="teleport:now",
    )
    assert bad_method.status_code == 422
    assert "pickup" in bad_method.json["error"]["fields"]["delivery_method"][0]
    empty_cart = _submit(api, acme, "bad-3", ship_to_address_id=shop.addresses["D001"])
    assert empty_cart.json["error"]["fields"] == {"lines": ["The cart is empty."]}


def test_on_account_orders_must_fit_the_credit_limit_and_prepaid_ones_need_none(
    api, acme, shop, db
):
    with db.transaction(acme.id) as session:
        update_dealer(
            session,
            None,
            acme.dealer_id,
            payment_terms=PaymentTerms.NET30.value,
            credit_limit="20000",
        )
    three_phones = {
        "lines": [{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 3}],  # 17,997
        "ship_to_address_id": shop.addresses["D001"],
    }
    assert _submit(api, acme, "a", **three_phones).json["payment_terms"] == "net30"

    over = _submit(api, acme, "b", **three_phones)
    prepaid = _submit(api, acme, "c", payment_terms="prepaid", **three_phones)
    not_offered = _submit(api, acme, "d", payment_terms="net60", **three_phones)

    assert over.status_code == 422
    assert "credit limit" in over.json["error"]["fields"]["payment_terms"][0]
    assert "2003.00 is available" in over.json["error"]["fields"]["payment_terms"][0]
    assert prepaid.status_code == 201 and prepaid.json["payment_terms"] == "prepaid"
    assert not_offered.status_code == 422 and "payment_terms" in not_offered.json["error"]["fields"]


def test_a_total_that_changed_since_the_user_saw_it_is_a_409_with_the_new_figures(
    api, acme, shop, db
):
    body = {
        "lines": [{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1}],
        "ship_to_address_id": shop.addresses["D001"],
    }
    stale = _submit(api, acme, "stale", expected_total="5899.00", **body)
    fresh = _submit(api, acme, "fresh", expected_total="5999.00", **body)

    assert stale.status_code == 409
    assert "The total is now 5999.00" in stale.json["error"]["message"]
    assert fresh.status_code == 201
    assert _count(db, acme, Order) == 1


def test_a_buyer_order_over_the_dealer_limit_waits_for_the_dealer_admin(api, acme, shop, db):
    limit = api(acme, "dealer_admin").put(
        "/api/v1/my/buyer-approval-limit", json={"buyer_approval_limit": "10000.00"}
    )
    assert limit.status_code == 200 and limit.json == {"buyer_approval_limit": "10000.00"}
    assert (
        api(acme, "buyer")
        .put("/api/v1/my/buyer-approval-limit", json={"buyer_approval_limit": None})
        .status_code
        == 403
    )
    body = {
        "lines": [{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 2}],
        "ship_to_address_id": shop.addresses["D001"],
    }
    big = _submit(api, acme, "big", **body).json
    small = _submit(api, acme, "small", **{**body, "lines": [{**body["lines"][0], "quantity": 1}]})
    by_admin = _submit(api, acme, "admin-own", who="dealer_admin", **body)

    assert big["status"] == "dealer_review" and big["needs_dealer_approval"] is True
    assert small.json["status"] == "submitted"
    assert by_admin.json["status"] == "submitted"
    assert _count(db, acme, Reservation) == 2  # the waiting order holds no stock

    path = f"/api/v1/orders/{big['id']}/dealer-approval"
    assert api(acme, "buyer").post(path, json={"approve": True}).status_code == 403
    assert api(acme, "other_buyer").post(path, json={"approve": True}).status_code == 404
    assert api(acme, "dealer_admin").post(path, json={"approve": False}).status_code == 422
    approved = api(acme, "dealer_admin").post(path, json={"approve": True, "reason": "ok"})
    assert approved.status_code == 200 and approved.json["status"] == "submitted"
    assert _count(db, acme, Reservation) == 3
    again = api(acme, "dealer_admin").post(path, json={"approve": True})
    assert again.status_code == 409 and "submitted" in again.json["error"]["message"]

    second = _submit(api, acme, "big-2", **body).json
    rejected = api(acme, "dealer_admin").post(
        f"/api/v1/orders/{second['id']}/dealer-approval",
        json={"approve": False, "reason": "本月预算已用完"},
    )
    assert rejected.json["status"] == "rejected"


def test_staff_order_on_a_dealers_behalf_and_the_order_says_so(api, acme, shop):
    body = {
        "dealer_id": acme.other_dealer_id,
        "lines": [{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 1}],
        "ship_to_address_id": shop.addresses["D002"],
    }
    placed = _submit(api, acme, "rep-1", who="sales", **body)
    warehouse = _submit(api, acme, "wh-1", who="warehouse", **body)
    foreign_address = _submit(
        api, acme, "rep-2", who="sales", **{**body, "ship_to_address_id": shop.addresses["D001"]}
    )
    # D002's own buyer cannot name another dealer.
    other = _submit(api, acme, "x", who="other_buyer", **{**body, "dealer_id": acme.dealer_id})

    assert placed.status_code == 201, placed.json
    assert placed.json["dealer_id"] == acme.other_dealer_id
    assert placed.json["placed_by_staff"] is True
    assert warehouse.status_code == 403
    assert foreign_address.status_code == 422
    assert other.status_code == 404


def test_a_line_is_split_over_warehouses_and_backordered_only_when_the_tenant_allows(
    api, acme, shop, db
):
    body = {"ship_to_address_id": shop.addresses["D001"]}
    sku = shop.skus["MATE60P-BLK-256"]  # SH 200, GZ 20
    split = _submit(api, acme, "split", lines=[{"sku_id": sku, "quantity": 210}], **body)
    assert split.status_code == 201, split.json
    refused = _submit(api, acme, "more", lines=[{"sku_id": sku, "quantity": 11}], **body)
    assert refused.status_code == 422
    assert "Only 10 of MATE60P-BLK-256" in refused.json["error"]["fields"]["lines.0.quantity"][0]

    _settings(db, acme, backorders_allowed=True)
    backordered = _submit(api, acme, "more", lines=[{"sku_id": sku, "quantity": 11}], **body)

    assert backordered.status_code == 201, backordered.json
    with db.transaction(acme.id) as session:
        rows = session.execute(
            select(
                OrderAllocation.quantity, OrderAllocation.warehouse_id, OrderAllocation.status
            ).order_by(OrderAllocation.id)
        ).all()
        assert [tuple(row) for row in rows] == [
            (200, shop.warehouses["SH"], AllocationStatus.RESERVED),
            (10, shop.warehouses["GZ"], AllocationStatus.RESERVED),
            (10, shop.warehouses["GZ"], AllocationStatus.RESERVED),
            (1, None, AllocationStatus.BACKORDERED),
        ]
        assert verify_ledger(session) == []
        assert session.scalar(select(func.min(StockLevel.on_hand - StockLevel.reserved))) >= 0


def test_reserving_on_approval_holds_nothing_until_the_last_review_step_approves(
    api, acme, shop, db
):
    _settings(db, acme, reserve_stock_on="approval")
    response = _submit(
        api,
        acme,
        "later",
        lines=[{"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 5}],
        ship_to_address_id=shop.addresses["D001"],
    )
    assert response.status_code == 201
    assert _count(db, acme, Reservation) == 0

    approved = api(acme, "sales").post(f"/api/v1/orders/{response.json['id']}/approve", json={})

    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert _count(db, acme, Reservation) == 1
