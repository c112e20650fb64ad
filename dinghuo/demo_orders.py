"""The demo brand's orders: a console and portal with orders at every stage.

:func:`seed_orders` turns on the built-in ``flat_rate`` courier and places a
handful of orders the way dealers and staff would — submitted by the dealers'
buyers, approved by the sales reviewer, shipped from the warehouses with
tracking numbers and IMEIs, delivered — through the same services the API
calls, so every order has its reservations, timeline, events and
notifications. It runs once per tenant: the first demo order is the natural
key of the whole set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

from sqlalchemy import select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.crm.models import AddressKind, Dealer, DealerAddress
from dinghuo.core.fulfilment import service as fulfilment
from dinghuo.core.orders import review, submission
from dinghuo.core.orders.models import Order
from dinghuo.core.orders.states import OrderStatus
from dinghuo.core.pricing.service import tenant_today
from dinghuo.db import Database, TenantSession
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import principal_for_user
from dinghuo.plugins.manager import host_for
from dinghuo.plugins.service import configure_plugin

CARRIER = "flat_rate"
CARRIER_SETTINGS = {
    "label": "顺丰标快 SF Express",
    "amount": "20.00",
    "per_kg": "2.00",
    "free_over": "50000.00",
    "estimated_days": 2,
}
DELIVERY = f"{CARRIER}:standard"
KEY_PREFIX = "demo-order-"


@dataclass(frozen=True)
class DemoOrder:
    """One order a dealer's buyer placed, and how far it has gone."""

    key: str
    dealer_mailbox: str
    lines: tuple[tuple[str, int], ...]
    po_number: str
    notes: str
    stage: OrderStatus
    tracking: tuple[tuple[str, str, str], ...] = ()
    """(status, location, description) events the courier reported, oldest first."""


ORDERS = (
    DemoOrder(
        "1",
        "xingchen.example.com",
        (("MATE60P-BLK-512", 4), ("PB12K-WHT-12K", 20)),
        "XC-2406-031",
        "周五前到货，谢谢。Please deliver before Friday.",
        OrderStatus.DELIVERED,
        (
            ("picked_up", "杭州 Hangzhou", "已揽收 Picked up at the Hangzhou hub"),
            ("in_transit", "杭州转运中心 Hangzhou sorting centre", "运输中 In transit"),
            ("out_for_delivery", "杭州市西湖区 Xihu, Hangzhou", "派送中 Out for delivery"),
        ),
    ),
    DemoOrder(
        "2",
        "shulian.example.com",
        (("PAD115-GRY-128", 2), ("CASE60P-BLK-60P", 10)),
        "SL-0612",
        "",
        OrderStatus.SHIPPED,
        (
            ("picked_up", "广州 Guangzhou", "已揽收 Picked up at the Guangzhou warehouse"),
            ("in_transit", "长沙转运中心 Changsha sorting centre", "运输中 In transit"),
        ),
    ),
    DemoOrder(
        "3",
        "xuntong.example.com",
        (("NOVA12-BLK-256", 20), ("BUDS5-SLV-STD", 10)),
        "XT-2406-088",
        "618 活动备货 Stock for the 618 sale.",
        OrderStatus.APPROVED,
    ),
    DemoOrder(
        "4",
        "xingchen.example.com",
        (("MATE60P-BLK-256", 10), ("CHG66-WHT-66W", 20), ("CASE60P-PUR-60P", 10)),
        "XC-2406-044",
        "",
        OrderStatus.SUBMITTED,
    ),
    DemoOrder(
        "5",
        "xuntong.example.com",
        (("MATE60-GRN-512", 5),),
        "XT-2406-091",
        "门店展示机 Display units for the shop.",
        OrderStatus.SUBMITTED,
    ),
)

PHONES = ("MATE", "NOVA", "X7")
"""SKU code prefixes of the demo's phones: each unit shipped carries its IMEI."""
IMEI_PREFIX = "86458806"
"""A type allocation code for the demo's phones; each unit's IMEI continues it."""


def imei(serial: int) -> str:
    """A valid 15-digit IMEI: the demo TAC, a six-digit serial and the Luhn check digit."""
    body = f"{IMEI_PREFIX}{serial:06d}"
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def seed_orders(
    database: Database, tenant_id: int, *, sales_email: str, warehouse_email: str
) -> None:
    """Enable the courier and place :data:`ORDERS`, unless the demo placed them before.

    Each step is its own transaction, as the requests of the people doing it
    would be, so the jobs a step enqueues (notifications, event delivery) run
    once that step is committed.
    """
    with database.transaction(tenant_id) as session:
        placed = session.scalar(
            select(Order.id).where(Order.idempotency_key.startswith(KEY_PREFIX)).limit(1)
        )
        if placed is not None:
            return
        host = host_for(session)
        if host.get(CARRIER) is not None:
            configure_plugin(session, None, host, CARRIER, enabled=True, settings=CARRIER_SETTINGS)
        skus = {sku.code: sku.id for sku in session.scalars(select(Sku))}
    serials = count(1)
    for spec in ORDERS:
        buyer_email = f"buyer@{spec.dealer_mailbox}"
        with database.transaction(tenant_id) as session:
            order_id = _place(session, _person(session, buyer_email), spec, skus).id
        if spec.stage is OrderStatus.SUBMITTED:
            continue
        with database.transaction(tenant_id) as session:
            review.approve_step(
                session,
                _person(session, sales_email),
                order_id,
                reason="库存充足，同意 Stock is there, approved.",
            )
        if spec.stage is OrderStatus.APPROVED:
            continue
        with database.transaction(tenant_id) as session:
            order = session.get_one(Order, order_id)
            shipments = _ship(session, _person(session, warehouse_email), order, spec, serials)
        if spec.stage is not OrderStatus.DELIVERED:
            continue
        with database.transaction(tenant_id) as session:
            for shipment_id in shipments:
                fulfilment.confirm_delivery(
                    session,
                    _person(session, buyer_email),
                    shipment_id,
                    "货已收到，完好 All received.",
                )


def _person(session: TenantSession, email: str) -> Principal:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, f"the demo seeds {email} before its orders"
    return principal_for_user(user)


def _place(
    session: TenantSession, buyer: Principal, spec: DemoOrder, skus: dict[str, int]
) -> Order:
    address = session.scalar(
        select(DealerAddress.id)
        .join(Dealer, Dealer.id == DealerAddress.dealer_id)
        .where(Dealer.id == buyer.dealer_id, DealerAddress.kind == AddressKind.SHIP_TO)
        .order_by(DealerAddress.is_default.desc(), DealerAddress.id)
    )
    result = submission.submit_order(
        session,
        buyer,
        lines=[(skus[code], quantity) for code, quantity in spec.lines],
        ship_to_address_id=address,
        delivery_method=DELIVERY,
        requested_delivery_date=tenant_today(session) + dt.timedelta(days=5),
        po_number=spec.po_number,
        notes=spec.notes,
        idempotency_key=KEY_PREFIX + spec.key,
    )
    return result.order


def _ship(
    session: TenantSession,
    warehouse: Principal,
    order: Order,
    spec: DemoOrder,
    serials: Iterator[int],
) -> list[int]:
    """One shipment per warehouse holding the order's units, phones with their IMEIs.

    Returns the shipments' ids; the courier reports its events for each.
    """
    by_warehouse: dict[int, list[dict[str, Any]]] = {}
    for line in order.lines:
        phone = line.sku_code.startswith(PHONES)
        for allocation in line.allocations:
            if allocation.warehouse_id is None:
                continue
            by_warehouse.setdefault(allocation.warehouse_id, []).append(
                {
                    "line_id": line.id,
                    "quantity": allocation.quantity,
                    "serials": [imei(next(serials)) for _ in range(allocation.quantity)]
                    if phone
                    else [],
                }
            )
    shipped = []
    for warehouse_id, lines in sorted(by_warehouse.items()):
        shipment = fulfilment.create_shipment(
            session,
            warehouse,
            order.id,
            warehouse_id=warehouse_id,
            lines=lines,
            tracking_number=f"SF{1406_0000_0000 + order.id * 100 + warehouse_id}",
        )
        fulfilment.add_tracking_events(
            session,
            shipment.id,
            [
                {
                    "external_id": f"{shipment.number}-{index}",
                    "status": status,
                    "location": location,
                    "description": description,
                }
                for index, (status, location, description) in enumerate(spec.tracking)
            ],
            CARRIER,
        )
        shipped.append(shipment.id)
    return shipped
