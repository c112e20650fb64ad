"""The catalog as a dealer's API client sees it: a product at its prices, and the category tree.

``GET /catalog/products/<product_id>`` answers what the portal's product page
shows (variants with the dealer's resolved price and quantity breaks,
availability, specs, pictures, related products); a product hidden from the
dealer is a 404. ``GET /catalog/categories`` is the tree to browse, with
counts of the products the dealer may see. Both are for dealer users
(``catalog:browse``) and, to see what a dealer sees, for staff (``catalog:read``).

The response schemas live here rather than in ``schemas.py``: they describe
this composed view only, not any catalog object's own fields.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from dinghuo.core.catalog import portal
from dinghuo.core.catalog.models import RelationKind
from dinghuo.core.pricing.schemas import DealerPriceSchema
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "catalog_portal",
    __name__,
    url_prefix="/catalog",
    description="The catalog as a dealer sees it: its prices, its stock, what it may see",
)


def _money(**kwargs: Any) -> fields.Decimal:
    """An amount as a string with two decimals ("5999.00"): JSON numbers are floats."""
    return fields.Decimal(
        as_string=True,
        places=2,
        metadata={"type": "string", "format": "decimal", "example": "5999.00"},
        **kwargs,
    )


class PortalOfferSchema(Schema):
    """One orderable variant."""

    id = fields.Integer(attribute="sku.id", dump_only=True)
    code = fields.String(attribute="sku.code", dump_only=True)
    barcode = fields.String(attribute="sku.barcode", dump_only=True)
    variant = fields.Dict(
        keys=fields.String(), values=fields.String(), attribute="sku.variant", dump_only=True
    )
    moq = fields.Integer(attribute="sku.moq", dump_only=True)
    order_multiple = fields.Integer(attribute="sku.order_multiple", dump_only=True)
    msrp = _money(attribute="sku.msrp", dump_only=True)
    weight_g = fields.Integer(attribute="sku.weight_g", dump_only=True, allow_none=True)
    available = fields.Integer(dump_only=True)
    price = fields.Nested(DealerPriceSchema, dump_only=True, allow_none=True)


class PortalSpecRowSchema(Schema):
    code = fields.String(attribute="attribute.code", dump_only=True)
    name_zh = fields.String(attribute="attribute.name_zh", dump_only=True)
    name_en = fields.String(attribute="attribute.name_en", dump_only=True)
    unit = fields.String(attribute="attribute.unit", dump_only=True)
    value = fields.String(dump_only=True)


class PortalImageSchema(Schema):
    id = fields.Integer(dump_only=True)
    alt = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    url = fields.Function(
        lambda image: url_for("ui.portal_catalog_image", image_id=image.id),
        dump_only=True,
        metadata={"type": "string", "example": "/catalog/images/7"},
    )


class PortalRelatedSchema(Schema):
    id = fields.Integer(attribute="product.id", dump_only=True)
    code = fields.String(attribute="product.code", dump_only=True)
    name_zh = fields.String(attribute="product.name_zh", dump_only=True)
    name_en = fields.String(attribute="product.name_en", dump_only=True)
    kind = fields.Enum(RelationKind, by_value=True, dump_only=True)
    from_price = _money(attribute="from_price.unit_price", dump_only=True, allow_none=True)
    in_stock = fields.Boolean(dump_only=True)


class PortalNamedSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)


class PortalCategoryRefSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)


class PortalDealerProductSchema(Schema):
    """A product as the requesting dealer sees it."""

    id = fields.Integer(attribute="product.id", dump_only=True)
    code = fields.String(attribute="product.code", dump_only=True)
    name_zh = fields.String(attribute="product.name_zh", dump_only=True)
    name_en = fields.String(attribute="product.name_en", dump_only=True)
    model_number = fields.String(attribute="product.model_number", dump_only=True)
    description = fields.String(attribute="product.description", dump_only=True)
    variant_axes = fields.List(fields.String(), attribute="product.variant_axes", dump_only=True)
    brand = fields.Nested(
        PortalNamedSchema, attribute="product.brand", dump_only=True, allow_none=True
    )
    category = fields.Nested(
        PortalCategoryRefSchema, attribute="product.category", dump_only=True, allow_none=True
    )
    tags = fields.Function(
        lambda view: [tag.name for tag in view.product.tags],
        dump_only=True,
        metadata={"type": "array", "items": {"type": "string"}},
    )
    skus = fields.List(fields.Nested(PortalOfferSchema), attribute="offers", dump_only=True)
    specs = fields.List(fields.Nested(PortalSpecRowSchema), dump_only=True)
    images = fields.List(fields.Nested(PortalImageSchema), dump_only=True)
    related = fields.List(fields.Nested(PortalRelatedSchema), dump_only=True)


class PortalCategoryNodeSchema(Schema):
    id = fields.Integer(attribute="category.id", dump_only=True)
    code = fields.String(attribute="category.code", dump_only=True)
    name_zh = fields.String(attribute="category.name_zh", dump_only=True)
    name_en = fields.String(attribute="category.name_en", dump_only=True)
    product_count = fields.Integer(dump_only=True)
    children = fields.List(fields.Nested(lambda: PortalCategoryNodeSchema()), dump_only=True)


class PortalViewerArgsSchema(Schema):
    dealer_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Staff only: see the catalog as this dealer does."},
    )


@blp.route("/products/<int:product_id>")
class DealerProduct(MethodView):
    @blp.arguments(PortalViewerArgsSchema, location="query")
    @blp.response(200, PortalDealerProductSchema)
    def get(self, args, product_id: int):
        """A product at the dealer's prices, with availability; hidden or missing: 404.

        Dealer users (``catalog:browse``) see it as their dealer does; staff
        (``catalog:read``) at base prices, or as the dealer named by ``dealer_id``.
        """
        return portal.dealer_product(
            db_session(), tenant_principal(), product_id, dealer_id=args["dealer_id"]
        )


@blp.route("/categories")
class DealerCategories(MethodView):
    @blp.arguments(PortalViewerArgsSchema, location="query")
    @blp.response(200, PortalCategoryNodeSchema(many=True))
    def get(self, args):
        """The category tree, roots first in their order, with counts of visible products."""
        return portal.category_tree(db_session(), tenant_principal(), dealer_id=args["dealer_id"])
