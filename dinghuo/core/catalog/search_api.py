"""``GET /catalog/search``: the catalog search for staff and dealers' users.

Thin: validates the query string, then :func:`dinghuo.core.catalog.search.search_catalog`
decides what the principal may see. ``spec`` is repeatable, ``code:value``
(e.g. ``spec=screen:6.82``). The answer is ``{items, facets, next_cursor, total}``
with an opaque cursor, like every list of the API.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates

from dinghuo.core.catalog.models import ProductStatus
from dinghuo.core.catalog.search import DEFAULT_LIMIT, MAX_LIMIT, search_catalog
from dinghuo.core.catalog.search_query import SORTS
from dinghuo.core.pricing.schemas import DealerPriceSchema
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "catalog_search",
    __name__,
    url_prefix="/catalog/search",
    description="Search the catalog: full text, filters, facets (staff and dealers)",
)

MAX_SPECS = 10


class SearchArgsSchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    category_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    brand_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    tag = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    spec = fields.List(
        fields.String(validate=validate.Length(min=3, max=250)),
        load_default=list,
        validate=validate.Length(max=MAX_SPECS),
        metadata={"description": "Repeatable ``code:value``, e.g. ``screen:6.82``."},
    )
    in_stock = fields.Boolean(load_default=None)
    status = fields.Enum(ProductStatus, by_value=True, load_default=None)
    sort = fields.String(load_default="relevance", validate=validate.OneOf(list(SORTS)))
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))

    @validates("spec")
    def _spec_pairs(self, value: list[str], **_: Any) -> None:
        for pair in value:
            code, _sep, wanted = pair.partition(":")
            if not code.strip() or not wanted.strip():
                raise ValidationError(f"Use code:value, not {pair!r}.")


class FacetValueSchema(Schema):
    id = fields.Integer(dump_only=True, allow_none=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    count = fields.Integer(dump_only=True)


class SpecFacetSchema(Schema):
    code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    values = fields.List(fields.Nested(FacetValueSchema), dump_only=True)


class FacetsSchema(Schema):
    categories = fields.List(fields.Nested(FacetValueSchema), dump_only=True)
    brands = fields.List(fields.Nested(FacetValueSchema), dump_only=True)
    tags = fields.List(fields.Nested(FacetValueSchema), dump_only=True)
    specs = fields.List(fields.Nested(SpecFacetSchema), dump_only=True)
    in_stock = fields.Integer(dump_only=True)


class SearchHitSchema(Schema):
    sku_id = fields.Integer(dump_only=True)
    sku_code = fields.String(dump_only=True)
    barcode = fields.String(dump_only=True)
    variant = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True)
    status = fields.Enum(ProductStatus, by_value=True, dump_only=True)
    product_id = fields.Integer(dump_only=True)
    product_code = fields.String(dump_only=True)
    name_zh = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True)
    model_number = fields.String(dump_only=True)
    main_image_id = fields.Integer(dump_only=True, allow_none=True)
    available = fields.Integer(dump_only=True)
    base_price = fields.Decimal(
        as_string=True,
        places=2,
        dump_only=True,
        allow_none=True,
        metadata={"type": "string", "format": "decimal", "example": "5999.00"},
    )
    price = fields.Nested(DealerPriceSchema, dump_only=True, allow_none=True)


class SearchResultSchema(Schema):
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    facets = fields.Nested(FacetsSchema, required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    total = fields.Integer(required=True)


@blp.route("")
class CatalogSearch(MethodView):
    @blp.arguments(SearchArgsSchema, location="query")
    @blp.response(200, SearchResultSchema)
    def get(self, args: dict[str, Any]):
        """SKUs matching ``q`` and the filters, with facet counts over all hits.

        Staff (``catalog:read``) see every status and may filter by it; a
        dealer's users (``catalog:browse``) see only active SKUs their dealer
        may see, each with the dealer's price.
        """
        specs = dict(pair.split(":", 1) for pair in args.pop("spec"))
        return search_catalog(
            db_session(),
            tenant_principal(),
            specs={code.strip(): value.strip() for code, value in specs.items()},
            **args,
        )
