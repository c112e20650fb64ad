"""Request and response shapes of the cart, quick order and requisition-list API.

Schemas check shapes only; the cart service checks the rules (codes,
visibility, quantities) so the API, the portal forms and uploads refuse the
same things with the same ``items.<i>.<field>`` names. Money travels as
decimal strings.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate, validates_schema

from dinghuo.api.fields import required_text_field
from dinghuo.api.pagination import PageArgsSchema, page_schema
from dinghuo.core.orders.cart import AddedFrom, CartLineView, CartView
from dinghuo.core.orders.line_rules import MAX_LINE_QUANTITY, MAX_ORDER_LINES
from dinghuo.core.orders.lists import ListView
from dinghuo.core.orders.quick import MAX_PASTE_CHARS

MAX_ID = 2**31 - 1


def _id(*, strict: bool = True, **kwargs: Any) -> fields.Integer:
    """An id; query-string ids arrive as text, so they are not strict."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _money(description: str = "", **kwargs: Any) -> fields.Decimal:
    metadata = {"type": "string", "format": "decimal"}
    if description:
        metadata["description"] = description
    return fields.Decimal(as_string=True, metadata=metadata, **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class CartDealerArgsSchema(StrictSchema):
    dealer_id = _id(
        strict=False,
        load_default=None,
        metadata={"description": "Staff ordering on behalf: the dealer (required for staff)."},
    )


class RequisitionListArgsSchema(PageArgsSchema):
    dealer_id = _id(
        strict=False, load_default=None, metadata={"description": "Staff: the dealer's lists."}
    )


class CartItemSchema(StrictSchema):
    sku_id = _id(load_default=None, metadata={"description": "The SKU's id; or give code."})
    code = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "The brand's SKU code, a barcode, or the dealer's own code."},
    )
    quantity = fields.Integer(
        strict=True,
        load_default=None,
        metadata={
            "description": "Units (1 to 100000); omitted means the SKU's minimum order "
            "quantity. Checked by the cart, which names ``items.<i>.quantity``."
        },
    )

    @validates_schema
    def _one_sku(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("sku_id") is None) == (data.get("code") is None):
            raise validate.ValidationError("Give either sku_id or code.", "sku_id")


class CartAddItemsSchema(StrictSchema):
    items = fields.List(
        fields.Nested(CartItemSchema),
        load_default=None,
        validate=validate.Length(min=1, max=MAX_ORDER_LINES),
    )
    text = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_PASTE_CHARS),
        metadata={
            "description": "Pasted lines, each a code and a quantity separated by tabs, commas, "
            "semicolons or spaces (Excel copy works). Errors name ``text.<line number>``."
        },
    )

    @validates_schema
    def _one_source(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if (data.get("items") is None) == (data.get("text") is None):
            raise validate.ValidationError("Give either items or text.", "items")


class CartQuantitySchema(StrictSchema):
    quantity = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=0, max=MAX_LINE_QUANTITY),
        metadata={"description": "New quantity; 0 removes the line."},
    )


class CartUploadSchema(Schema):
    file = fields.Raw(
        required=True,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "CSV or XLSX: code, quantity",
        },
    )


class CartAdjustmentSchema(Schema):
    source = fields.String()
    code = fields.String()
    label = fields.String()
    amount = _money()


class CartLineProblemSchema(Schema):
    line_no = fields.Integer()
    sku_id = fields.Integer(allow_none=True)
    sku_code = fields.String()
    field = fields.String()
    code = fields.String(
        metadata={
            "description": "unknown_sku, not_orderable, bad_quantity, too_many, below_moq, "
            "not_multiple"
        }
    )
    message = fields.String()


class CartLineSchema(Schema):
    sku_id = fields.Integer()
    sku_code = fields.String()
    name = fields.String()
    variant = fields.Dict(keys=fields.String(), values=fields.String())
    quantity = fields.Integer()
    moq = fields.Integer()
    order_multiple = fields.Integer()
    available = fields.Integer(metadata={"description": "Units in stock now, all warehouses."})
    list_price = _money(allow_none=True)
    unit_price = _money("Null when not orderable.", allow_none=True)
    seen_unit_price = _money(allow_none=True)
    stale = fields.Boolean(metadata={"description": "The price changed since it was added."})
    adjustments = fields.List(fields.Nested(CartAdjustmentSchema))
    net = _money("Quantity × price + adjustments.", allow_none=True)
    tax = _money(allow_none=True)
    problem = fields.Nested(CartLineProblemSchema, allow_none=True)


class CartSchema(Schema):
    dealer_id = fields.Integer()
    currency = fields.String()
    lines = fields.List(fields.Nested(CartLineSchema))
    count = fields.Integer()
    units = fields.Integer()
    list_total = _money()
    subtotal = _money()
    adjustments = fields.List(fields.Nested(CartAdjustmentSchema))
    adjustments_total = _money()
    tax_rate = _money()
    prices_include_tax = fields.Boolean()
    tax_total = _money()
    total = _money("Before freight (chosen at checkout).")
    stale = fields.Boolean()
    problems = fields.List(fields.Nested(CartLineProblemSchema))


class CartAddedFromSchema(Schema):
    added = fields.Integer(metadata={"description": "Lines added to the cart."})
    skipped = fields.List(
        fields.Nested(CartLineProblemSchema),
        metadata={"description": "Lines left out: no longer sold or no longer visible."},
    )
    cart = fields.Nested(CartSchema)


class RequisitionListWriteSchema(StrictSchema):
    name = required_text_field(100)
    items = fields.List(
        fields.Nested(CartItemSchema),
        load_default=None,
        validate=validate.Length(max=MAX_ORDER_LINES),
    )
    from_cart = fields.Boolean(
        load_default=False, metadata={"description": "Save the cart's lines as the list."}
    )


class RequisitionListPatchSchema(StrictSchema):
    name = required_text_field(100)
    items = fields.List(
        fields.Nested(CartItemSchema),
        validate=validate.Length(max=MAX_ORDER_LINES),
        metadata={"description": "The list's whole new content."},
    )

    class Meta:
        unknown = RAISE
        partial = True


class RequisitionListItemSchema(Schema):
    sku_id = fields.Integer()
    sku_code = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    problem = fields.Nested(CartLineProblemSchema, allow_none=True)


class RequisitionListSummarySchema(Schema):
    id = fields.Integer()
    dealer_id = fields.Integer()
    name = fields.String()
    item_count = fields.Integer()
    updated_at = fields.DateTime()


class RequisitionListSchema(RequisitionListSummarySchema):
    items = fields.List(fields.Nested(RequisitionListItemSchema))


RequisitionListPageSchema = page_schema(RequisitionListSummarySchema)


def line_dict(line: CartLineView) -> dict[str, Any]:
    sku, priced = line.sku, line.priced
    return {
        "sku_id": line.sku_id,
        "sku_code": sku.code if sku else "",
        "name": sku.display_name if sku else "",
        "variant": {str(k): str(v) for k, v in (sku.variant or {}).items()} if sku else {},
        "quantity": line.quantity,
        "moq": sku.moq if sku else 1,
        "order_multiple": sku.order_multiple if sku else 1,
        "available": line.available,
        "list_price": priced.list_price if priced else None,
        "unit_price": priced.unit_price if priced else None,
        "seen_unit_price": line.seen_unit_price,
        "stale": line.stale,
        "adjustments": [a.as_dict() for a in priced.adjustments] if priced else [],
        "net": priced.net if priced else None,
        "tax": priced.tax if priced else None,
        "problem": line.problem.as_dict() if line.problem else None,
    }


def cart_dict(view: CartView) -> dict[str, Any]:
    priced = view.priced
    return {
        "dealer_id": view.dealer.id,
        "currency": priced.currency,
        "lines": [line_dict(line) for line in view.lines],
        "count": view.count,
        "units": view.units,
        "list_total": priced.list_total,
        "subtotal": priced.subtotal,
        "adjustments": [a.as_dict() for a in priced.adjustments],
        "adjustments_total": priced.adjustments_total,
        "tax_rate": priced.tax_rate,
        "prices_include_tax": priced.prices_include_tax,
        "tax_total": priced.tax_total,
        "total": view.total,
        "stale": view.stale,
        "problems": [problem.as_dict() for problem in view.problems],
    }


def added_dict(result: AddedFrom) -> dict[str, Any]:
    return {
        "added": result.added,
        "skipped": [problem.as_dict() for problem in result.skipped],
        "cart": cart_dict(result.cart),
    }


def list_dict(view: ListView) -> dict[str, Any]:
    row = view.requisition_list
    return {
        "id": row.id,
        "dealer_id": row.dealer_id,
        "name": row.name,
        "item_count": len(view.items),
        "updated_at": row.updated_at,
        "items": [
            {
                "sku_id": item.sku_id,
                "sku_code": item.sku.code if item.sku else "",
                "name": item.sku.display_name if item.sku else "",
                "quantity": item.quantity,
                "problem": item.problem.as_dict() if item.problem else None,
            }
            for item in view.items
        ],
    }
