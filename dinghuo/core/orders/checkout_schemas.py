"""Request and response shapes of submission and checkout (``POST /orders``, delivery options)."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from dinghuo.api import MAX_ID
from dinghuo.api.fields import text_field
from dinghuo.core.crm.models import PaymentTerms
from dinghuo.core.orders.line_rules import MAX_LINE_QUANTITY, MAX_ORDER_LINES
from dinghuo.core.orders.submission import KEY_FIELD, MAX_NOTES


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class IdempotencyHeaderSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    key = fields.String(
        data_key=KEY_FIELD,
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "A key you choose per order (e.g. a UUID). Sending the same request "
            "with the same key again answers the same order (200) instead of making a second."
        },
    )


class SubmitLineSchema(_Strict):
    sku_id = _id(required=True)
    quantity = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=1, max=MAX_LINE_QUANTITY)
    )


class SubmitOrderSchema(_Strict):
    lines = fields.List(
        fields.Nested(SubmitLineSchema),
        load_default=None,
        validate=validate.Length(min=1, max=MAX_ORDER_LINES),
        metadata={"description": "The lines to order; leave out to order your cart."},
    )
    dealer_id = _id(
        load_default=None,
        metadata={"description": "Staff ordering on a dealer's behalf; dealer users leave it out."},
    )
    ship_to_address_id = _id(required=True)
    delivery_method = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "A code from GET /checkout/delivery-options, e.g. pickup."},
    )
    requested_delivery_date = fields.Date(load_default=None, allow_none=True)
    po_number = text_field(64, load_default="")
    notes = text_field(MAX_NOTES, load_default="")
    payment_terms = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([terms.value for terms in PaymentTerms]),
        metadata={"description": "Your dealer's terms (default) or prepaid."},
    )
    expected_total = fields.Decimal(
        load_default=None,
        allow_none=True,
        as_string=True,
        metadata={
            "description": "The total you were shown; if it changed the answer is 409 with the "
            "new total, and nothing is ordered."
        },
    )


class DeliveryOptionsArgsSchema(Schema):
    address_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    dealer_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


class DeliveryOptionSchema(Schema):
    code = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    freight = fields.Decimal(as_string=True, places=2, dump_only=True)
    estimated_days = fields.Integer(dump_only=True, allow_none=True)


class DealerDecisionSchema(_Strict):
    approve = fields.Boolean(required=True)
    reason = text_field(1000, load_default="")


class ApprovalLimitSchema(_Strict):
    buyer_approval_limit = fields.Decimal(
        required=True,
        allow_none=True,
        as_string=True,
        places=2,
        metadata={
            "description": "Buyers' orders above this total wait for a dealer admin; null: never."
        },
    )
