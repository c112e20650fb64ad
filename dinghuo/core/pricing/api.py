"""Prices over HTTP: ``/price-lists`` (staff) and ``/my/prices`` (a dealer's own).

Thin: each view names the permission it needs, then hands the principal and
the validated input to :mod:`dinghuo.core.pricing.service`, which authorises
the objects themselves (another tenant's id is a 404).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import page_args, page_schema
from dinghuo.core.pricing import service
from dinghuo.core.pricing.schemas import (
    AssignmentSchema,
    AssignmentsSchema,
    BulkItemsSchema,
    DealerPriceSchema,
    ItemCreateSchema,
    ItemListArgsSchema,
    ItemUpdateSchema,
    MyPricesArgsSchema,
    PreviewArgsSchema,
    PriceListArgsSchema,
    PriceListCreateSchema,
    PriceListItemSchema,
    PriceListSchema,
    PriceListUpdateSchema,
    ResolvedPriceSchema,
    UpsertResultSchema,
)
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "price_lists", __name__, url_prefix="/price-lists", description="Price lists (brand staff)"
)
my_blp = Blueprint(
    "my_prices", __name__, url_prefix="/my/prices", description="A dealer user's own prices"
)


@blp.route("")
class PriceLists(MethodView):
    @blp.arguments(PriceListArgsSchema, location="query")
    @blp.response(200, page_schema(PriceListSchema))
    @requires(Permission.PRICES_READ)
    def get(self, args):
        """The tenant's price lists, filtered by kind, active flag or ``q`` (code, name)."""
        return service.list_price_lists(
            db_session(),
            tenant_principal(),
            kind=args["kind"],
            is_active=args["is_active"],
            q=args["q"],
            **page_args(args),
        )

    @blp.arguments(PriceListCreateSchema)
    @blp.response(201, PriceListSchema)
    @requires(Permission.PRICES_MANAGE)
    def post(self, data):
        """Create a price list (code unique per tenant, upper-cased; dates inclusive)."""
        return service.create_price_list(db_session(), tenant_principal(), **data)


@blp.route("/preview")
class Preview(MethodView):
    @blp.arguments(PreviewArgsSchema, location="query")
    @blp.response(200, ResolvedPriceSchema(many=True))
    @requires(Permission.PRICES_READ)
    def get(self, args):
        """What a dealer pays for ``quantity`` of each ``sku_id`` (repeatable), and why."""
        return service.preview_prices(
            db_session(),
            tenant_principal(),
            args["dealer_id"],
            args["sku_id"],
            args["quantity"],
            on=args["on"],
        )


@blp.route("/<int:price_list_id>")
class PriceListDetail(MethodView):
    @blp.response(200, PriceListSchema)
    @requires(Permission.PRICES_READ)
    def get(self, price_list_id: int):
        """One price list with its assignments."""
        return service.get_price_list(db_session(), tenant_principal(), price_list_id)

    @blp.arguments(PriceListUpdateSchema)
    @blp.response(200, PriceListSchema)
    @requires(Permission.PRICES_MANAGE)
    def patch(self, data, price_list_id: int):
        """Change a price list's fields."""
        return service.update_price_list(db_session(), tenant_principal(), price_list_id, **data)

    @blp.response(204)
    @requires(Permission.PRICES_MANAGE)
    def delete(self, price_list_id: int):
        """Delete a price list with its assignments and items."""
        service.delete_price_list(db_session(), tenant_principal(), price_list_id)


@blp.route("/<int:price_list_id>/assignments")
class Assignments(MethodView):
    @blp.response(200, AssignmentSchema(many=True))
    @requires(Permission.PRICES_READ)
    def get(self, price_list_id: int):
        """Who the list applies to."""
        return service.get_price_list(db_session(), tenant_principal(), price_list_id).assignments

    @blp.arguments(AssignmentsSchema)
    @blp.response(200, AssignmentSchema(many=True))
    @requires(Permission.PRICES_MANAGE)
    def put(self, data, price_list_id: int):
        """Replace the assignments; a contract list names exactly one dealer."""
        price_list = service.set_assignments(
            db_session(), tenant_principal(), price_list_id, data["assignments"]
        )
        return price_list.assignments


@blp.route("/<int:price_list_id>/items")
class Items(MethodView):
    @blp.arguments(ItemListArgsSchema, location="query")
    @blp.response(200, page_schema(PriceListItemSchema))
    @requires(Permission.PRICES_READ)
    def get(self, args, price_list_id: int):
        """The list's prices: one item per SKU and minimum quantity (quantity breaks)."""
        return service.list_items(
            db_session(),
            tenant_principal(),
            price_list_id,
            sku_id=args["sku_id"],
            **page_args(args),
        )

    @blp.arguments(ItemCreateSchema)
    @blp.response(201, PriceListItemSchema)
    @requires(Permission.PRICES_MANAGE)
    def post(self, data, price_list_id: int):
        """Add a SKU's price from ``min_qty`` (default 1) up."""
        return service.add_item(db_session(), tenant_principal(), price_list_id, **data)

    @blp.arguments(BulkItemsSchema)
    @blp.response(200, UpsertResultSchema)
    @requires(Permission.PRICES_MANAGE)
    def put(self, data, price_list_id: int):
        """Add or update many prices by (SKU, ``min_qty``); all rows pass or nothing changes."""
        return service.upsert_items(db_session(), tenant_principal(), price_list_id, data["items"])


@blp.route("/<int:price_list_id>/items/<int:item_id>")
class ItemDetail(MethodView):
    @blp.response(200, PriceListItemSchema)
    @requires(Permission.PRICES_READ)
    def get(self, price_list_id: int, item_id: int):
        """One price of the list."""
        return service.get_item(db_session(), tenant_principal(), price_list_id, item_id)

    @blp.arguments(ItemUpdateSchema)
    @blp.response(200, PriceListItemSchema)
    @requires(Permission.PRICES_MANAGE)
    def patch(self, data, price_list_id: int, item_id: int):
        """Change a price or its minimum quantity."""
        return service.update_item(db_session(), tenant_principal(), price_list_id, item_id, **data)

    @blp.response(204)
    @requires(Permission.PRICES_MANAGE)
    def delete(self, price_list_id: int, item_id: int):
        """Remove one price (quantity break) from the list."""
        service.delete_item(db_session(), tenant_principal(), price_list_id, item_id)


@my_blp.route("")
class MyPrices(MethodView):
    @my_blp.arguments(MyPricesArgsSchema, location="query")
    @my_blp.response(200, DealerPriceSchema(many=True))
    @requires(Permission.CATALOG_BROWSE)
    def get(self, args):
        """The signed-in dealer's own prices for ``quantity`` of each ``sku_id`` (repeatable)."""
        return service.my_prices(db_session(), tenant_principal(), args["sku_id"], args["quantity"])
