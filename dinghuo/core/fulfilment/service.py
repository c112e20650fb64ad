"""Shipping approved orders: allocations per warehouse, shipments, tracking, delivery.

The rules, as plain functions over a tenant-bound session:

- :func:`allocate_line` moves a line's unshipped units to the warehouse staff
  will ship them from (``shipments:manage``): the old reservations are
  released and the new one taken in the same transaction, whose row locks
  keep the units from anyone else in between.
- :func:`create_shipment` ships reserved units from one warehouse: it commits
  the reservations in the inventory ledger (splitting an allocation when only
  part of it ships), books the parcel with the carrier plugin the order's
  delivery method names (``dinghuo_create_shipment``), keeps the label in the
  tenant's storage, records every serial/IMEI, and moves the order to
  partially shipped or shipped.
- :func:`add_tracking_event` (staff) and :func:`add_tracking_events`
  (carriers, idempotent by the carrier's event id) record the journey;
  :func:`confirm_delivery` closes a shipment (dealer, staff or carrier) and
  the order once every unit has arrived.

A dealer's user reads only their own dealer's shipments; another dealer's
or another tenant's id is a 404, like a missing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from dinghuo.api import MAX_ID
from dinghuo.core.catalog.models import Sku
from dinghuo.core.checks import load, require, text
from dinghuo.core.crm.models import Dealer
from dinghuo.core.fulfilment import serials as serial_rules
from dinghuo.core.fulfilment.models import (
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    ShippedSerial,
    TrackingEvent,
)
from dinghuo.core.inventory import service as inventory
from dinghuo.core.inventory.models import Warehouse
from dinghuo.core.orders import allocation as holds
from dinghuo.core.orders.allocation import REFERENCE_TYPE
from dinghuo.core.orders.lifecycle import log_activity, transition
from dinghuo.core.orders.models import AllocationStatus, Order, OrderAllocation, OrderLine
from dinghuo.core.orders.states import OrderStatus
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import Conflict, NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit
from dinghuo.platform.jobs.runtime import runtime_for
from dinghuo.platform.storage import Storage, storage_for
from dinghuo.platform.tenants.models import Tenant
from dinghuo.plugins.manager import host_for
from dinghuo.plugins.service import tenant_plugins
from dinghuo.plugins.types import (
    Address,
    CarrierShipment,
    Parcel,
    ShipmentItem,
    ShipmentRequest,
    TenantRef,
)

SHIPPABLE = frozenset(
    {
        OrderStatus.APPROVED,
        OrderStatus.IN_PRODUCTION,
        OrderStatus.BACKORDERED,
        OrderStatus.PARTIALLY_SHIPPED,
    }
)
"""Orders whose reserved units may ship."""

TRACKING_STATUSES = ("picked_up", "in_transit", "out_for_delivery", "delivered", "exception")
PICKUP = "pickup"
MANUAL = "manual"
CARRIER_TIMEOUT = 20.0
"""Seconds a carrier may take to book; staff wait at the packing table meanwhile."""
MAX_SHIPMENT_LINES = 500
MAX_PARCELS = 999
MAX_WEIGHT_GRAMS = 10_000_000
LABEL_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "text/plain": "txt"}


# --- reading -------------------------------------------------------------------------------


def visible_order(session: TenantSession, actor: Principal | None, order_id: Any) -> Order:
    """An order the actor may read: staff with ``orders:read``, or the dealer's own users."""
    if actor is not None and not actor.is_staff:
        require(actor, Permission.ORDERS_PLACE)
    elif actor is not None:
        require(actor, Permission.ORDERS_READ)
    order = load(session, Order, order_id)
    if order is None or (
        actor is not None and not actor.is_staff and order.dealer_id != actor.dealer_id
    ):
        raise NotFound("No such order.")
    return order


def get_shipment(session: TenantSession, actor: Principal | None, shipment_id: Any) -> Shipment:
    """One shipment, if the actor may read its order (404 otherwise)."""
    shipment = load(session, Shipment, shipment_id)
    if shipment is None:
        raise NotFound("No such shipment.")
    try:
        visible_order(session, actor, shipment.order_id)
    except NotFound:
        raise NotFound("No such shipment.") from None
    return shipment


def list_shipments(
    session: TenantSession, actor: Principal | None, order_id: Any
) -> list[Shipment]:
    """An order's shipments, oldest first."""
    order = visible_order(session, actor, order_id)
    return list(
        session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id))
    )


def storage(session: TenantSession) -> Storage:
    """The file store of the app this session belongs to (no Flask needed)."""
    return storage_for(runtime_for(session).settings)


def label(session: TenantSession, actor: Principal | None, shipment_id: Any) -> tuple[bytes, str]:
    """The carrier's label and its content type; 404 when the carrier made none."""
    shipment = get_shipment(session, actor, shipment_id)
    if not shipment.label_path:
        raise NotFound("The carrier made no label for this shipment.")
    data = storage(session).read(session.tenant_id or 0, shipment.label_path)
    return data, shipment.label_content_type or "application/octet-stream"


@dataclass(frozen=True)
class PackingLine:
    line_no: int
    sku_code: str
    name: str
    quantity: int
    serials: tuple[str, ...]


@dataclass(frozen=True)
class PackingList:
    """What the packer puts in the box and the recipient checks it against."""

    shipment: Shipment
    order: Order
    dealer: Dealer
    warehouse: Warehouse
    lines: tuple[PackingLine, ...]

    @property
    def total_units(self) -> int:
        return sum(line.quantity for line in self.lines)


def packing_list(session: TenantSession, actor: Principal | None, shipment_id: Any) -> PackingList:
    shipment = get_shipment(session, actor, shipment_id)
    order = visible_order(session, actor, shipment.order_id)
    order_lines = {line.id: line for line in order.lines}
    lines = tuple(
        PackingLine(
            line_no=order_lines[line.order_line_id].line_no,
            sku_code=order_lines[line.order_line_id].sku_code,
            name=order_lines[line.order_line_id].name,
            quantity=line.quantity,
            serials=tuple(s.serial for s in line.serials),
        )
        for line in shipment.lines
    )
    dealer = session.scalar(select(Dealer).where(Dealer.id == order.dealer_id))
    warehouse = session.scalar(select(Warehouse).where(Warehouse.id == shipment.warehouse_id))
    assert dealer is not None and warehouse is not None  # RESTRICT foreign keys
    return PackingList(shipment, order, dealer, warehouse, lines)


@dataclass(frozen=True)
class ShippableLine:
    """An order line as the shipping form shows it: what is left, and where it is held."""

    line: OrderLine
    reserved: dict[int, int]
    """warehouse id → units reserved there for this line."""
    backordered: int

    @property
    def open_quantity(self) -> int:
        return self.line.quantity - self.line.shipped_quantity


def shippable_lines(
    session: TenantSession, actor: Principal | None, order_id: Any
) -> list[ShippableLine]:
    """Each line with its reserved units per warehouse and its backordered units."""
    order = visible_order(session, actor, order_id)
    result = []
    for line in order.lines:
        reserved: dict[int, int] = {}
        backordered = 0
        for allocation in line.allocations:
            if allocation.status is AllocationStatus.RESERVED and allocation.warehouse_id:
                reserved[allocation.warehouse_id] = (
                    reserved.get(allocation.warehouse_id, 0) + allocation.quantity
                )
            elif allocation.status is AllocationStatus.BACKORDERED:
                backordered += allocation.quantity
        result.append(ShippableLine(line, reserved, backordered))
    return result


# --- allocation ----------------------------------------------------------------------------


def _locked_order(session: TenantSession, order_id: Any) -> Order:
    """The order, row-locked on PostgreSQL so shipments of one order are numbered in turn."""
    if isinstance(order_id, bool) or not isinstance(order_id, int) or not 0 < order_id <= MAX_ID:
        raise NotFound("No such order.")
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        raise NotFound("No such order.")
    return order


def _shippable(order: Order) -> None:
    if order.status not in SHIPPABLE:
        raise Conflict(
            f"Order {order.number} is {order.status.value}; only approved orders ship.",
            fields={"status": [f"{order.status.value} orders do not ship"]},
        )


def _whole(
    field: str, value: Any, *, minimum: int = 1, maximum: int = inventory.MAX_QUANTITY
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.field(field, "Must be a whole number.")
    if value < minimum or value > maximum:
        raise ValidationFailed.field(field, f"Must be between {minimum} and {maximum}.")
    return value


def allocate_line(
    session: TenantSession,
    actor: Principal | None,
    order_id: Any,
    line_id: Any,
    *,
    warehouse_id: Any,
    quantity: Any,
) -> OrderLine:
    """Hold ``quantity`` of a line's unshipped units in ``warehouse_id`` instead of elsewhere.

    Staff choose where a line ships from: the units come off the line's
    backorder first, then off its reservations in other warehouses
    (:func:`dinghuo.core.orders.allocation.reallocate`). All or nothing: a
    warehouse short of stock is a 409 naming the SKU, and nothing moves.
    """
    require(actor, Permission.SHIPMENTS_MANAGE)
    order = _locked_order(session, order_id)
    line = load(session, OrderLine, line_id)
    if line is None or line.order_id != order.id:
        raise NotFound("No such order line.")
    _shippable(order)
    warehouse = load(session, Warehouse, warehouse_id)
    if warehouse is None:
        raise ValidationFailed.field("warehouse_id", "No such warehouse.")
    units = _whole("quantity", quantity)
    holds.reallocate(session, line, warehouse.id, units, f"{order.number}: re-allocated")
    log_activity(
        session,
        actor,
        order,
        "allocation",
        f"Line {line.line_no} ({line.sku_code}): {units} units now held in {warehouse.code}.",
        details={"line_id": line.id, "warehouse_id": warehouse.id, "quantity": units},
        visible_to_dealer=False,
    )
    record(
        session,
        actor,
        "order.allocate",
        "order_line",
        line.id,
        {"warehouse_id": warehouse.id, "quantity": units},
    )
    return line


def _reserve(session: TenantSession, allocation: OrderAllocation) -> None:
    session.flush()
    reservation = inventory.reserve(
        session,
        None,
        sku_id=allocation.sku_id,
        quantity=allocation.quantity,
        reference_type=REFERENCE_TYPE,
        reference_id=str(allocation.id),
        warehouse_id=allocation.warehouse_id,
    )
    allocation.reservation_id = reservation.id


# --- shipments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _ShipLine:
    line: OrderLine
    quantity: int
    serials: list[str]


def _ship_lines(
    session: TenantSession, order: Order, warehouse_id: int, lines: Sequence[Mapping[str, Any]]
) -> list[_ShipLine]:
    if not lines:
        raise ValidationFailed.field("lines", "Ship at least one line.")
    if len(lines) > MAX_SHIPMENT_LINES:
        raise ValidationFailed.field("lines", f"At most {MAX_SHIPMENT_LINES} lines per shipment.")
    by_id = {line.id: line for line in order.lines}
    seen: dict[str, str] = {}
    result = []
    for index, entry in enumerate(lines):
        field = f"lines.{index}"
        line_id = entry.get("line_id")
        line = by_id.get(line_id) if isinstance(line_id, int) else None
        if line is None:
            raise ValidationFailed.field(f"{field}.line_id", "Not a line of this order.")
        if any(item.line.id == line.id for item in result):
            raise ValidationFailed.field(f"{field}.line_id", "This line is listed twice.")
        quantity = _whole(f"{field}.quantity", entry.get("quantity"))
        reserved = sum(
            a.quantity
            for a in line.allocations
            if a.status is AllocationStatus.RESERVED and a.warehouse_id == warehouse_id
        )
        if quantity > reserved:
            raise ValidationFailed.field(
                f"{field}.quantity",
                f"Only {reserved} units of {line.sku_code} are reserved in this warehouse; "
                "allocate the line there first.",
            )
        serials = serial_rules.check_serials(f"{field}.serials", entry.get("serials") or [])
        if serials and len(serials) != quantity:
            raise ValidationFailed.field(
                f"{field}.serials",
                f"Give one serial per unit: {quantity} units, {len(serials)} serials.",
            )
        for position, serial in enumerate(serials):
            if serial in seen:
                raise ValidationFailed.field(
                    f"{field}.serials.{position}", f"{serial} is also given for {seen[serial]}."
                )
            seen[serial] = line.sku_code
        result.append(_ShipLine(line, quantity, serials))
    if seen:
        taken = session.scalars(
            select(ShippedSerial).where(
                ShippedSerial.serial.in_(list(seen)), ShippedSerial.returned_at.is_(None)
            )
        ).all()
        if taken:
            index, position = next(
                (i, item.serials.index(taken[0].serial))
                for i, item in enumerate(result)
                if taken[0].serial in item.serials
            )
            raise ValidationFailed.field(
                f"lines.{index}.serials.{position}",
                f"{taken[0].serial} has already shipped and was not returned.",
            )
    return result


def _commit_units(
    session: TenantSession, order: Order, item: _ShipLine, warehouse_id: int
) -> list[OrderAllocation]:
    """Commit ``item.quantity`` reserved units of the line in the warehouse, oldest first.

    An allocation shipping only in part is split: its reservation is released
    and re-taken for the part that stays, and the shipping part gets its own
    allocation whose reservation is committed (all under the level's row lock).
    """
    remaining = item.quantity
    shipped = []
    reason = f"{order.number}: shipped"
    for allocation in list(item.line.allocations):
        if remaining == 0:
            break
        if (
            allocation.status is not AllocationStatus.RESERVED
            or allocation.warehouse_id != warehouse_id
        ):
            continue
        if allocation.quantity > remaining:
            assert allocation.reservation_id is not None
            inventory.release(
                session, None, allocation.reservation_id, f"{order.number}: split to ship part"
            )
            allocation.status = AllocationStatus.RELEASED
            staying = OrderAllocation(
                order_line_id=item.line.id,
                sku_id=allocation.sku_id,
                warehouse_id=warehouse_id,
                quantity=allocation.quantity - remaining,
                status=AllocationStatus.RESERVED,
            )
            shipping = OrderAllocation(
                order_line_id=item.line.id,
                sku_id=allocation.sku_id,
                warehouse_id=warehouse_id,
                quantity=remaining,
                status=AllocationStatus.RESERVED,
            )
            item.line.allocations.extend([staying, shipping])
            _reserve(session, staying)
            _reserve(session, shipping)
            allocation = shipping
        assert allocation.reservation_id is not None
        inventory.commit_reservation(session, None, allocation.reservation_id, reason)
        allocation.status = AllocationStatus.SHIPPED
        remaining -= allocation.quantity
        shipped.append(allocation)
    return shipped


def _carrier_for(order: Order, carrier: str | None) -> tuple[str, str]:
    """``(carrier plugin, service)`` from the explicit choice, else the order's delivery method."""
    method = (carrier or "").strip() or order.delivery_method or MANUAL
    name, _, service = method.partition(":")
    return name.strip(), service.strip()


def _address(data: Mapping[str, Any]) -> Address:
    return Address(
        recipient=str(data.get("recipient", "")),
        phone=str(data.get("phone", "")),
        province=str(data.get("province", "")),
        city=str(data.get("city", "")),
        street=str(data.get("street", "")),
        district=str(data.get("district", "")),
        postal_code=str(data.get("postal_code", "")),
    )


def _book(
    session: TenantSession,
    carrier: str,
    request: ShipmentRequest,
) -> CarrierShipment | None:
    """Ask the carrier plugin to book the parcel; ``None`` for pickup or manual entry.

    ``manual`` needs the tracking number staff typed, whether or not the
    tenant enabled the built-in ``manual`` plugin (which then just echoes it).

    Only the named carrier is called. Its refusal (or a malformed answer)
    stops the shipment with a 409 carrying the carrier's reason.
    """
    if carrier == PICKUP:
        return None
    if carrier == MANUAL and not request.tracking_number:
        raise ValidationFailed.field("tracking_number", "Type the carrier's tracking number.")
    plugins = tenant_plugins(session, host_for(session))
    outcomes = []
    if carrier in plugins.enabled:
        outcomes = plugins.call_each(
            "dinghuo_create_shipment",
            skip=plugins.enabled - {carrier},
            request=request,
            timeout=CARRIER_TIMEOUT,
        )
    if not outcomes:
        if carrier == MANUAL:
            return None
        raise ValidationFailed.field("carrier", f"The carrier {carrier!r} is not enabled.")
    outcome = outcomes[0]
    if outcome.error is not None:
        raise Conflict(
            f"The carrier {carrier} refused the shipment: {outcome.error}",
            fields={"carrier": [str(outcome.error)[:500]]},
        )
    answer = outcome.result
    if not isinstance(answer, CarrierShipment) or not isinstance(answer.tracking_number, str):
        raise Conflict(
            f"The carrier {carrier} answered without a tracking number.",
            fields={"carrier": ["no tracking number in the carrier's answer"]},
        )
    return answer


def _tenant_ref(session: TenantSession) -> TenantRef:
    tenant = session.get(Tenant, session.tenant_id)
    assert tenant is not None
    return TenantRef(id=tenant.id, slug=tenant.slug, name=tenant.name)


def create_shipment(
    session: TenantSession,
    actor: Principal | None,
    order_id: Any,
    *,
    warehouse_id: Any,
    lines: Sequence[Mapping[str, Any]],
    carrier: str | None = None,
    tracking_number: str = "",
    parcels: Any = 1,
    weight_grams: Any = 0,
) -> Shipment:
    """Ship reserved units of an order from one warehouse: ``lines=[{line_id, quantity, serials}]``.

    ``carrier`` overrides the order's delivery method (``<plugin>[:<service>]``,
    ``manual`` or ``pickup``). Every problem is refused before anything is
    written; a carrier's refusal rolls the whole shipment back.
    """
    require(actor, Permission.SHIPMENTS_MANAGE)
    order = _locked_order(session, order_id)
    _shippable(order)
    warehouse = load(session, Warehouse, warehouse_id)
    if warehouse is None:
        raise ValidationFailed.field("warehouse_id", "No such warehouse.")
    parcel_count = _whole("parcels", parcels, maximum=MAX_PARCELS)
    weight = _whole("weight_grams", weight_grams, minimum=0, maximum=MAX_WEIGHT_GRAMS)
    tracking = text("tracking_number", tracking_number, 100, required=False)
    carrier_name, service = _carrier_for(order, carrier)
    if not carrier_name:
        raise ValidationFailed.field("carrier", "Name the carrier.")
    items = _ship_lines(session, order, warehouse.id, lines)
    sequence = session.scalar(select(func.count()).where(Shipment.order_id == order.id)) or 0
    number = f"{order.number}-{sequence + 1}"
    declared = sum(
        (item.line.total * item.quantity / item.line.quantity for item in items), Decimal("0")
    ).quantize(Decimal("0.01"))
    request = ShipmentRequest(
        tenant=_tenant_ref(session),
        shipment_number=number,
        order_number=order.number,
        service=service,
        destination=_address(order.ship_to),
        parcels=tuple(Parcel(weight_grams=weight // parcel_count) for _ in range(parcel_count)),
        declared_value=declared,
        items=tuple(ShipmentItem(i.line.sku_code, i.line.name, i.quantity) for i in items),
        origin=Address(
            recipient=warehouse.name,
            phone="",
            province=warehouse.region,
            city="",
            street=warehouse.address,
        ),
        tracking_number=tracking,
    )
    booked = _book(session, carrier_name, request)
    now = utcnow()
    shipment = Shipment(
        number=number,
        order_id=order.id,
        warehouse_id=warehouse.id,
        status=ShipmentStatus.SHIPPED,
        carrier=carrier_name,
        service=service,
        tracking_number=(booked.tracking_number if booked else tracking)[:100],
        freight_cost=(booked.freight_cost if booked and booked.freight_cost else Decimal("0")),
        parcels=parcel_count,
        weight_grams=weight,
        created_by_id=actor.user_id if actor else None,
        shipped_at=now,
    )
    session.add(shipment)
    session.flush()
    for item in sorted(items, key=lambda i: i.line.sku_id):
        shipped = _commit_units(session, order, item, warehouse.id)
        shipment_line = ShipmentLine(
            shipment_id=shipment.id,
            order_line_id=item.line.id,
            allocation_id=shipped[0].id if len(shipped) == 1 else None,
            sku_id=item.line.sku_id,
            quantity=item.quantity,
        )
        shipment.lines.append(shipment_line)
        session.flush()
        _record_serials(session, order, shipment_line, item.serials, now)
        item.line.shipped_quantity += item.quantity
        session.execute(
            update(Sku)
            .where(Sku.id == item.line.sku_id)
            .values(sales_qty=Sku.sales_qty + item.quantity)
            .execution_options(synchronize_session=False)
        )
    if booked and booked.label:
        content_type = booked.label_content_type or "application/pdf"
        extension = LABEL_EXTENSIONS.get(content_type, "bin")
        shipment.label_path = storage(session).save(
            session.tenant_id or 0, f"shipment-{shipment.id}-label.{extension}", booked.label
        )
        shipment.label_content_type = content_type[:50]
    units = sum(item.quantity for item in items)
    log_activity(
        session,
        actor,
        order,
        "shipment",
        f"{number}: {units} × {warehouse.code}"
        + (f" · {carrier_name} {shipment.tracking_number}" if shipment.tracking_number else ""),
        details={"shipment_id": shipment.id, "units": units},
    )
    everything = all(line.shipped_quantity == line.quantity for line in order.lines)
    target = OrderStatus.SHIPPED if everything else OrderStatus.PARTIALLY_SHIPPED
    if order.status is not target:
        transition(session, actor, order, target, number)
    record(
        session,
        actor,
        "shipment.create",
        "shipment",
        shipment.id,
        {"number": number, "units": units},
    )
    emit(
        session,
        "shipment.created",
        "shipment",
        shipment.id,
        {
            "number": number,
            "order_id": order.id,
            "order_number": order.number,
            "dealer_id": order.dealer_id,
            "carrier": carrier_name,
            "tracking_number": shipment.tracking_number,
            "units": units,
        },
    )
    return shipment


def _record_serials(
    session: TenantSession,
    order: Order,
    shipment_line: ShipmentLine,
    serials: list[str],
    now: dt.datetime,
) -> None:
    """One :class:`ShippedSerial` per unit; a unit returned earlier ships again under its row."""
    if not serials:
        return
    returned = {
        row.serial: row
        for row in session.scalars(
            select(ShippedSerial).where(
                ShippedSerial.serial.in_(serials), ShippedSerial.returned_at.is_not(None)
            )
        )
    }
    for serial in serials:
        row = returned.get(serial) or ShippedSerial(serial=serial)
        row.shipment_line_id = shipment_line.id
        row.sku_id = shipment_line.sku_id
        row.order_id = order.id
        row.dealer_id = order.dealer_id
        row.shipped_at = now
        row.returned_at = None
        session.add(row)


# --- tracking and delivery -----------------------------------------------------------------


def _status(field: str, value: Any) -> str:
    if value not in TRACKING_STATUSES:
        raise ValidationFailed.field(field, f"Use one of: {', '.join(TRACKING_STATUSES)}.")
    return str(value)


def _when(field: str, value: Any) -> dt.datetime:
    if value is None:
        return utcnow()
    if not isinstance(value, dt.datetime):
        raise ValidationFailed.field(field, "Must be a date and time.")
    value = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if value > utcnow() + dt.timedelta(minutes=5):
        raise ValidationFailed.field(field, "Must not be in the future.")
    return value


def _open_shipment(shipment: Shipment) -> None:
    if shipment.status in (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED):
        raise Conflict(
            f"Shipment {shipment.number} is {shipment.status.value}.",
            fields={"status": [f"the shipment is {shipment.status.value}"]},
        )


def _apply_event(
    session: TenantSession,
    actor: Principal | None,
    shipment: Shipment,
    event: TrackingEvent,
    by: str,
) -> None:
    """What an event does to its shipment: in transit, or delivered (which may close the order)."""
    order = visible_order(session, None, shipment.order_id)
    log_activity(
        session,
        actor,
        order,
        "tracking",
        f"{shipment.number}: {event.status}"
        + (f" — {event.location}" if event.location else "")
        + (f" — {event.description}" if event.description else ""),
        details={"shipment_id": shipment.id, "event_id": event.id, "source": event.source},
    )
    if event.status == "delivered" and shipment.status is not ShipmentStatus.DELIVERED:
        _deliver(session, actor, shipment, order, by, event.occurred_at)
    elif event.status in ("picked_up", "in_transit", "out_for_delivery") and shipment.status in (
        ShipmentStatus.PENDING,
        ShipmentStatus.SHIPPED,
    ):
        shipment.status = ShipmentStatus.IN_TRANSIT


def add_tracking_event(
    session: TenantSession,
    actor: Principal | None,
    shipment_id: Any,
    *,
    status: Any,
    occurred_at: Any = None,
    location: Any = "",
    description: Any = "",
) -> TrackingEvent:
    """A step of the journey typed by staff (``shipments:manage``)."""
    require(actor, Permission.SHIPMENTS_MANAGE)
    shipment = get_shipment(session, actor, shipment_id)
    _open_shipment(shipment)
    event = TrackingEvent(
        shipment_id=shipment.id,
        occurred_at=_when("occurred_at", occurred_at),
        status=_status("status", status),
        location=text("location", location, 200, required=False),
        description=text("description", description, 500, required=False),
        source="staff",
    )
    shipment.tracking_events.append(event)
    session.flush()
    _apply_event(session, actor, shipment, event, "staff")
    return event


def add_tracking_events(
    session: TenantSession, shipment_id: Any, events: Sequence[Mapping[str, Any]], source: str
) -> list[TrackingEvent]:
    """Events a carrier reported (``source``: its plugin name); the new ones, in time order.

    An event already stored under the same ``external_id`` is skipped, so a
    carrier may push or be polled for the same events again. Called by the
    system (carrier jobs, webhooks), which has authorised the carrier.
    """
    shipment = load(session, Shipment, shipment_id)
    if shipment is None:
        raise NotFound("No such shipment.")
    known = {event.external_id for event in shipment.tracking_events if event.external_id}
    added = []
    parsed = []
    for index, entry in enumerate(events):
        field = f"events.{index}"
        external_id = text(f"{field}.external_id", entry.get("external_id"), 100, required=True)
        if external_id in known:
            continue
        known.add(external_id)
        parsed.append(
            TrackingEvent(
                shipment_id=shipment.id,
                occurred_at=_when(f"{field}.occurred_at", entry.get("occurred_at")),
                status=_status(f"{field}.status", entry.get("status")),
                location=text(f"{field}.location", entry.get("location"), 200, required=False),
                description=text(
                    f"{field}.description", entry.get("description"), 500, required=False
                ),
                source=text("source", source, 100, required=True),
                external_id=external_id,
            )
        )
    for event in sorted(parsed, key=lambda e: e.occurred_at):
        shipment.tracking_events.append(event)
        session.flush()
        if shipment.status is not ShipmentStatus.CANCELLED:
            _apply_event(session, None, shipment, event, "carrier")
        added.append(event)
    return added


def list_tracking_events(
    session: TenantSession, actor: Principal | None, shipment_id: Any
) -> list[TrackingEvent]:
    return list(get_shipment(session, actor, shipment_id).tracking_events)


def _deliver(
    session: TenantSession,
    actor: Principal | None,
    shipment: Shipment,
    order: Order,
    by: str,
    when: dt.datetime,
) -> None:
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = when
    shipment.delivery_confirmed_by = by
    session.flush()
    emit(
        session,
        "shipment.delivered",
        "shipment",
        shipment.id,
        {"number": shipment.number, "order_id": order.id, "dealer_id": order.dealer_id, "by": by},
    )
    open_shipments = session.scalar(
        select(func.count()).where(
            Shipment.order_id == order.id,
            Shipment.status.not_in([ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED]),
        )
    )
    if order.status is OrderStatus.SHIPPED and not open_shipments:
        transition(session, actor, order, OrderStatus.DELIVERED, shipment.number)


def confirm_delivery(
    session: TenantSession, actor: Principal | None, shipment_id: Any, note: Any = ""
) -> Shipment:
    """The goods arrived: confirmed by the dealer's user, staff, or (``actor=None``) the carrier.

    Confirming the order's last open shipment of a fully shipped order makes
    the order delivered.
    """
    if actor is not None and actor.is_staff:
        require(actor, Permission.SHIPMENTS_MANAGE)
        by = "staff"
    elif actor is not None:
        require(actor, Permission.ORDERS_PLACE)
        by = "dealer"
    else:
        by = "carrier"
    shipment = get_shipment(session, actor, shipment_id)
    _open_shipment(shipment)
    order = visible_order(session, None, shipment.order_id)
    remark = text("note", note, 500, required=False)
    log_activity(
        session,
        actor,
        order,
        "tracking",
        f"{shipment.number}: delivery confirmed" + (f" — {remark}" if remark else ""),
        details={"shipment_id": shipment.id, "by": by},
    )
    _deliver(session, actor, shipment, order, by, utcnow())
    record(session, actor, "shipment.deliver", "shipment", shipment.id, {"by": by})
    return shipment
