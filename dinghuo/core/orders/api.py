"""Orders over HTTP: listing, reading, reviewing, changing and moving orders.

Thin: staff and dealer users call the same routes and the services decide
what each may see and do (a dealer user's view is their own dealer's orders;
anything else is 404). A move the state machine does not allow answers 409
naming the current state, the wanted one and those allowed.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import page_args, page_schema
from dinghuo.core.orders import review, service
from dinghuo.core.orders.schemas import (
    OrderActivitySchema,
    OrderChangeSchema,
    OrderListArgsSchema,
    OrderSchema,
    OrderSummarySchema,
    ReasonSchema,
    ReviewDecisionSchema,
    StatusChangeSchema,
)
from dinghuo.core.orders.states import OrderStatus
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "orders",
    __name__,
    url_prefix="/orders",
    description="Orders: list, review, change, cancel and move through their states",
)

_FILTERS = (
    "status",
    "dealer_id",
    "date_from",
    "date_to",
    "min_total",
    "max_total",
    "q",
    "review_step",
)


@blp.route("")
class Orders(MethodView):
    @blp.arguments(OrderListArgsSchema, location="query")
    @blp.response(200, page_schema(OrderSummarySchema))
    def get(self, args):
        """Orders, newest first: staff see all, a dealer user their own dealer's.

        Filter by status (repeatable), dealer, creation dates (tenant's time
        zone, inclusive), total, text and the review step an order waits at.
        """
        filters = {name: args[name] for name in _FILTERS}
        return service.list_orders(db_session(), tenant_principal(), **filters, **page_args(args))


@blp.route("/<int:order_id>")
class OrderDetail(MethodView):
    @blp.response(200, OrderSchema)
    def get(self, order_id: int):
        """One order with its lines, price breakdown and review steps."""
        return service.get_order(db_session(), tenant_principal(), order_id)

    @blp.arguments(OrderChangeSchema)
    @blp.response(200, OrderSchema)
    def patch(self, data, order_id: int):
        """Replace the lines of an order not yet approved: re-priced and re-reserved.

        Send the whole new list of lines and the ``version`` you edited; a
        newer version answers 409 so nobody overwrites a change unseen.
        """
        return service.change_order(
            db_session(), tenant_principal(), order_id, data["lines"], data["version"]
        )


@blp.route("/<int:order_id>/approve")
class Approve(MethodView):
    @blp.arguments(ReviewDecisionSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id: int):
        """Approve the review step the order waits at (needs that step's permission).

        The last step's approval approves the order (reserving stock then, when
        the tenant reserves on approval: short stock answers 409 naming the lines).
        """
        return review.approve_step(
            db_session(), tenant_principal(), order_id, data["step"], data["reason"]
        )


@blp.route("/<int:order_id>/reject")
class Reject(MethodView):
    @blp.arguments(ReviewDecisionSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id: int):
        """Reject the order at its current review step; ``reason`` is required (the dealer reads it)."""
        return review.reject(
            db_session(), tenant_principal(), order_id, data["step"], data["reason"]
        )


@blp.route("/<int:order_id>/cancel")
class Cancel(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id: int):
        """Cancel and release the stock: dealers until approval, staff until the first shipment."""
        return service.cancel_order(db_session(), tenant_principal(), order_id, data["reason"])


@blp.route("/<int:order_id>/complete")
class Complete(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id: int):
        """Close a delivered order (staff with ``orders:manage``)."""
        return service.complete_order(db_session(), tenant_principal(), order_id, data["reason"])


@blp.route("/<int:order_id>/status")
class Status(MethodView):
    @blp.arguments(StatusChangeSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id: int):
        """Mark an approved order ``in_production`` or ``backordered`` (staff, ``orders:manage``)."""
        move = service.STATUS_MOVES[OrderStatus(data["status"])]
        return move(db_session(), tenant_principal(), order_id, data["reason"])


@blp.route("/<int:order_id>/timeline")
class Timeline(MethodView):
    @blp.response(200, OrderActivitySchema(many=True))
    def get(self, order_id: int):
        """The order's history, oldest first (dealers see the entries meant for them)."""
        return service.timeline(db_session(), tenant_principal(), order_id)
