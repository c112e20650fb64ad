"""Fulfilment over HTTP: an order's shipments and allocations, ``/shipments``, ``/serials``,
``/returns``.

Thin: each view hands the principal and validated input to
:mod:`dinghuo.core.fulfilment.service`, :mod:`~dinghuo.core.fulfilment.serials`
or :mod:`~dinghuo.core.fulfilment.returns`, which authorise (staff
``shipments:manage`` / ``returns:manage``; dealers their own orders only) and
answer another dealer's or tenant's id with a 404.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import page_args, page_schema
from dinghuo.core.fulfilment import returns, serials, service
from dinghuo.core.fulfilment.schemas import (
    AllocatedLineSchema,
    AllocationMoveSchema,
    DeliverySchema,
    PackingListSchema,
    ReturnArgsSchema,
    ReturnCreateSchema,
    ReturnDecisionSchema,
    ReturnReceiveSchema,
    ReturnRejectSchema,
    ReturnSchema,
    SerialListSchema,
    SerialSearchArgsSchema,
    SerialTraceSchema,
    ShipmentCreateSchema,
    ShipmentListSchema,
    ShipmentSchema,
    TrackingEventCreateSchema,
    TrackingEventSchema,
)
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.web import db_session

orders_blp = Blueprint(
    "order_fulfilment",
    __name__,
    url_prefix="/orders",
    description="An order's shipments and where its lines are held",
)
shipments_blp = Blueprint(
    "shipments",
    __name__,
    url_prefix="/shipments",
    description="Shipments: labels, packing lists, tracking and delivery",
)
serials_blp = Blueprint(
    "serials", __name__, url_prefix="/serials", description="Serial numbers and IMEIs shipped"
)
returns_blp = Blueprint("returns", __name__, url_prefix="/returns", description="Returns (RMA)")


@orders_blp.route("/<int:order_id>/shipments")
class OrderShipments(MethodView):
    @orders_blp.response(200, ShipmentListSchema)
    def get(self, order_id: int):
        """The order's shipments, oldest first, with lines, serials and tracking."""
        return {"items": service.list_shipments(db_session(), tenant_principal(), order_id)}

    @orders_blp.arguments(ShipmentCreateSchema)
    @orders_blp.response(201, ShipmentSchema)
    def post(self, data, order_id: int):
        """Ship reserved units from one warehouse (``shipments:manage``).

        Commits the reservations, books the carrier of the order's delivery
        method (or ``carrier``), stores its label and the serials; the order
        becomes partially shipped or shipped. A carrier's refusal is a 409
        with its reason and nothing is shipped.
        """
        return service.create_shipment(db_session(), tenant_principal(), order_id, **data)


@orders_blp.route("/<int:order_id>/lines/<int:line_id>/allocations")
class LineAllocations(MethodView):
    @orders_blp.arguments(AllocationMoveSchema)
    @orders_blp.response(200, AllocatedLineSchema)
    def post(self, data, order_id: int, line_id: int):
        """Hold ``quantity`` of the line's unshipped units in ``warehouse_id`` (``shipments:manage``).

        Units come off the backorder first, then off other warehouses; a
        warehouse short of stock is a 409 and nothing moves.
        """
        return service.allocate_line(db_session(), tenant_principal(), order_id, line_id, **data)


@shipments_blp.route("/<int:shipment_id>")
class ShipmentDetail(MethodView):
    @shipments_blp.response(200, ShipmentSchema)
    def get(self, shipment_id: int):
        """One shipment with its lines, serials and tracking events."""
        return service.get_shipment(db_session(), tenant_principal(), shipment_id)


@shipments_blp.route("/<int:shipment_id>/label")
class ShipmentLabel(MethodView):
    @shipments_blp.response(200, content_type="application/octet-stream")
    def get(self, shipment_id: int):
        """The carrier's label (PDF or image); 404 when the carrier made none."""
        data, content_type = service.label(db_session(), tenant_principal(), shipment_id)
        return Response(
            data,
            mimetype=content_type,
            headers={"Content-Disposition": f'inline; filename="label-{shipment_id}"'},
        )


@shipments_blp.route("/<int:shipment_id>/packing-list")
class ShipmentPackingList(MethodView):
    @shipments_blp.response(200, PackingListSchema)
    def get(self, shipment_id: int):
        """What is in the box: lines, quantities and serials, with the ship-to address."""
        return service.packing_list(db_session(), tenant_principal(), shipment_id)


@shipments_blp.route("/<int:shipment_id>/tracking-events")
class ShipmentTracking(MethodView):
    @shipments_blp.response(200, TrackingEventSchema(many=True))
    def get(self, shipment_id: int):
        """The journey so far, oldest first."""
        return service.list_tracking_events(db_session(), tenant_principal(), shipment_id)

    @shipments_blp.arguments(TrackingEventCreateSchema)
    @shipments_blp.response(201, TrackingEventSchema)
    def post(self, data, shipment_id: int):
        """Record a step typed by staff (``shipments:manage``); ``delivered`` delivers it."""
        return service.add_tracking_event(db_session(), tenant_principal(), shipment_id, **data)


@shipments_blp.route("/<int:shipment_id>/deliver")
class ShipmentDelivery(MethodView):
    @shipments_blp.arguments(DeliverySchema)
    @shipments_blp.response(200, ShipmentSchema)
    def post(self, data, shipment_id: int):
        """Confirm the goods arrived (the dealer's user, or staff with ``shipments:manage``).

        The last open shipment of a fully shipped order makes the order delivered.
        """
        return service.confirm_delivery(db_session(), tenant_principal(), shipment_id, **data)


@serials_blp.route("")
class SerialSearch(MethodView):
    @serials_blp.arguments(SerialSearchArgsSchema, location="query")
    @serials_blp.response(200, SerialListSchema)
    def get(self, args):
        """Serials starting with ``q`` (4 characters at least), newest shipped first."""
        return {"items": serials.search(db_session(), tenant_principal(), args["q"])}


@serials_blp.route("/<serial>")
class SerialDetail(MethodView):
    @serials_blp.response(200, SerialTraceSchema)
    def get(self, serial: str):
        """Which dealer got this unit, on which order and shipment, and when."""
        return serials.trace(db_session(), tenant_principal(), serial)


@returns_blp.route("")
class Returns(MethodView):
    @returns_blp.arguments(ReturnArgsSchema, location="query")
    @returns_blp.response(200, page_schema(ReturnSchema))
    def get(self, args):
        """Returns, newest first; a dealer's users see their own dealer's."""
        filters = {name: args[name] for name in ("status", "order_id", "dealer_id")}
        return returns.list_returns(db_session(), tenant_principal(), **filters, **page_args(args))

    @returns_blp.arguments(ReturnCreateSchema)
    @returns_blp.response(201, ReturnSchema)
    def post(self, data):
        """Ask to return delivered units (the dealer, or staff with ``returns:manage``)."""
        order_id = data.pop("order_id")
        return returns.request_return(db_session(), tenant_principal(), order_id, **data)


@returns_blp.route("/<int:return_id>")
class ReturnDetail(MethodView):
    @returns_blp.response(200, ReturnSchema)
    def get(self, return_id: int):
        """One return with its lines and what became of them."""
        return returns.get_return(db_session(), tenant_principal(), return_id)


@returns_blp.route("/<int:return_id>/approve")
class ReturnApproval(MethodView):
    @returns_blp.arguments(ReturnDecisionSchema)
    @returns_blp.response(200, ReturnSchema)
    def post(self, data, return_id: int):
        """Agree to take the units back (``returns:manage``)."""
        return returns.approve(db_session(), tenant_principal(), return_id, **data)


@returns_blp.route("/<int:return_id>/reject")
class ReturnRejection(MethodView):
    @returns_blp.arguments(ReturnRejectSchema)
    @returns_blp.response(200, ReturnSchema)
    def post(self, data, return_id: int):
        """Refuse the return with the reason the dealer reads (``returns:manage``)."""
        return returns.reject(db_session(), tenant_principal(), return_id, **data)


@returns_blp.route("/<int:return_id>/receive")
class ReturnReceipt(MethodView):
    @returns_blp.arguments(ReturnReceiveSchema)
    @returns_blp.response(200, ReturnSchema)
    def post(self, data, return_id: int):
        """The units are back: resalable ones restocked (RETURN movement), the rest written off."""
        return returns.receive(db_session(), tenant_principal(), return_id, **data)


BLUEPRINTS = (orders_blp, shipments_blp, serials_blp, returns_blp)
