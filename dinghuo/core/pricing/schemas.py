"""Request and response shapes of the price API.

Input schemas bound every length and reject unknown fields; the service then
applies the rules (code format, dates, tiers, SKUs, money). Money travels as a
string with at most two decimals ("5999.00"), in the tenant's currency: JSON
numbers are floats.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api.pagination import PageArgsSchema
from dinghuo.core.pricing.models import AssignmentScope, PriceListKind
from dinghuo.core.pricing.service import MAX_ASSIGNMENTS, MAX_BULK_ITEMS, MAX_PREVIEW_SKUS
from dinghuo.web import require_tenant

MAX_ID = 2**31 - 1
"""Ids are 32-bit in the database; a larger one is refused before any query."""

MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
"""Documents the accepted amounts; the service checks them and names the field."""


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _money_in(**kwargs) -> fields.String:
    return fields.String(
        validate=validate.Length(min=1, max=20),
        metadata={"pattern": MONEY_PATTERN, "example": "5999.00"},
        **kwargs,
    )


def _money_out() -> fields.Decimal:
    return fields.Decimal(
        as_string=True,
        places=2,
        dump_only=True,
        metadata={"type": "string", "format": "decimal", "example": "5999.00"},
    )


def _currency() -> fields.Function:
    """The tenant's ISO 4217 currency, which every price is in."""
    return fields.Function(
        lambda _obj: require_tenant().currency,
        dump_only=True,
        metadata={"type": "string", "example": "CNY"},
    )


# --- price lists ----------------------------------------------------------------------------


class AssignmentSchema(StrictSchema):
    scope = fields.Enum(AssignmentScope, by_value=True, required=True)
    value = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "A tier code (A, B, VIP), or a dealer group's or dealer's id."},
    )


class AssignmentsSchema(StrictSchema):
    assignments = fields.List(
        fields.Nested(AssignmentSchema),
        required=True,
        validate=validate.Length(max=MAX_ASSIGNMENTS),
    )


class PriceListSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.Enum(PriceListKind, by_value=True, dump_only=True)
    priority = fields.Integer(dump_only=True)
    valid_from = fields.Date(dump_only=True, allow_none=True)
    valid_to = fields.Date(dump_only=True, allow_none=True)
    is_active = fields.Boolean(dump_only=True)
    currency = _currency()
    created_at = fields.DateTime(dump_only=True)
    assignments = fields.List(fields.Nested(AssignmentSchema), dump_only=True)


class PriceListUpdateSchema(StrictSchema):
    code = fields.String(validate=validate.Length(min=1, max=40))
    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.Enum(PriceListKind, by_value=True)
    priority = fields.Integer(validate=validate.Range(min=0, max=1_000_000))
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    is_active = fields.Boolean()


class PriceListCreateSchema(PriceListUpdateSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PriceListArgsSchema(PageArgsSchema):
    kind = fields.Enum(PriceListKind, by_value=True, load_default=None)
    is_active = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))


# --- items ----------------------------------------------------------------------------------


class PriceListItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    price_list_id = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.Function(lambda item: item.sku.code, dump_only=True)
    min_qty = fields.Integer(dump_only=True)
    price = _money_out()


class ItemUpdateSchema(StrictSchema):
    min_qty = fields.Integer(validate=validate.Range(min=1, max=1_000_000))
    price = _money_in()


class ItemCreateSchema(ItemUpdateSchema):
    sku_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    price = _money_in(required=True)


class BulkItemSchema(StrictSchema):
    sku_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    sku_code = fields.String(validate=validate.Length(min=1, max=60))
    min_qty = fields.Integer(validate=validate.Range(min=1, max=1_000_000))
    price = _money_in(required=True)


class BulkItemsSchema(StrictSchema):
    items = fields.List(
        fields.Nested(BulkItemSchema),
        required=True,
        validate=validate.Length(max=MAX_BULK_ITEMS),
    )


class UpsertResultSchema(Schema):
    created = fields.Integer(dump_only=True)
    updated = fields.Integer(dump_only=True)
    unchanged = fields.Integer(dump_only=True)


class ItemListArgsSchema(PageArgsSchema):
    sku_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))


# --- resolved prices ------------------------------------------------------------------------


class PriceBreakSchema(Schema):
    min_qty = fields.Integer(dump_only=True)
    unit_price = _money_out()


class ResolvedPriceSchema(Schema):
    sku_id = fields.Integer(dump_only=True)
    quantity = fields.Integer(dump_only=True)
    unit_price = _money_out()
    base_price = _money_out()
    msrp = _money_out()
    currency = _currency()
    source = fields.String(
        dump_only=True,
        metadata={"enum": ["contract", "dealer", "group", "tier", "base"]},
    )
    price_list_id = fields.Integer(dump_only=True, allow_none=True)
    price_list_code = fields.String(dump_only=True, allow_none=True)
    breaks = fields.List(fields.Nested(PriceBreakSchema), dump_only=True)


class DealerPriceSchema(ResolvedPriceSchema):
    """A dealer's own price: its kind (``source``) but never the list (dealers see no lists)."""

    class Meta:
        exclude = ("price_list_id", "price_list_code")


class MyPricesArgsSchema(Schema):
    sku_id = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=MAX_ID)),
        required=True,
        validate=validate.Length(min=1, max=MAX_PREVIEW_SKUS),
    )
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))


class PreviewArgsSchema(MyPricesArgsSchema):
    dealer_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
    on = fields.Date(load_default=None)
