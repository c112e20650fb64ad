"""The catalog over HTTP: products, SKUs, images, specs, categories, brands, tags and
dealers' own SKU codes.

Thin: each view names the permission it needs, then hands the principal and
the validated input to :mod:`dinghuo.core.catalog.service` (and
:mod:`~dinghuo.core.catalog.images`), which authorise the objects themselves:
another tenant's id, and a product hidden from a dealer, are a 404. Staff read
with ``catalog:read`` and change with ``catalog:manage``; dealer users may
read products, SKUs, images, specs and relations they may browse.
"""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import PageArgsSchema, page_args, page_schema
from dinghuo.core.catalog import images, service
from dinghuo.core.catalog.schemas import (
    AttributeCreateSchema,
    AttributeListArgsSchema,
    AttributeSchema,
    AttributeUpdateSchema,
    BrandCreateSchema,
    BrandSchema,
    BrandUpdateSchema,
    CategoryCreateSchema,
    CategoryListArgsSchema,
    CategoryMoveSchema,
    CategorySchema,
    CategoryUpdateSchema,
    DealerSkuCodeCreateSchema,
    DealerSkuCodeSchema,
    DealerSkuCodeUpdateSchema,
    ImageFormSchema,
    ImageOrderSchema,
    ImageSchema,
    ImageUpdateSchema,
    ImageUploadSchema,
    ProductCreateSchema,
    ProductDetailSchema,
    ProductListArgsSchema,
    ProductSchema,
    ProductUpdateSchema,
    RelationSchema,
    RelationsWriteSchema,
    SkuCreateSchema,
    SkuSchema,
    SkuUpdateSchema,
    SpecLineSchema,
    SpecsWriteSchema,
    TagSchema,
    TagWriteSchema,
    VisibilityRuleSchema,
    VisibilityWriteSchema,
)
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.platform.storage import Storage
from dinghuo.web import db_session

products_blp = Blueprint(
    "catalog_products",
    __name__,
    url_prefix="/products",
    description="Products (SPU), their SKUs, images, specs, relations and visibility",
)
skus_blp = Blueprint("catalog_skus", __name__, url_prefix="/skus", description="SKUs")
categories_blp = Blueprint(
    "catalog_categories",
    __name__,
    url_prefix="/categories",
    description="The category tree and its spec attribute templates",
)
brands_blp = Blueprint("catalog_brands", __name__, url_prefix="/brands", description="Brands")
tags_blp = Blueprint("catalog_tags", __name__, url_prefix="/tags", description="Product tags")
my_codes_blp = Blueprint(
    "my_sku_codes",
    __name__,
    url_prefix="/my",
    description="A dealer's own codes for the brand's SKUs",
)
dealer_codes_blp = Blueprint(
    "dealer_sku_codes",
    __name__,
    url_prefix="/dealers",
    description="Dealers' own SKU codes, as staff see them",
)

SKU_CODE_PAGE = page_schema(DealerSkuCodeSchema)
"""One page schema for both lists of codes (two would clash by name in the OpenAPI document)."""

BLUEPRINTS = (
    products_blp,
    skus_blp,
    categories_blp,
    brands_blp,
    tags_blp,
    my_codes_blp,
    dealer_codes_blp,
)


def _files() -> Storage:
    return current_app.extensions["dinghuo.storage"]


# --- products ------------------------------------------------------------------------------


@products_blp.route("")
class Products(MethodView):
    @products_blp.arguments(ProductListArgsSchema, location="query")
    @products_blp.response(200, page_schema(ProductSchema))
    def get(self, args):
        """Products, filtered; a dealer user sees only the active ones it may see."""
        return service.list_products(
            db_session(),
            tenant_principal(),
            q=args["q"],
            category_id=args["category_id"],
            include_subcategories=args["include_subcategories"],
            brand_id=args["brand_id"],
            tag_id=args["tag_id"],
            status=args["status"],
            **page_args(args),
        )

    @products_blp.arguments(ProductCreateSchema)
    @products_blp.response(201, ProductDetailSchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, data):
        """Create a product with SKUs listed in ``skus`` or generated from ``matrix``."""
        return service.create_product(db_session(), tenant_principal(), **data)


@products_blp.route("/<int:product_id>")
class ProductDetail(MethodView):
    @products_blp.response(200, ProductDetailSchema)
    def get(self, product_id: int):
        """One product with its SKUs and images."""
        return service.get_product(db_session(), tenant_principal(), product_id)

    @products_blp.arguments(ProductUpdateSchema)
    @products_blp.response(200, ProductDetailSchema)
    @requires(Permission.CATALOG_MANAGE)
    def patch(self, data, product_id: int):
        """Change a product's fields; ``tag_ids`` replaces its tags."""
        return service.update_product(db_session(), tenant_principal(), product_id, **data)


@products_blp.route("/<int:product_id>/skus")
class ProductSkus(MethodView):
    @products_blp.response(200, SkuSchema(many=True))
    def get(self, product_id: int):
        """A product's SKUs in order."""
        return service.list_skus(db_session(), tenant_principal(), product_id)

    @products_blp.arguments(SkuCreateSchema)
    @products_blp.response(201, SkuSchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, data, product_id: int):
        """Add a SKU (its ``variant`` gives a value for each of the product's axes)."""
        return service.add_sku(db_session(), tenant_principal(), product_id, **data)


@products_blp.route("/<int:product_id>/specs")
class ProductSpecs(MethodView):
    @products_blp.response(200, SpecLineSchema(many=True))
    def get(self, product_id: int):
        """The spec table: every attribute of the category's template with the product's value."""
        return service.get_specs(db_session(), tenant_principal(), product_id)

    @products_blp.arguments(SpecsWriteSchema)
    @products_blp.response(200, SpecLineSchema(many=True))
    @requires(Permission.CATALOG_MANAGE)
    def put(self, data, product_id: int):
        """Replace the product's spec values (checked by each attribute's kind)."""
        return service.set_specs(db_session(), tenant_principal(), product_id, data["specs"])


@products_blp.route("/<int:product_id>/relations")
class ProductRelations(MethodView):
    @products_blp.response(200, RelationSchema(many=True))
    def get(self, product_id: int):
        """Accessories and replacement models of the product."""
        return service.list_relations(db_session(), tenant_principal(), product_id)

    @products_blp.arguments(RelationsWriteSchema)
    @products_blp.response(200, RelationSchema(many=True))
    @requires(Permission.CATALOG_MANAGE)
    def put(self, data, product_id: int):
        """Replace the product's relations."""
        return service.set_relations(
            db_session(), tenant_principal(), product_id, data["relations"]
        )


@products_blp.route("/<int:product_id>/visibility")
class ProductVisibilityRules(MethodView):
    @products_blp.response(200, VisibilityRuleSchema(many=True))
    @requires(Permission.CATALOG_READ)
    def get(self, product_id: int):
        """Which dealer tiers, groups or dealers may see the product (none: all)."""
        return service.list_visibility(db_session(), tenant_principal(), product_id)

    @products_blp.arguments(VisibilityWriteSchema)
    @products_blp.response(200, VisibilityRuleSchema(many=True))
    @requires(Permission.CATALOG_MANAGE)
    def put(self, data, product_id: int):
        """Replace the visibility rules; group and dealer values are ids of this brand's."""
        return service.set_visibility(db_session(), tenant_principal(), product_id, data["rules"])


@products_blp.route("/<int:product_id>/images")
class ProductImages(MethodView):
    @products_blp.response(200, ImageSchema(many=True))
    def get(self, product_id: int):
        """The product's images, main (lowest position) first."""
        return images.list_images(db_session(), tenant_principal(), product_id)

    @products_blp.arguments(ImageFormSchema, location="form")
    @products_blp.arguments(ImageUploadSchema, location="files")
    @products_blp.response(201, ImageSchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, form, upload, product_id: int):
        """Upload a PNG, JPEG or WebP picture (at most 5 MB) as the last image.

        ``file`` is checked by the service, after the product: a missing file on
        another tenant's product is a 404, not a 422.
        """
        file = upload.get("file")
        return images.add_image(
            db_session(),
            tenant_principal(),
            product_id,
            file.read(images.MAX_IMAGE_BYTES + 1) if file else b"",
            files=_files(),
            alt=form["alt"],
        )

    @products_blp.arguments(ImageOrderSchema)
    @products_blp.response(200, ImageSchema(many=True))
    @requires(Permission.CATALOG_MANAGE)
    def put(self, data, product_id: int):
        """Reorder the images (all ids, once each); the first becomes main."""
        return images.reorder_images(
            db_session(), tenant_principal(), product_id, data["image_ids"]
        )


@products_blp.route("/<int:product_id>/images/<int:image_id>")
class ProductImageDetail(MethodView):
    @products_blp.response(200, ImageSchema)
    def get(self, product_id: int, image_id: int):
        """One image; its ``url`` serves the picture to signed-in users of the brand."""
        return images.get_image(db_session(), tenant_principal(), product_id, image_id)

    @products_blp.arguments(ImageUpdateSchema)
    @products_blp.response(200, ImageSchema)
    @requires(Permission.CATALOG_MANAGE)
    def patch(self, data, product_id: int, image_id: int):
        """Change the alt text or move the image (``position: 0`` makes it main)."""
        return images.update_image(db_session(), tenant_principal(), product_id, image_id, **data)

    @products_blp.response(204)
    @requires(Permission.CATALOG_MANAGE)
    def delete(self, product_id: int, image_id: int):
        """Remove the image (and its file, once committed)."""
        images.delete_image(db_session(), tenant_principal(), product_id, image_id, files=_files())


@skus_blp.route("/<int:sku_id>")
class SkuDetail(MethodView):
    @skus_blp.response(200, SkuSchema)
    def get(self, sku_id: int):
        """One SKU."""
        return service.get_sku(db_session(), tenant_principal(), sku_id)

    @skus_blp.arguments(SkuUpdateSchema)
    @skus_blp.response(200, SkuSchema)
    @requires(Permission.CATALOG_MANAGE)
    def patch(self, data, sku_id: int):
        """Change a SKU (barcode check digit, MOQ a multiple of the order multiple, ...)."""
        return service.update_sku(db_session(), tenant_principal(), sku_id, **data)


# --- categories and their attributes -------------------------------------------------------


@categories_blp.route("")
class Categories(MethodView):
    @categories_blp.arguments(CategoryListArgsSchema, location="query")
    @categories_blp.response(200, page_schema(CategorySchema))
    @requires(Permission.CATALOG_READ)
    def get(self, args):
        """Categories; ``parent_id`` lists one's children, ``roots`` the top level."""
        return service.list_categories(
            db_session(),
            tenant_principal(),
            parent_id=args["parent_id"],
            roots=args["roots"],
            **page_args(args),
        )

    @categories_blp.arguments(CategoryCreateSchema)
    @categories_blp.response(201, CategorySchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, data):
        """Add a category (after its last sibling)."""
        return service.create_category(db_session(), tenant_principal(), **data)


@categories_blp.route("/<int:category_id>")
class CategoryDetail(MethodView):
    @categories_blp.response(200, CategorySchema)
    @requires(Permission.CATALOG_READ)
    def get(self, category_id: int):
        """One category."""
        return service.get_category(db_session(), tenant_principal(), category_id)

    @categories_blp.arguments(CategoryUpdateSchema)
    @categories_blp.response(200, CategorySchema)
    @requires(Permission.CATALOG_MANAGE)
    def patch(self, data, category_id: int):
        """Rename a category or change its code."""
        return service.update_category(db_session(), tenant_principal(), category_id, **data)

    @categories_blp.response(204)
    @requires(Permission.CATALOG_MANAGE)
    def delete(self, category_id: int):
        """Delete a category without subcategories or products (409 otherwise)."""
        service.delete_category(db_session(), tenant_principal(), category_id)


@categories_blp.route("/<int:category_id>/move")
class CategoryMove(MethodView):
    @categories_blp.arguments(CategoryMoveSchema)
    @categories_blp.response(200, CategorySchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, data, category_id: int):
        """Move under ``parent_id`` (null: the top) at ``position``; also reorders siblings."""
        return service.move_category(db_session(), tenant_principal(), category_id, **data)


@categories_blp.route("/<int:category_id>/attributes")
class CategoryAttributes(MethodView):
    @categories_blp.arguments(AttributeListArgsSchema, location="query")
    @categories_blp.response(200, AttributeSchema(many=True))
    @requires(Permission.CATALOG_READ)
    def get(self, args, category_id: int):
        """The category's spec attributes (``inherited``: with its ancestors', root first)."""
        return service.list_attributes(
            db_session(), tenant_principal(), category_id, inherited=args["inherited"]
        )

    @categories_blp.arguments(AttributeCreateSchema)
    @categories_blp.response(201, AttributeSchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, data, category_id: int):
        """Add a spec attribute (text, number or choice) to the category's template."""
        return service.create_attribute(db_session(), tenant_principal(), category_id, **data)


@categories_blp.route("/<int:category_id>/attributes/<int:attribute_id>")
class CategoryAttributeDetail(MethodView):
    @categories_blp.response(200, AttributeSchema)
    @requires(Permission.CATALOG_READ)
    def get(self, category_id: int, attribute_id: int):
        """One spec attribute."""
        return service.get_attribute(db_session(), tenant_principal(), category_id, attribute_id)

    @categories_blp.arguments(AttributeUpdateSchema)
    @categories_blp.response(200, AttributeSchema)
    @requires(Permission.CATALOG_MANAGE)
    def patch(self, data, category_id: int, attribute_id: int):
        """Change an attribute; every product's value must still fit (409 otherwise)."""
        return service.update_attribute(
            db_session(), tenant_principal(), category_id, attribute_id, **data
        )

    @categories_blp.response(204)
    @requires(Permission.CATALOG_MANAGE)
    def delete(self, category_id: int, attribute_id: int):
        """Remove the attribute and the products' values for it."""
        service.delete_attribute(db_session(), tenant_principal(), category_id, attribute_id)


# --- brands and tags -----------------------------------------------------------------------


@brands_blp.route("")
class Brands(MethodView):
    @brands_blp.arguments(PageArgsSchema, location="query")
    @brands_blp.response(200, page_schema(BrandSchema))
    @requires(Permission.CATALOG_READ)
    def get(self, args):
        """The brands the tenant sells."""
        return service.list_brands(db_session(), tenant_principal(), **page_args(args))

    @brands_blp.arguments(BrandCreateSchema)
    @brands_blp.response(201, BrandSchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, data):
        """Add a brand (code unique per tenant)."""
        return service.create_brand(db_session(), tenant_principal(), **data)


@brands_blp.route("/<int:brand_id>")
class BrandDetail(MethodView):
    @brands_blp.response(200, BrandSchema)
    @requires(Permission.CATALOG_READ)
    def get(self, brand_id: int):
        """One brand."""
        return service.get_brand(db_session(), tenant_principal(), brand_id)

    @brands_blp.arguments(BrandUpdateSchema)
    @brands_blp.response(200, BrandSchema)
    @requires(Permission.CATALOG_MANAGE)
    def patch(self, data, brand_id: int):
        """Rename a brand or change its code."""
        return service.update_brand(db_session(), tenant_principal(), brand_id, **data)

    @brands_blp.response(204)
    @requires(Permission.CATALOG_MANAGE)
    def delete(self, brand_id: int):
        """Delete a brand no product uses (409 otherwise)."""
        service.delete_brand(db_session(), tenant_principal(), brand_id)


@tags_blp.route("")
class Tags(MethodView):
    @tags_blp.arguments(PageArgsSchema, location="query")
    @tags_blp.response(200, page_schema(TagSchema))
    @requires(Permission.CATALOG_READ)
    def get(self, args):
        """The tenant's product tags."""
        return service.list_tags(db_session(), tenant_principal(), **page_args(args))

    @tags_blp.arguments(TagWriteSchema)
    @tags_blp.response(201, TagSchema)
    @requires(Permission.CATALOG_MANAGE)
    def post(self, data):
        """Add a tag (name unique per tenant)."""
        return service.create_tag(db_session(), tenant_principal(), **data)


@tags_blp.route("/<int:tag_id>")
class TagDetail(MethodView):
    @tags_blp.response(200, TagSchema)
    @requires(Permission.CATALOG_READ)
    def get(self, tag_id: int):
        """One tag."""
        return service.get_tag(db_session(), tenant_principal(), tag_id)

    @tags_blp.arguments(TagWriteSchema)
    @tags_blp.response(200, TagSchema)
    @requires(Permission.CATALOG_MANAGE)
    def patch(self, data, tag_id: int):
        """Rename a tag."""
        return service.update_tag(db_session(), tenant_principal(), tag_id, **data)

    @tags_blp.response(204)
    @requires(Permission.CATALOG_MANAGE)
    def delete(self, tag_id: int):
        """Delete a tag; it is taken off every product."""
        service.delete_tag(db_session(), tenant_principal(), tag_id)


# --- dealers' own SKU codes ----------------------------------------------------------------


@my_codes_blp.route("/sku-codes")
class MySkuCodes(MethodView):
    @my_codes_blp.arguments(PageArgsSchema, location="query")
    @my_codes_blp.response(200, SKU_CODE_PAGE)
    @requires(Permission.CATALOG_BROWSE)
    def get(self, args):
        """The signed-in dealer's own codes for the brand's SKUs."""
        return service.list_my_sku_codes(db_session(), tenant_principal(), **page_args(args))

    @my_codes_blp.arguments(DealerSkuCodeCreateSchema)
    @my_codes_blp.response(201, DealerSkuCodeSchema)
    @requires(Permission.CATALOG_BROWSE)
    def post(self, data):
        """Record your own code for a SKU (unique among your codes; one per SKU)."""
        return service.create_my_sku_code(db_session(), tenant_principal(), **data)


@my_codes_blp.route("/sku-codes/<int:code_id>")
class MySkuCodeDetail(MethodView):
    """Another dealer's code is a 404 like a missing one; staff may read, not change, codes."""

    @my_codes_blp.response(200, DealerSkuCodeSchema)
    def get(self, code_id: int):
        """One of your codes."""
        return service.get_my_sku_code(db_session(), tenant_principal(), code_id)

    @my_codes_blp.arguments(DealerSkuCodeUpdateSchema)
    @my_codes_blp.response(200, DealerSkuCodeSchema)
    def patch(self, data, code_id: int):
        """Change one of your codes."""
        return service.update_my_sku_code(db_session(), tenant_principal(), code_id, **data)

    @my_codes_blp.response(204)
    def delete(self, code_id: int):
        """Forget one of your codes."""
        service.delete_my_sku_code(db_session(), tenant_principal(), code_id)


@dealer_codes_blp.route("/<int:dealer_id>/sku-codes")
class DealerSkuCodes(MethodView):
    @dealer_codes_blp.arguments(PageArgsSchema, location="query")
    @dealer_codes_blp.response(200, SKU_CODE_PAGE)
    @requires(Permission.CATALOG_READ)
    def get(self, args, dealer_id: int):
        """A dealer's own SKU codes (staff)."""
        return service.list_dealer_sku_codes(
            db_session(), tenant_principal(), dealer_id, **page_args(args)
        )
