"""Request and response shapes of the fulfilment API (shipments, tracking, serials, returns).

Input schemas bound lengths and reject unknown fields; the services apply the
rules (lines of this order, reserved units, serial format and uniqueness,
returnable quantities).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api import MAX_ID
from dinghuo.api.fields import required_text_field, text_field
from dinghuo.api.pagination import PageArgsSchema
from dinghuo.core.fulfilment.models import ReturnStatus, ShipmentStatus
from dinghuo.core.fulfilment.service import (
    MAX_PARCELS,
    MAX_SHIPMENT_LINES,
    MAX_WEIGHT_GRAMS,
    TRACKING_STATUSES,
)
from dinghuo.core.inventory.service import MAX_QUANTITY


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _units(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY), **kwargs)


def _serials() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=MAX_QUANTITY),
    )


# --- allocations ---------------------------------------------------------------------------


class AllocationMoveSchema(_Strict):
    warehouse_id = _id(required=True)
    quantity = _units(required=True)


class AllocationSchema(Schema):
    id = fields.Integer(dump_only=True)
    warehouse_id = fields.Integer(dump_only=True, allow_none=True)
    quantity = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, attribute="status.value")


class AllocatedLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    line_no = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    shipped_quantity = fields.Integer(dump_only=True)
    allocations = fields.List(fields.Nested(AllocationSchema), dump_only=True)


# --- shipments -----------------------------------------------------------------------------


class ShipmentLineInputSchema(_Strict):
    line_id = _id(required=True)
    quantity = _units(required=True)
    serials = _serials()


class ShipmentCreateSchema(_Strict):
    warehouse_id = _id(required=True)
    lines = fields.List(
        fields.Nested(ShipmentLineInputSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_SHIPMENT_LINES),
    )
    carrier = text_field(201, load_default=None, allow_none=True)
    tracking_number = text_field(100, load_default="")
    parcels = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=MAX_PARCELS)
    )
    weight_grams = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_WEIGHT_GRAMS)
    )


class ShipmentLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    order_line_id = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    serials = fields.Function(lambda line: [s.serial for s in line.serials], dump_only=True)


class TrackingEventSchema(Schema):
    id = fields.Integer(dump_only=True)
    shipment_id = fields.Integer(dump_only=True)
    occurred_at = fields.DateTime(dump_only=True)
    status = fields.String(dump_only=True)
    location = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    source = fields.String(dump_only=True)


class TrackingEventCreateSchema(_Strict):
    status = fields.String(required=True, validate=validate.OneOf(TRACKING_STATUSES))
    occurred_at = fields.DateTime(load_default=None, allow_none=True)
    location = text_field(200, load_default="")
    description = text_field(500, load_default="")


class ShipmentSchema(Schema):
    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    order_id = fields.Integer(dump_only=True)
    warehouse_id = fields.Integer(dump_only=True)
    status = fields.Enum(ShipmentStatus, by_value=True, dump_only=True)
    carrier = fields.String(dump_only=True)
    service = fields.String(dump_only=True)
    tracking_number = fields.String(dump_only=True)
    has_label = fields.Function(lambda s: bool(s.label_path), dump_only=True)
    freight_cost = fields.Decimal(as_string=True, dump_only=True)
    parcels = fields.Integer(dump_only=True)
    weight_grams = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    shipped_at = fields.DateTime(dump_only=True)
    delivered_at = fields.DateTime(dump_only=True)
    delivery_confirmed_by = fields.String(dump_only=True)
    lines = fields.List(fields.Nested(ShipmentLineSchema), dump_only=True)
    tracking_events = fields.List(fields.Nested(TrackingEventSchema), dump_only=True)


class ShipmentListSchema(Schema):
    items = fields.List(fields.Nested(ShipmentSchema), required=True)


class DeliverySchema(_Strict):
    note = text_field(500, load_default="")


class PackingLineSchema(Schema):
    line_no = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    serials = fields.List(fields.String(), dump_only=True)


class PackingListSchema(Schema):
    shipment_number = fields.String(dump_only=True, attribute="shipment.number")
    order_number = fields.String(dump_only=True, attribute="order.number")
    po_number = fields.String(dump_only=True, attribute="order.po_number")
    dealer_code = fields.String(dump_only=True, attribute="dealer.code")
    dealer_name = fields.String(dump_only=True, attribute="dealer.name_zh")
    warehouse_code = fields.String(dump_only=True, attribute="warehouse.code")
    ship_to = fields.Dict(dump_only=True, attribute="order.ship_to")
    carrier = fields.String(dump_only=True, attribute="shipment.carrier")
    tracking_number = fields.String(dump_only=True, attribute="shipment.tracking_number")
    parcels = fields.Integer(dump_only=True, attribute="shipment.parcels")
    total_units = fields.Integer(dump_only=True)
    lines = fields.List(fields.Nested(PackingLineSchema), dump_only=True)


# --- serials -------------------------------------------------------------------------------


class SerialTraceSchema(Schema):
    serial = fields.String(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    dealer_id = fields.Integer(dump_only=True)
    dealer_code = fields.String(dump_only=True)
    dealer_name = fields.String(dump_only=True)
    order_id = fields.Integer(dump_only=True)
    order_number = fields.String(dump_only=True)
    shipment_id = fields.Integer(dump_only=True)
    shipment_number = fields.String(dump_only=True)
    carrier = fields.String(dump_only=True)
    tracking_number = fields.String(dump_only=True)
    shipped_at = fields.DateTime(dump_only=True)
    delivered_at = fields.DateTime(dump_only=True, allow_none=True)
    returned_at = fields.DateTime(dump_only=True, allow_none=True)


class SerialSearchArgsSchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=64))


class SerialListSchema(Schema):
    items = fields.List(fields.Nested(SerialTraceSchema), required=True)


# --- returns -------------------------------------------------------------------------------


class ReturnLineInputSchema(_Strict):
    line_id = _id(required=True)
    quantity = _units(required=True)
    reason = text_field(500, load_default="")
    serials = _serials()


class ReturnCreateSchema(_Strict):
    order_id = _id(required=True)
    reason = required_text_field(1000)
    lines = fields.List(
        fields.Nested(ReturnLineInputSchema),
        required=True,
        validate=validate.Length(min=1, max=500),
    )


class ReturnLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    order_line_id = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    reason = fields.String(dump_only=True)
    serials = fields.List(fields.String(), dump_only=True)
    resalable = fields.Boolean(dump_only=True)
    warehouse_id = fields.Integer(dump_only=True, allow_none=True)
    restock_details = fields.Dict(dump_only=True)


class ReturnSchema(Schema):
    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    order_id = fields.Integer(dump_only=True)
    dealer_id = fields.Integer(dump_only=True)
    status = fields.Enum(ReturnStatus, by_value=True, dump_only=True)
    reason = fields.String(dump_only=True)
    decision_note = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)
    received_at = fields.DateTime(dump_only=True, allow_none=True)
    credit_amount = fields.Decimal(as_string=True, dump_only=True)
    lines = fields.List(fields.Nested(ReturnLineSchema), dump_only=True)


class ReturnArgsSchema(PageArgsSchema):
    status = fields.Enum(ReturnStatus, by_value=True, load_default=None)
    order_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    dealer_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class ReturnDecisionSchema(_Strict):
    note = text_field(1000, load_default="")


class ReturnRejectSchema(_Strict):
    note = required_text_field(1000)


class ReceiveLineSchema(_Strict):
    return_line_id = _id(required=True)
    resalable = fields.Boolean(load_default=True)
    warehouse_id = _id(load_default=None, allow_none=True)


class ReturnReceiveSchema(_Strict):
    lines = fields.List(
        fields.Nested(ReceiveLineSchema), load_default=list, validate=validate.Length(max=500)
    )
    note = text_field(1000, load_default="")
