"""Request and response shapes of the channel-stock API.

A report line names its SKU by id or by code (the brand's code or the
dealer's own); the schema only checks shapes, and the service the rules, so
the API, the portal form and uploads refuse the same things with the same
``lines[i].field`` names. Days of cover and average daily sales travel as
decimal strings; ``days_of_cover`` is null when nothing sold (infinite cover).
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api.pagination import PageArgsSchema, page_schema
from dinghuo.core.inventory.channel import DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS, MAX_QUANTITY

MAX_ID = 2**31 - 1
MAX_LINES = 5000
"""More SKUs than this in one go belong in a spreadsheet upload."""


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _decimal(**kwargs) -> fields.Decimal:
    return fields.Decimal(
        as_string=True, metadata={"type": "string", "format": "decimal"}, **kwargs
    )


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ReportLineSchema(StrictSchema):
    sku_id = _id(
        strict=True,
        load_default=None,
        metadata={"description": "The SKU's id; or give sku_code (one of the two, not both)."},
    )
    sku_code = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "The brand's SKU code or the dealer's own code for it."},
    )
    on_hand = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=MAX_QUANTITY)
    )
    sold_qty = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=0, max=MAX_QUANTITY),
        metadata={"description": "Units sold over the last period_days days."},
    )
    period_days = fields.Integer(
        strict=True,
        load_default=DEFAULT_PERIOD_DAYS,
        validate=validate.Range(min=1, max=MAX_PERIOD_DAYS),
    )


class ReportSchema(StrictSchema):
    lines = fields.List(
        fields.Nested(ReportLineSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_LINES),
    )


class ReportResultSchema(Schema):
    reported = fields.Integer(required=True, metadata={"description": "Lines recorded."})


class ChannelStockRowSchema(Schema):
    dealer_id = fields.Integer()
    dealer_code = fields.String()
    dealer_name = fields.String()
    sku_id = fields.Integer()
    sku_code = fields.String()
    sku_name = fields.String()
    own_code = fields.String(metadata={"description": "The dealer's own code for the SKU."})
    on_hand = fields.Integer()
    sold_qty = fields.Integer()
    period_days = fields.Integer()
    avg_daily_sales = _decimal()
    days_of_cover = _decimal(allow_none=True)
    overstocked = fields.Boolean()
    reported_at = fields.DateTime()


class SkuChannelTotalSchema(Schema):
    sku_id = fields.Integer()
    sku_code = fields.String()
    sku_name = fields.String()
    dealers = fields.Integer(metadata={"description": "Dealers that reported the SKU."})
    on_hand = fields.Integer()
    avg_daily_sales = _decimal()
    days_of_cover = _decimal(allow_none=True)
    overstocked_dealers = fields.Integer()


class OverstockWarningSchema(Schema):
    dealer_id = fields.Integer()
    dealer_code = fields.String()
    dealer_name = fields.String()
    sku_id = fields.Integer()
    sku_code = fields.String()
    on_hand = fields.Integer()
    days_of_cover = _decimal(allow_none=True)
    threshold = fields.Integer()
    message = fields.String()


class ChannelStockArgsSchema(PageArgsSchema):
    dealer_id = _id(load_default=None)
    sku_id = _id(load_default=None)
    overstocked = fields.Boolean(load_default=None)


class BySkuArgsSchema(PageArgsSchema):
    sku_id = _id(load_default=None)
    overstocked = fields.Boolean(load_default=None)


class WarningArgsSchema(PageArgsSchema):
    dealer_id = _id(load_default=None)
    sku_id = _id(load_default=None)


ChannelStockPageSchema = page_schema(ChannelStockRowSchema)
"""Built once: staff's and dealers' lists share it, and apispec wants one schema per name."""
