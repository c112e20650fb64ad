"""Request and response shapes of the catalog API.

Input schemas bound lengths, check types and reject unknown fields; the
service applies the rules (code format, barcode check digit, MOQ against the
order multiple, spec values by kind) and names the field it refuses. Money
travels as a string with two decimals ("5999.00") in the tenant's currency:
JSON numbers are floats. The base price is shown only to those who may read
prices; a dealer sees its own price through the portal's catalog.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api.fields import required_text_field, text_field
from dinghuo.api.pagination import PageArgsSchema
from dinghuo.core.catalog.models import ProductStatus, RelationKind, SpecKind, VisibilityScope
from dinghuo.platform.auth.permissions import Permission
from dinghuo.web import current_principal


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


def _money_out(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(
        as_string=True,
        places=2,
        dump_only=True,
        metadata={"type": "string", "format": "decimal", "example": "5999.00"},
        **kwargs,
    )


def _money_in() -> fields.String:
    """An amount as text; the service checks it is ≥ 0 with at most two decimals."""
    return fields.String(
        validate=validate.Length(max=20), metadata={"format": "decimal", "example": "5999.00"}
    )


def _id(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, **kwargs)


def _base_price(sku: Any) -> str | None:
    principal = current_principal()
    if principal is None or not principal.can(Permission.PRICES_READ):
        return None
    return f"{sku.base_price:.2f}"


# --- categories, attributes, brands, tags --------------------------------------------------


class CategorySchema(Schema):
    id = fields.Integer(dump_only=True)
    parent_id = fields.Integer(allow_none=True, dump_only=True)
    code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    position = fields.Integer(dump_only=True)


class CategoryListArgsSchema(PageArgsSchema):
    parent_id = fields.Integer(load_default=None)
    roots = fields.Boolean(load_default=False)


class CategoryUpdateSchema(StrictSchema):
    code = text_field(40)
    name_zh = fields.String(validate=validate.Length(min=1, max=100))
    name_en = text_field(100)


class CategoryCreateSchema(CategoryUpdateSchema):
    code = required_text_field(40)
    name_zh = required_text_field(100)
    parent_id = _id(allow_none=True)


class CategoryMoveSchema(StrictSchema):
    parent_id = _id(required=True, allow_none=True, metadata={"description": "null: the top"})
    position = _id(load_default=None, allow_none=True, validate=validate.Range(min=0))


class AttributeSchema(Schema):
    id = fields.Integer(dump_only=True)
    category_id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    kind = fields.Enum(SpecKind, by_value=True, dump_only=True)
    unit = fields.String(dump_only=True)
    choices = fields.List(fields.String(), dump_only=True)
    filterable = fields.Boolean(dump_only=True)
    position = fields.Integer(dump_only=True)


class AttributeListArgsSchema(Schema):
    inherited = fields.Boolean(
        load_default=False, metadata={"description": "Include the ancestors' attributes."}
    )


class AttributeUpdateSchema(StrictSchema):
    code = text_field(40)
    name_zh = fields.String(validate=validate.Length(min=1, max=100))
    name_en = text_field(100)
    kind = fields.Enum(SpecKind, by_value=True)
    unit = text_field(20)
    choices = fields.List(text_field(200), validate=validate.Length(max=200))
    filterable = fields.Boolean()
    position = _id(validate=validate.Range(min=0, max=10_000))


class AttributeCreateSchema(AttributeUpdateSchema):
    code = required_text_field(40)
    name_zh = required_text_field(100)


class BrandSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)


class BrandUpdateSchema(StrictSchema):
    code = text_field(40)
    name = fields.String(validate=validate.Length(min=1, max=100))


class BrandCreateSchema(BrandUpdateSchema):
    code = required_text_field(40)
    name = required_text_field(100)


class TagSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)


class TagWriteSchema(StrictSchema):
    name = required_text_field(50)


# --- SKUs ----------------------------------------------------------------------------------


class SkuSchema(Schema):
    id = fields.Integer(dump_only=True)
    product_id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    barcode = fields.String(dump_only=True)
    variant = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True)
    display_name = fields.String(dump_only=True)
    status = fields.Enum(ProductStatus, by_value=True, dump_only=True)
    moq = fields.Integer(dump_only=True)
    order_multiple = fields.Integer(dump_only=True)
    weight_g = fields.Integer(allow_none=True, dump_only=True)
    length_mm = fields.Integer(allow_none=True, dump_only=True)
    width_mm = fields.Integer(allow_none=True, dump_only=True)
    height_mm = fields.Integer(allow_none=True, dump_only=True)
    msrp = _money_out()
    base_price = fields.Function(
        _base_price,
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Only for those who may read prices.",
        },
    )
    position = fields.Integer(dump_only=True)


class SkuDefaultsSchema(StrictSchema):
    """SKU fields shared by every SKU of a generated matrix."""

    barcode = text_field(20)
    status = fields.Enum(ProductStatus, by_value=True)
    moq = _id()
    order_multiple = _id()
    weight_g = _id(allow_none=True)
    length_mm = _id(allow_none=True)
    width_mm = _id(allow_none=True)
    height_mm = _id(allow_none=True)
    msrp = _money_in()
    base_price = _money_in()


class SkuUpdateSchema(SkuDefaultsSchema):
    code = text_field(60)
    variant = fields.Dict(keys=fields.String(), values=text_field(60))


class SkuCreateSchema(SkuUpdateSchema):
    code = required_text_field(60)


class MatrixAxisSchema(StrictSchema):
    name = required_text_field(40)
    values = fields.List(required_text_field(60), required=True, validate=validate.Length(min=1))
    codes = fields.List(
        required_text_field(20),
        metadata={"description": "ASCII code per value; derived from the values if omitted."},
    )


class MatrixSchema(StrictSchema):
    """Every combination of the axes' values becomes a SKU coded PREFIX-VALUE-VALUE."""

    axes = fields.List(
        fields.Nested(MatrixAxisSchema), required=True, validate=validate.Length(min=1, max=4)
    )
    code_prefix = text_field(40)
    defaults = fields.Nested(SkuDefaultsSchema)


# --- products ------------------------------------------------------------------------------


class ProductSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    model_number = fields.String(dump_only=True)
    brand_id = fields.Integer(allow_none=True, dump_only=True)
    category_id = fields.Integer(allow_none=True, dump_only=True)
    status = fields.Enum(ProductStatus, by_value=True, dump_only=True)
    variant_axes = fields.List(fields.String(), dump_only=True)
    tags = fields.List(fields.Nested(TagSchema), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class ImageSchema(Schema):
    id = fields.Integer(dump_only=True)
    product_id = fields.Integer(dump_only=True)
    position = fields.Integer(dump_only=True)
    is_main = fields.Function(lambda image: image.position == 0, dump_only=True)
    alt = fields.String(dump_only=True)
    content_type = fields.String(dump_only=True)
    url = fields.Function(
        lambda image: url_for(
            "ui.media_product_image", product_id=image.product_id, image_id=image.id
        ),
        dump_only=True,
    )


class ProductDetailSchema(ProductSchema):
    description = fields.String(dump_only=True)
    brand = fields.Nested(BrandSchema, allow_none=True, dump_only=True)
    category = fields.Nested(CategorySchema, allow_none=True, dump_only=True)
    skus = fields.Method("_skus", dump_only=True)
    images = fields.Method("_images", dump_only=True)

    def _skus(self, product: Any) -> list[dict[str, Any]]:
        """Staff see every SKU; a dealer only the active ones."""
        principal = current_principal()
        skus = list(product.skus)
        if principal is None or not principal.can(Permission.CATALOG_READ):
            skus = [s for s in skus if s.status == ProductStatus.ACTIVE]
        return SkuSchema(many=True).dump(skus)

    def _images(self, product: Any) -> list[dict[str, Any]]:
        return ImageSchema(many=True).dump(sorted(product.images, key=lambda i: i.position))


class ProductListArgsSchema(PageArgsSchema):
    q = text_field(100, load_default=None)
    category_id = fields.Integer(load_default=None)
    include_subcategories = fields.Boolean(load_default=True)
    brand_id = fields.Integer(load_default=None)
    tag_id = fields.Integer(load_default=None)
    status = fields.Enum(ProductStatus, by_value=True, load_default=None)


class ProductUpdateSchema(StrictSchema):
    code = text_field(40)
    name_zh = fields.String(validate=validate.Length(min=1, max=200))
    name_en = text_field(200)
    model_number = text_field(100)
    description = text_field(20_000)
    brand_id = _id(allow_none=True)
    category_id = _id(allow_none=True)
    status = fields.Enum(ProductStatus, by_value=True)
    variant_axes = fields.List(required_text_field(40), validate=validate.Length(max=4))
    tag_ids = fields.List(_id(), validate=validate.Length(max=30))


class ProductCreateSchema(ProductUpdateSchema):
    code = required_text_field(40)
    name_zh = required_text_field(200)
    skus = fields.List(fields.Nested(SkuCreateSchema), validate=validate.Length(max=200))
    matrix = fields.Nested(MatrixSchema)
    specs = fields.Dict(keys=fields.String(), values=text_field(200))


# --- specs, relations, visibility, images --------------------------------------------------


class SpecLineSchema(Schema):
    attribute_id = fields.Integer(dump_only=True)
    code = fields.String(attribute="attribute.code", dump_only=True)
    name_zh = fields.String(attribute="attribute.name_zh", dump_only=True)
    name_en = fields.String(attribute="attribute.name_en", dump_only=True)
    kind = fields.Enum(SpecKind, by_value=True, attribute="attribute.kind", dump_only=True)
    unit = fields.String(attribute="attribute.unit", dump_only=True)
    filterable = fields.Boolean(attribute="attribute.filterable", dump_only=True)
    value = fields.String(dump_only=True)


class SpecsWriteSchema(StrictSchema):
    specs = fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=text_field(200),
        required=True,
        metadata={"description": "Attribute code -> value; absent or empty: no value."},
    )


class RelatedProductSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    status = fields.Enum(ProductStatus, by_value=True, dump_only=True)


class RelationSchema(Schema):
    related_id = fields.Integer(dump_only=True)
    kind = fields.Enum(RelationKind, by_value=True, dump_only=True)
    related = fields.Nested(RelatedProductSchema, dump_only=True)


class RelationWriteSchema(StrictSchema):
    related_id = _id(required=True)
    kind = fields.Enum(RelationKind, by_value=True, required=True)


class RelationsWriteSchema(StrictSchema):
    relations = fields.List(
        fields.Nested(RelationWriteSchema), required=True, validate=validate.Length(max=50)
    )


class VisibilityRuleSchema(Schema):
    scope = fields.Enum(VisibilityScope, by_value=True, dump_only=True)
    value = fields.String(dump_only=True)


class VisibilityRuleWriteSchema(StrictSchema):
    scope = fields.Enum(VisibilityScope, by_value=True, required=True)
    value = required_text_field(40)


class VisibilityWriteSchema(StrictSchema):
    rules = fields.List(
        fields.Nested(VisibilityRuleWriteSchema),
        required=True,
        validate=validate.Length(max=100),
        metadata={"description": "Empty: every dealer may see the product."},
    )


class ImageUploadSchema(Schema):
    file = fields.Raw(metadata={"type": "string", "format": "binary", "description": "Required."})


class ImageFormSchema(Schema):
    alt = text_field(200, load_default="")


class ImageUpdateSchema(StrictSchema):
    alt = text_field(200)
    position = _id(validate=validate.Range(min=0, max=20))


class ImageOrderSchema(StrictSchema):
    image_ids = fields.List(_id(), required=True, validate=validate.Length(max=20))


# --- dealers' own SKU codes ----------------------------------------------------------------


class DealerSkuCodeSchema(Schema):
    id = fields.Integer(dump_only=True)
    dealer_id = fields.Integer(dump_only=True)
    sku_id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    sku_code = fields.String(attribute="sku.code", dump_only=True)
    sku_name = fields.String(attribute="sku.display_name", dump_only=True)


class DealerSkuCodeUpdateSchema(StrictSchema):
    sku_id = _id()
    code = fields.String(validate=validate.Length(min=1, max=60))


class DealerSkuCodeCreateSchema(DealerSkuCodeUpdateSchema):
    sku_id = _id(required=True)
    code = required_text_field(60)
