"""Request and response shapes of the dealer API.

Input schemas bound every length and reject unknown fields; the service then
applies the rules (code format, tier, sales rep, groups). Money travels as a
string with two decimals, in the tenant's currency.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api.fields import required_text_field, text_field
from dinghuo.api.pagination import PageArgsSchema
from dinghuo.core.crm.models import AddressKind, DealerStatus, PaymentTerms
from dinghuo.core.crm.service import MAX_GROUPS_PER_DEALER
from dinghuo.web import require_tenant


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _money(**kwargs) -> fields.Decimal:
    """An amount as a string with two decimals ("50000.00"): JSON numbers are floats."""
    return fields.Decimal(
        as_string=True,
        places=2,
        metadata={"type": "string", "format": "decimal", "example": "50000.00"},
        **kwargs,
    )


def _currency() -> fields.Function:
    """The tenant's ISO 4217 currency, which every amount of a dealer is in."""
    return fields.Function(
        lambda _dealer: require_tenant().currency,
        dump_only=True,
        metadata={"type": "string", "example": "CNY"},
    )


# --- dealer groups -------------------------------------------------------------------------


class DealerGroupSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)


class DealerGroupUpdateSchema(StrictSchema):
    code = text_field(40)
    name = fields.String(validate=validate.Length(min=1, max=200))


class DealerGroupCreateSchema(DealerGroupUpdateSchema):
    code = required_text_field(40)
    name = required_text_field(200)


# --- addresses and contacts ----------------------------------------------------------------


class AddressSchema(Schema):
    id = fields.Integer(dump_only=True)
    dealer_id = fields.Integer(dump_only=True)
    kind = fields.Enum(AddressKind, by_value=True, dump_only=True)
    label = fields.String(dump_only=True)
    recipient = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    province = fields.String(dump_only=True)
    city = fields.String(dump_only=True)
    district = fields.String(dump_only=True)
    street = fields.String(dump_only=True)
    postal_code = fields.String(dump_only=True)
    is_default = fields.Boolean(dump_only=True)


class AddressUpdateSchema(StrictSchema):
    kind = fields.Enum(AddressKind, by_value=True)
    label = text_field(100)
    recipient = fields.String(validate=validate.Length(min=1, max=100))
    phone = fields.String(validate=validate.Length(min=1, max=40))
    province = fields.String(validate=validate.Length(min=1, max=50))
    city = fields.String(validate=validate.Length(min=1, max=50))
    district = text_field(50)
    street = fields.String(validate=validate.Length(min=1, max=300))
    postal_code = text_field(20)
    is_default = fields.Boolean()


class AddressCreateSchema(AddressUpdateSchema):
    kind = fields.Enum(AddressKind, by_value=True, required=True)
    recipient = required_text_field(100)
    phone = required_text_field(40)
    province = required_text_field(50)
    city = required_text_field(50)
    street = required_text_field(300)


class ContactSchema(Schema):
    id = fields.Integer(dump_only=True)
    dealer_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    phone = fields.String(dump_only=True)
    email = fields.String(dump_only=True)


class ContactUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    title = text_field(100)
    phone = text_field(40)
    email = text_field(254)


class ContactCreateSchema(ContactUpdateSchema):
    name = required_text_field(100)


# --- dealers -------------------------------------------------------------------------------


class SalesRepSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    email = fields.String(dump_only=True)


class DealerSchema(Schema):
    """A dealer as staff see it in lists."""

    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    tier = fields.String(dump_only=True)
    region = fields.String(dump_only=True)
    status = fields.Enum(DealerStatus, by_value=True, dump_only=True)
    suspended_reason = fields.String(allow_none=True, dump_only=True)
    suspended_at = fields.DateTime(allow_none=True, dump_only=True)
    credit_limit = _money(dump_only=True)
    currency = _currency()
    payment_terms = fields.Enum(PaymentTerms, by_value=True, dump_only=True)
    sales_rep_id = fields.Integer(allow_none=True, dump_only=True)
    sales_rep = fields.Nested(SalesRepSchema, allow_none=True, dump_only=True)
    groups = fields.List(fields.Nested(DealerGroupSchema), dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class DealerDetailSchema(DealerSchema):
    """One dealer with its addresses and contacts."""

    addresses = fields.List(fields.Nested(AddressSchema), dump_only=True)
    contacts = fields.List(fields.Nested(ContactSchema), dump_only=True)


class OwnDealerSchema(Schema):
    """A dealer user's own account: their terms, rep, addresses and contacts.

    The brand's internal grouping and suspension notes are left out.
    """

    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    tier = fields.String(dump_only=True)
    region = fields.String(dump_only=True)
    status = fields.Enum(DealerStatus, by_value=True, dump_only=True)
    credit_limit = _money(dump_only=True)
    currency = _currency()
    payment_terms = fields.Enum(PaymentTerms, by_value=True, dump_only=True)
    sales_rep = fields.Nested(SalesRepSchema, allow_none=True, dump_only=True)
    addresses = fields.List(fields.Nested(AddressSchema), dump_only=True)
    contacts = fields.List(fields.Nested(ContactSchema), dump_only=True)


class DealerUpdateSchema(StrictSchema):
    code = text_field(40)
    name_zh = fields.String(validate=validate.Length(min=1, max=200))
    name_en = text_field(200)
    tier = text_field(10)
    region = text_field(100)
    # Bounds are the service's (0 to MAX_CREDIT_LIMIT, 422 naming the field): a Range
    # here would put numeric bounds on a string in the OpenAPI document, which is invalid.
    credit_limit = _money()
    payment_terms = fields.Enum(PaymentTerms, by_value=True)
    sales_rep_id = fields.Integer(allow_none=True, strict=True)
    group_ids = fields.List(
        fields.Integer(strict=True), validate=validate.Length(max=MAX_GROUPS_PER_DEALER)
    )


class DealerCreateSchema(DealerUpdateSchema):
    code = required_text_field(40)
    name_zh = required_text_field(200)


class SuspendSchema(StrictSchema):
    reason = required_text_field(500)


class ReactivateSchema(StrictSchema):
    reason = text_field(500, load_default="")


class DealerListArgsSchema(PageArgsSchema):
    status = fields.Enum(DealerStatus, by_value=True, load_default=None)
    tier = fields.String(load_default=None, validate=validate.Length(max=10))
    region = fields.String(load_default=None, validate=validate.Length(max=100))
    group_id = fields.Integer(load_default=None)
    sales_rep_id = fields.Integer(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))
