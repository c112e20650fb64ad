"""The built-in ``kuaidi100`` carrier against a fake Kuaidi100, and the tracking fetch job.

The job asks every enabled carrier that reports tracking about each open
shipment; a carrier that raises or hangs fails alone.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from fake_kuaidi100 import CUSTOMER, KEY, running
from sqlalchemy import select
from test_fulfilment import approved_order, ship

from dinghuo.core.fulfilment import carriers
from dinghuo.core.fulfilment.jobs import fetch_carrier_tracking
from dinghuo.core.fulfilment.models import Shipment
from dinghuo.errors import Conflict
from dinghuo.platform.jobs import enqueue
from dinghuo.platform.jobs.models import JobRun
from dinghuo.plugins import (
    Address,
    CarrierShipment,
    DealerRef,
    FreightQuote,
    FreightRequest,
    Parcel,
    PluginInfo,
    ShipmentRef,
    ShipmentRequest,
    TenantRef,
    hookimpl,
)
from dinghuo.plugins.logistics import kuaidi100

TENANT = TenantRef(1, "acme", "Acme")
ADDRESS = Address("王经理", "13800138000", "上海市", "上海市", "世纪大道 100 号")
STEPS = [
    ("2025-01-02 09:00:00", "揽收", "顺丰速运 已收取快件", "上海市"),
    ("2025-01-02 18:30:00", "在途", "快件到达 【上海浦东转运中心】", "上海市"),
]
DELIVERED = ("2025-01-03 10:15:00", "签收", "已签收，签收人：本人", "上海市浦东新区")


@pytest.fixture
def fake_kuaidi100(monkeypatch):
    monkeypatch.setenv(kuaidi100.ALLOW_PRIVATE_ENV, "1")
    with running() as fake:
        yield fake


def settings_for(fake, **extra):
    return {
        "customer": CUSTOMER,
        "key": KEY,
        "company": "shunfeng",
        "endpoint": fake.url,
        "freight": "18.00",
        **extra,
    }


def test_kuaidi100_quotes_its_flat_freight_tracks_the_typed_waybill_and_signs_each_query(
    fake_kuaidi100, monkeypatch
):
    settings = settings_for(fake_kuaidi100)
    request = FreightRequest(
        TENANT, DealerRef(1, "D001", "A"), ADDRESS, (Parcel(1200),), Decimal("5000.00")
    )
    assert kuaidi100.dinghuo_freight_quotes(request, settings) == [
        FreightQuote("express", "快递", Decimal("18.00"), "CNY", None)
    ]
    booking = ShipmentRequest(
        TENANT, "SO-1-1", "SO-1", "express", ADDRESS, (Parcel(1200),), Decimal("1"), ()
    )
    with pytest.raises(ValueError, match="type its tracking number"):
        kuaidi100.dinghuo_create_shipment(booking)
    typed = ShipmentRequest(**{**booking.__dict__, "tracking_number": " SF1001 "})
    assert kuaidi100.dinghuo_create_shipment(typed) == CarrierShipment("SF1001")

    fake_kuaidi100.parcels["SF1001"] = [*STEPS, DELIVERED]
    ref = ShipmentRef(TENANT, "SO-1-1", "SO-1", "express", "SF1001", ADDRESS)
    updates = kuaidi100.dinghuo_tracking_events(ref, settings)
    assert [(u.status, u.location) for u in updates] == [
        ("picked_up", "上海市"),
        ("in_transit", "上海市"),
        ("delivered", "上海市浦东新区"),
    ]
    assert updates[0].occurred_at == dt.datetime(2025, 1, 2, 1, 0, tzinfo=dt.UTC)
    assert len({u.external_id for u in updates}) == 3
    assert fake_kuaidi100.queries == [
        {"com": "shunfeng", "num": "SF1001", "phone": "13800138000", "resultv2": "1"}
    ]
    # The same steps fetched again carry the same ids, so they are stored once.
    assert kuaidi100.dinghuo_tracking_events(ref, settings) == updates

    with pytest.raises(kuaidi100.Kuaidi100Error, match="503 验证签名失败"):
        kuaidi100.dinghuo_tracking_events(ref, {**settings, "key": "wrong"})
    with pytest.raises(kuaidi100.Kuaidi100Error, match="500 查询无结果"):
        kuaidi100.dinghuo_tracking_events(
            ShipmentRef(TENANT, "SO-1-2", "SO-1", "express", "SF404"), settings
        )
    monkeypatch.delenv(kuaidi100.ALLOW_PRIVATE_ENV)
    with pytest.raises(kuaidi100.Kuaidi100Error, match="internal address 127.0.0.1"):
        kuaidi100.dinghuo_tracking_events(ref, settings)


class FlakyCarrier:
    """A carrier whose tracking raises (``broken``) or never answers (``stuck``)."""

    def __init__(self, name: str, *, hang: bool) -> None:
        self.name = name
        self.hang = hang
        self.release = threading.Event()
        self.asked: list[str] = []
        self.cancelled: list[ShipmentRef] = []

    @hookimpl
    def dinghuo_plugin_info(self):
        return PluginInfo(name=self.name, version="0.1", api_versions=">=1.1,<2")

    @hookimpl
    def dinghuo_freight_quotes(self, request):
        return [FreightQuote("standard", self.name, Decimal("10.00"))]

    @hookimpl
    def dinghuo_create_shipment(self, request):
        return CarrierShipment(request.tracking_number)

    @hookimpl
    def dinghuo_tracking_events(self, request):
        self.asked.append(request.tracking_number)
        if self.hang:
            self.release.wait(10)
            return []
        raise RuntimeError("carrier API is down")

    @hookimpl
    def dinghuo_cancel_shipment(self, request):
        if self.hang:
            raise RuntimeError("already collected")
        self.cancelled.append(request)


def _run_fetch(app, world, run_jobs) -> dict[str, int]:
    database = app.extensions["dinghuo.db"]
    with database.transaction(world.id) as session:
        job_id = enqueue(session, fetch_carrier_tracking).id
    run_jobs()
    with database.transaction(world.id) as session:
        return session.get(JobRun, job_id).result["value"]


def test_the_fetch_job_stores_new_steps_once_closes_delivered_parcels_and_contains_bad_carriers(
    app, acme, shop, api, plugin_host, enable_plugin, run_jobs, fake_kuaidi100, monkeypatch
):
    broken, stuck = FlakyCarrier("broken", hang=False), FlakyCarrier("stuck", hang=True)
    for carrier in (broken, stuck):
        plugin_host.register(carrier, source="test")
        enable_plugin(acme, carrier.name)
    enable_plugin(acme, "kuaidi100", settings_for(fake_kuaidi100))
    monkeypatch.setattr(carriers, "FETCH_TIMEOUT", 0.2)
    order = approved_order(app, acme, shop, {"CHG66-WHT": 40}, delivery_method="kuaidi100:express")
    sh = shop.warehouses["SH"]
    for carrier, waybill in (
        ("kuaidi100:express", "SF1001"),
        ("broken:standard", "B1"),
        ("stuck:standard", "ST1"),
        ("stuck:standard", "ST2"),
    ):
        shipped = ship(
            api, acme, order, sh, {"CHG66-WHT": 10}, carrier=carrier, tracking_number=waybill
        )
        assert shipped.status_code == 201, shipped.json
    fake_kuaidi100.parcels["SF1001"] = list(STEPS)

    try:
        # The stuck carrier is given up after its first time-out; ST2 waits for the next run.
        assert _run_fetch(app, acme, run_jobs) == {"shipments": 3, "stored": 2, "failed": 2}
        assert broken.asked == ["B1"] and stuck.asked == ["ST1"]
    finally:
        stuck.release.set()

    fake_kuaidi100.parcels["SF1001"].append(DELIVERED)
    stuck.hang = False
    assert _run_fetch(app, acme, run_jobs) == {"shipments": 4, "stored": 1, "failed": 3}
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        by_waybill = {s.tracking_number: s for s in session.scalars(select(Shipment))}
        tracked = by_waybill["SF1001"]
        assert tracked.status.value == "delivered"
        assert tracked.delivery_confirmed_by == "carrier"
        assert [e.status for e in tracked.tracking_events] == [
            "picked_up",
            "in_transit",
            "delivered",
        ]
        assert by_waybill["B1"].tracking_events == []

        # Cancelling asks the carrier that booked the parcel; a refusal is a 409.
        carriers.cancel_with_carrier(session, by_waybill["B1"])
        assert [(r.tracking_number, r.order_number) for r in broken.cancelled] == [
            ("B1", order["number"])
        ]
        stuck.hang = True
        with pytest.raises(Conflict, match="already collected"):
            carriers.cancel_with_carrier(session, by_waybill["ST1"])
        carriers.cancel_with_carrier(session, tracked)  # kuaidi100 booked nothing to void

    timeline = api(acme, "buyer").get(f"/api/v1/orders/{order['id']}/timeline").json
    messages = [entry["message"] for entry in timeline]
    assert any("delivered" in m and m.startswith(f"{order['number']}-1") for m in messages)
    # A third run has nothing new for the delivered parcel and does not ask about it again.
    assert _run_fetch(app, acme, run_jobs)["stored"] == 0
    assert fake_kuaidi100.queries[-1]["num"] == "SF1001" and len(fake_kuaidi100.queries) == 2
