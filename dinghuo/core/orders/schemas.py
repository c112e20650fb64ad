"""Request and response shapes of the orders API.

An order is answered with its frozen lines (every price component), its
review steps and where it stands; amounts are decimal strings. Input schemas
bound lengths and reject unknown fields; the services apply the rules.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api import MAX_ID
from dinghuo.api.fields import text_field
from dinghuo.api.pagination import PageArgsSchema
from dinghuo.core.orders.line_rules import MAX_LINE_QUANTITY, MAX_ORDER_LINES
from dinghuo.core.orders.models import ReviewOutcome, ReviewStep
from dinghuo.core.orders.states import OrderStatus


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _money(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(
        as_string=True,
        places=2,
        dump_only=True,
        metadata={"type": "string", "format": "decimal", "example": "5999.00"},
        **kwargs,
    )


def _id(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class AdjustmentSchema(Schema):
    source = fields.String(dump_only=True, metadata={"description": "The plugin that applied it."})
    code = fields.String(dump_only=True)
    label = fields.String(dump_only=True, metadata={"description": "What the dealer reads."})
    amount = fields.Decimal(as_string=True, dump_only=True)


class OrderLineSchema(Schema):
    id = fields.Integer(dump_only=True)
    line_no = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    list_price = _money()
    base_price = _money()
    unit_price = _money()
    price_source = fields.String(dump_only=True)
    adjustments = fields.List(fields.Nested(AdjustmentSchema), dump_only=True)
    adjustments_total = _money()
    subtotal = _money()
    tax = _money()
    total = _money()
    shipped_quantity = fields.Integer(dump_only=True)
    returned_quantity = fields.Integer(dump_only=True)


class OrderReviewSchema(Schema):
    step = fields.Enum(ReviewStep, by_value=True, dump_only=True)
    outcome = fields.Enum(ReviewOutcome, by_value=True, dump_only=True)
    rule = fields.String(dump_only=True, metadata={"description": "The auto-approval rule."})
    decided_by_id = fields.Integer(dump_only=True, allow_none=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True)


class OrderSummarySchema(Schema):
    """An order in a list: its header and totals, without lines."""

    id = fields.Integer(dump_only=True)
    number = fields.String(dump_only=True)
    dealer_id = fields.Integer(dump_only=True)
    status = fields.Enum(OrderStatus, by_value=True, dump_only=True)
    review_step = fields.Enum(ReviewStep, by_value=True, dump_only=True, allow_none=True)
    po_number = fields.String(dump_only=True)
    placed_by_staff = fields.Boolean(dump_only=True)
    currency = fields.String(dump_only=True)
    total = _money()
    created_at = fields.DateTime(dump_only=True)
    submitted_at = fields.DateTime(dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)


class OrderSchema(OrderSummarySchema):
    """An order with everything agreed at submission and where it stands now."""

    notes = fields.String(dump_only=True)
    requested_delivery_date = fields.Date(dump_only=True, allow_none=True)
    ship_to_address_id = fields.Integer(dump_only=True, allow_none=True)
    ship_to = fields.Dict(dump_only=True)
    delivery_method = fields.String(dump_only=True)
    delivery_label = fields.String(dump_only=True)
    payment_terms = fields.String(dump_only=True)
    needs_dealer_approval = fields.Boolean(dump_only=True)
    list_total = _money()
    subtotal = _money()
    adjustments_total = _money()
    adjustments = fields.List(fields.Nested(AdjustmentSchema), dump_only=True)
    tax_rate = fields.Decimal(as_string=True, dump_only=True)
    prices_include_tax = fields.Boolean(dump_only=True)
    tax_total = _money()
    freight = _money()
    approved_at = fields.DateTime(dump_only=True, allow_none=True)
    shipped_at = fields.DateTime(dump_only=True, allow_none=True)
    delivered_at = fields.DateTime(dump_only=True, allow_none=True)
    completed_at = fields.DateTime(dump_only=True, allow_none=True)
    cancelled_at = fields.DateTime(dump_only=True, allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema), dump_only=True)
    reviews = fields.List(fields.Nested(OrderReviewSchema), dump_only=True)


class OrderActivitySchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    from_status = fields.String(dump_only=True, allow_none=True)
    to_status = fields.String(dump_only=True, allow_none=True)
    message = fields.String(dump_only=True)
    details = fields.Dict(dump_only=True)
    actor_type = fields.String(dump_only=True)
    actor_label = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class OrderListArgsSchema(PageArgsSchema):
    status = fields.List(
        fields.Enum(OrderStatus, by_value=True),
        load_default=None,
        metadata={"description": "Repeat to list several statuses."},
    )
    dealer_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    date_from = fields.Date(load_default=None, metadata={"description": "Created on or after."})
    date_to = fields.Date(load_default=None, metadata={"description": "Created on or before."})
    min_total = fields.Decimal(load_default=None, metadata={"description": "Total at least."})
    max_total = fields.Decimal(load_default=None, metadata={"description": "Total at most."})
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "Order number, PO number or (staff) dealer code or name."},
    )
    review_step = fields.Enum(ReviewStep, by_value=True, load_default=None)


class ChangeLineSchema(_Strict):
    sku_id = _id(required=True)
    quantity = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY)
    )


class OrderChangeSchema(_Strict):
    lines = fields.List(
        fields.Nested(ChangeLineSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ORDER_LINES),
    )
    version = fields.Integer(
        strict=True,
        required=True,
        metadata={"description": "The version you changed; a newer one answers 409."},
    )


class ReasonSchema(_Strict):
    reason = text_field(1000, load_default="")


class ReviewDecisionSchema(ReasonSchema):
    step = fields.Enum(
        ReviewStep,
        by_value=True,
        load_default=None,
        metadata={"description": "The step you decide; refused unless it is the current one."},
    )


class StatusChangeSchema(ReasonSchema):
    status = fields.String(
        required=True,
        validate=validate.OneOf([OrderStatus.IN_PRODUCTION.value, OrderStatus.BACKORDERED.value]),
    )
