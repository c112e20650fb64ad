"""Checkout pricing and scale: plugin adjustments frozen on the order, a 1,000-line order."""

from __future__ import annotations

import time
from decimal import Decimal

from sqlalchemy import func, insert, select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.inventory.models import Reservation, ReservationStatus, StockLevel
from dinghuo.core.orders.models import OrderLine
from dinghuo.plugins import PluginInfo, PriceAdjustment, hookimpl


class TierPromotion:
    """A pricing plugin: 100 off the first line, 50 off the order, and one bad adjustment."""

    def __init__(self):
        self.requests = []

    @hookimpl
    def dinghuo_plugin_info(self):
        return PluginInfo(name="promo", version="0.1.0", api_versions=">=1.1,<2")

    @hookimpl
    def dinghuo_price_adjustments(self, request, settings):
        self.requests.append(request)
        return [
            PriceAdjustment("launch", "新品首发立减 100", Decimal("-100"), line_no=1),
            PriceAdjustment("order", f"{request.dealer.tier} 级订单满减", Decimal("-50")),
            PriceAdjustment("ghost", "不存在的行", Decimal("-1"), line_no=99),
        ]


def test_pricing_plugin_adjustments_are_applied_explained_and_frozen_on_the_order(
    api, acme, shop, plugin_host, enable_plugin
):
    promotion = TierPromotion()
    plugin_host.register(promotion, source="test")
    enable_plugin(acme, "promo")

    response = api(acme, "buyer").post(
        "/api/v1/orders",
        json={
            "lines": [
                {"sku_id": shop.skus["MATE60P-BLK-256"], "quantity": 2},
                {"sku_id": shop.skus["CHG66-WHT"], "quantity": 10},
            ],
            "ship_to_address_id": shop.addresses["D001"],
            "delivery_method": "pickup",
            "expected_total": "12838.00",
        },
        headers={"Idempotency-Key": "promo-1"},
    )

    assert response.status_code == 201, response.json
    order = response.json
    phone, charger = order["lines"]
    assert phone["adjustments"] == [
        {"source": "promo", "code": "launch", "label": "新品首发立减 100", "amount": "-100.00"}
    ]
    assert charger["adjustments"] == []
    assert order["adjustments"] == [
        {"source": "promo", "code": "order", "label": "A 级订单满减", "amount": "-50.00"}
    ]
    assert order["subtotal"] == "12988.00" and order["adjustments_total"] == "-150.00"
    assert order["total"] == "12838.00"
    [request] = promotion.requests
    assert request.dealer.code == "D001" and [line.quantity for line in request.lines] == [2, 10]


def test_a_thousand_line_order_is_checked_priced_frozen_and_held_in_one_request(
    api, acme, shop, db
):
    # Stock is held on submission (the default): 1,000 reservations in one go.
    with db.transaction(acme.id) as session:
        product_id = session.scalar(select(Sku.product_id).where(Sku.code == "MATE60P-BLK-256"))
        session.execute(
            insert(Sku),
            [
                {
                    "tenant_id": acme.id,
                    "product_id": product_id,
                    "code": f"BULK-{n:04d}",
                    "variant": {"批次": str(n)},
                    "base_price": Decimal("10.00") + n,
                    "msrp": Decimal("20.00") + n,
                    "position": 100 + n,
                }
                for n in range(1000)
            ],
        )
        ids = list(session.scalars(select(Sku.id).where(Sku.code.like("BULK-%")).order_by(Sku.id)))
        session.execute(
            insert(StockLevel),
            [
                {"tenant_id": acme.id, "warehouse_id": shop.warehouses["SH"], "sku_id": sku_id}
                | {"on_hand": 50, "reserved": 0}
                for sku_id in ids
            ],
        )
    lines = [{"sku_id": sku_id, "quantity": 1 + n % 5} for n, sku_id in enumerate(ids)]

    started = time.perf_counter()
    response = api(acme, "buyer").post(
        "/api/v1/orders",
        json={
            "lines": lines,
            "ship_to_address_id": shop.addresses["D001"],
            "delivery_method": "pickup",
        },
        headers={"Idempotency-Key": "big-order"},
    )
    elapsed = time.perf_counter() - started

    assert response.status_code == 201, response.json
    order = response.json
    assert len(order["lines"]) == 1000 and order["lines"][-1]["line_no"] == 1000
    expected = sum((Decimal("10.00") + n) * (1 + n % 5) for n in range(1000))
    assert Decimal(order["total"]) == expected
    with db.transaction(acme.id) as session:
        assert session.scalar(select(func.count()).select_from(OrderLine)) == 1000
        reserved = session.execute(
            select(func.count(), func.sum(Reservation.quantity)).where(
                Reservation.status == ReservationStatus.ACTIVE
            )
        ).one()
        assert tuple(reserved) == (1000, sum(1 + n % 5 for n in range(1000)))
        assert session.scalar(select(func.sum(StockLevel.reserved))) == reserved[1]
    assert elapsed < 10, f"a 1,000-line order took {elapsed:.1f} s"
