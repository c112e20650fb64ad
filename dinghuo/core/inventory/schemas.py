"""Request and response shapes of the stock API.

Input schemas bound lengths and reject unknown fields; the service applies the
rules (warehouse and SKU of the tenant, quantity bounds, reasons, stock that
fits). Quantities are whole units.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api import MAX_ID
from dinghuo.api.fields import required_text_field, text_field
from dinghuo.api.pagination import PageArgsSchema
from dinghuo.core.inventory.models import AlertStatus, MovementKind, ReservationStatus
from dinghuo.core.inventory.service import MAX_QUANTITY


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _units(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


def _id(**kwargs) -> fields.Integer:
    """An id: a positive INTEGER, so a larger number is a 422, never a database error."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _id_arg() -> fields.Integer:
    return fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


# --- warehouses ----------------------------------------------------------------------------


class WarehouseSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    region = fields.String(dump_only=True)
    address = fields.String(dump_only=True)
    is_active = fields.Boolean(dump_only=True)


class WarehouseUpdateSchema(_Strict):
    code = text_field(40)
    name = fields.String(validate=validate.Length(min=1, max=200))
    region = text_field(100)
    address = text_field(300)
    is_active = fields.Boolean()


class WarehouseCreateSchema(_Strict):
    code = required_text_field(40)
    name = required_text_field(200)
    region = text_field(100, load_default="")
    address = text_field(300, load_default="")


class WarehouseListArgsSchema(PageArgsSchema):
    active = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))


# --- levels and the ledger -----------------------------------------------------------------


class StockLevelSchema(Schema):
    warehouse_id = fields.Integer(dump_only=True)
    warehouse_code = fields.String(dump_only=True)
    warehouse_active = fields.Boolean(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    on_hand = fields.Integer(dump_only=True)
    reserved = fields.Integer(dump_only=True)
    available = fields.Integer(dump_only=True)
    sku_available = fields.Integer(
        dump_only=True, metadata={"description": "Available over all active warehouses."}
    )
    reorder_point = fields.Integer(dump_only=True)


class StockLevelArgsSchema(PageArgsSchema):
    sku_id = _id_arg()
    sku_code = fields.String(load_default=None, validate=validate.Length(max=60))
    warehouse_id = _id_arg()
    below_reorder_point = fields.Boolean(load_default=False)


class StockMovementSchema(Schema):
    id = fields.Integer(dump_only=True)
    warehouse_id = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    kind = fields.Enum(MovementKind, by_value=True, dump_only=True)
    on_hand_delta = fields.Integer(dump_only=True)
    reserved_delta = fields.Integer(dump_only=True)
    on_hand_after = fields.Integer(dump_only=True)
    reserved_after = fields.Integer(dump_only=True)
    reason = fields.String(dump_only=True)
    reference_type = fields.String(allow_none=True, dump_only=True)
    reference_id = fields.String(allow_none=True, dump_only=True)
    actor_type = fields.String(dump_only=True)
    actor_id = fields.Integer(allow_none=True, dump_only=True)
    actor_label = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class StockMovementArgsSchema(PageArgsSchema):
    sku_id = _id_arg()
    warehouse_id = _id_arg()
    kind = fields.Enum(MovementKind, by_value=True, load_default=None)
    since = fields.AwareDateTime(load_default=None, default_timezone=None)
    until = fields.AwareDateTime(load_default=None, default_timezone=None)
    reference_type = fields.String(load_default=None, validate=validate.Length(max=40))
    reference_id = fields.String(load_default=None, validate=validate.Length(max=64))


class _MovementInput(_Strict):
    warehouse_id = _id(required=True)
    sku_id = _id(required=True)
    reference_type = text_field(40, load_default=None, allow_none=True)
    reference_id = text_field(64, load_default=None, allow_none=True)


class StockReceiptSchema(_MovementInput):
    quantity = _units(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    reason = text_field(500, load_default="")


class StockAdjustmentSchema(_MovementInput):
    quantity = _units(
        required=True,
        validate=validate.Range(min=-MAX_QUANTITY, max=MAX_QUANTITY),
        metadata={"description": "Signed change of on hand; not zero."},
    )
    reason = required_text_field(500)
    kind = fields.String(
        load_default="adjustment",
        validate=validate.OneOf(["adjustment", "return"]),
        metadata={"description": "adjustment (signed), or return (positive: goods sent back)."},
    )


class StockCountLineSchema(_Strict):
    warehouse_id = _id(required=True)
    sku_id = _id(required=True)
    on_hand = _units(required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))


class StockCountSchema(_Strict):
    counts = fields.List(
        fields.Nested(StockCountLineSchema),
        required=True,
        validate=validate.Length(min=1, max=5000),
    )
    reason = required_text_field(500)
    reference_type = text_field(40, load_default=None, allow_none=True)
    reference_id = text_field(64, load_default=None, allow_none=True)


class StockCountResultSchema(Schema):
    movements = fields.Integer(dump_only=True)


# --- reservations --------------------------------------------------------------------------


class ReservationSchema(Schema):
    id = fields.Integer(dump_only=True)
    warehouse_id = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    status = fields.Enum(ReservationStatus, by_value=True, dump_only=True)
    reference_type = fields.String(dump_only=True)
    reference_id = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    closed_at = fields.DateTime(allow_none=True, dump_only=True)


class ReservationCreateSchema(_Strict):
    sku_id = _id(required=True)
    quantity = _units(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    reference_type = required_text_field(40)
    reference_id = required_text_field(64)
    warehouse_id = _id(load_default=None, allow_none=True)


class ReservationCloseSchema(_Strict):
    reason = text_field(500, load_default="")


class ReservationArgsSchema(PageArgsSchema):
    sku_id = _id_arg()
    warehouse_id = _id_arg()
    status = fields.Enum(ReservationStatus, by_value=True, load_default=None)
    reference_type = fields.String(load_default=None, validate=validate.Length(max=40))
    reference_id = fields.String(load_default=None, validate=validate.Length(max=64))


# --- reorder policies, alerts, suggestions -------------------------------------------------


class ReorderPolicySchema(Schema):
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    lead_time_days = fields.Integer(allow_none=True, dump_only=True)
    effective_lead_time_days = fields.Integer(dump_only=True)
    avg_daily_demand = fields.Decimal(as_string=True, places=2, dump_only=True)
    demand_std_dev = fields.Decimal(as_string=True, places=2, dump_only=True)
    safety_stock = fields.Integer(dump_only=True)
    computed_reorder_point = fields.Integer(dump_only=True)
    manual_reorder_point = fields.Integer(allow_none=True, dump_only=True)
    reorder_point = fields.Integer(dump_only=True)
    computed_at = fields.DateTime(allow_none=True, dump_only=True)
    available = fields.Integer(dump_only=True)


class ReorderPolicyUpdateSchema(_Strict):
    manual_reorder_point = _units(
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_QUANTITY),
        metadata={"description": "Wins over the computed point while set; null clears it."},
    )
    lead_time_days = _units(
        allow_none=True,
        validate=validate.Range(min=0, max=365),
        metadata={"description": "This SKU's own lead time; null uses the tenant default."},
    )


class StockAlertSchema(Schema):
    id = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    status = fields.Enum(AlertStatus, by_value=True, dump_only=True)
    available = fields.Integer(dump_only=True)
    reorder_point = fields.Integer(dump_only=True)
    suggested_qty = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    resolved_at = fields.DateTime(allow_none=True, dump_only=True)


class StockAlertArgsSchema(PageArgsSchema):
    status = fields.Enum(AlertStatus, by_value=True, load_default=None)
    sku_id = _id_arg()


class ReplenishmentSuggestionSchema(Schema):
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    available = fields.Integer(dump_only=True)
    reorder_point = fields.Integer(dump_only=True)
    avg_daily_demand = fields.Decimal(as_string=True, places=2, dump_only=True)
    lead_time_days = fields.Integer(dump_only=True)
    order_multiple = fields.Integer(dump_only=True)
    suggested_qty = fields.Integer(dump_only=True)
