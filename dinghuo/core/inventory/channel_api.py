"""Channel stock over HTTP: ``/channel-stock`` for staff, ``/my/channel-stock`` for dealers.

Thin: each view names the permission it needs and hands the principal and
the validated input to :mod:`dinghuo.core.inventory.channel`. A dealer user
reports and reads only for their own dealer, which the principal names; no
dealer id travels in their requests.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import PageArgsSchema, page_args, page_schema
from dinghuo.core.inventory import channel
from dinghuo.core.inventory.channel_schemas import (
    BySkuArgsSchema,
    ChannelStockArgsSchema,
    ChannelStockPageSchema,
    OverstockWarningSchema,
    ReportResultSchema,
    ReportSchema,
    SkuChannelTotalSchema,
    WarningArgsSchema,
)
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "channel_stock",
    __name__,
    url_prefix="/channel-stock",
    description="Dealers' own stock and sell-through, days of cover, overstock (brand staff)",
)
my_blp = Blueprint(
    "my_channel_stock",
    __name__,
    url_prefix="/my/channel-stock",
    description="A dealer user's own stock reports",
)


@blp.route("")
class ChannelStockList(MethodView):
    @blp.arguments(ChannelStockArgsSchema, location="query")
    @blp.response(200, ChannelStockPageSchema)
    @requires(Permission.CHANNEL_STOCK_READ)
    def get(self, args):
        """Latest stock per dealer × SKU with days of cover and the overstock flag.

        Days of cover is null when nothing sold over the period: with stock on
        hand that is infinite cover, and flagged overstocked.
        """
        return channel.list_channel_stock(
            db_session(),
            tenant_principal(),
            dealer_id=args["dealer_id"],
            sku_id=args["sku_id"],
            overstocked=args["overstocked"],
            **page_args(args),
        )


@blp.route("/by-sku")
class ChannelStockBySku(MethodView):
    @blp.arguments(BySkuArgsSchema, location="query")
    @blp.response(200, page_schema(SkuChannelTotalSchema))
    @requires(Permission.CHANNEL_STOCK_READ)
    def get(self, args):
        """Each SKU's channel stock totalled across dealers, with its days of cover."""
        return channel.list_by_sku(
            db_session(),
            tenant_principal(),
            sku_id=args["sku_id"],
            overstocked=args["overstocked"],
            **page_args(args),
        )


@blp.route("/warnings")
class ChannelStockWarnings(MethodView):
    @blp.arguments(WarningArgsSchema, location="query")
    @blp.response(200, page_schema(OverstockWarningSchema))
    @requires(Permission.CHANNEL_STOCK_READ)
    def get(self, args):
        """Overstock warnings: dealers holding more days of cover of a SKU than the threshold."""
        return channel.list_warnings(
            db_session(),
            tenant_principal(),
            dealer_id=args["dealer_id"],
            sku_id=args["sku_id"],
            **page_args(args),
        )


@my_blp.route("")
class MyChannelStock(MethodView):
    @my_blp.arguments(PageArgsSchema, location="query")
    @my_blp.response(200, ChannelStockPageSchema)
    @requires(Permission.CHANNEL_STOCK_REPORT)
    def get(self, args):
        """Your dealer's latest report of each SKU."""
        return channel.list_own_channel_stock(db_session(), tenant_principal(), **page_args(args))

    @my_blp.arguments(ReportSchema)
    @my_blp.response(201, ReportResultSchema)
    @requires(Permission.CHANNEL_STOCK_REPORT)
    def post(self, data):
        """Report stock on hand and units sold over a period, per SKU (by id or code).

        Each line replaces your latest report of that SKU; history is kept.
        A bad line is refused by its index and field, and nothing is recorded.
        """
        session, principal = db_session(), tenant_principal()
        dealer_id = channel.own_dealer_id(principal)
        lines = channel.lines_from_entries(session, dealer_id, data["lines"])
        reported = channel.report_channel_stock(session, principal, dealer_id, lines, source="api")
        return {"reported": reported}
