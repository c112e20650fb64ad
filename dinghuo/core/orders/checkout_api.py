"""Submitting orders over HTTP: ``POST /orders``, delivery options, the dealer's own approval.

Thin: the services check who may do what (a dealer user orders for their own
dealer, staff with ``orders:manage`` on a dealer's behalf) and every rule.
``POST /orders`` needs an ``Idempotency-Key`` header: the first request with
a key answers 201 with the new order, a repeat of it 200 with the same order,
and the key with different content 422 naming ``Idempotency-Key``.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.core.orders import checkout, dealer_approval, submission
from dinghuo.core.orders.checkout_schemas import (
    ApprovalLimitSchema,
    DealerDecisionSchema,
    DeliveryOptionsArgsSchema,
    DeliveryOptionSchema,
    IdempotencyHeaderSchema,
    SubmitOrderSchema,
)
from dinghuo.core.orders.schemas import OrderSchema
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "order_submission",
    __name__,
    url_prefix="/orders",
    description="Submitting orders (idempotent) and the dealer's own approval of buyers' orders",
)
checkout_blp = Blueprint(
    "checkout", __name__, url_prefix="/checkout", description="Choices offered at checkout"
)
approval_limit_blp = Blueprint(
    "buyer_approval_limit",
    __name__,
    url_prefix="/my/buyer-approval-limit",
    description="A dealer admin's limit above which buyers' orders need their approval",
)


@blp.route("")
class SubmitOrder(MethodView):
    @blp.arguments(IdempotencyHeaderSchema, location="headers")
    @blp.arguments(SubmitOrderSchema)
    @blp.response(201, OrderSchema)
    @blp.alt_response(200, schema=OrderSchema, description="A repeat of an earlier request")
    def post(self, headers, data):
        """Submit an order: the lines given, or your cart; every problem is named at once.

        Refusals write nothing: 422 names each field at fault (a line's
        quantity as ``lines.<index>.quantity``, the address, the delivery
        method, the credit limit as ``payment_terms``); 409 when stock ran out
        meanwhile or when ``expected_total`` is no longer the total.
        """
        result = submission.submit_order(
            db_session(), tenant_principal(), idempotency_key=headers["key"], **data
        )
        return result.order, 201 if result.created else 200


@blp.route("/<int:order_id>/dealer-approval")
class DealerApproval(MethodView):
    @blp.arguments(DealerDecisionSchema)
    @blp.response(200, OrderSchema)
    def post(self, data, order_id: int):
        """Approve (it goes to the brand) or reject (reason required) a buyer's order.

        For the dealer's admins, on orders waiting in ``dealer_review``.
        """
        return dealer_approval.decide(
            db_session(),
            tenant_principal(),
            order_id,
            approve=data["approve"],
            reason=data["reason"],
        )


@checkout_blp.route("/delivery-options")
class DeliveryOptions(MethodView):
    @checkout_blp.arguments(DeliveryOptionsArgsSchema, location="query")
    @checkout_blp.response(200, DeliveryOptionSchema(many=True))
    def get(self, args):
        """Ways to deliver your cart to one of the dealer's addresses, with freight.

        Always ``pickup``; plus each enabled carrier's quotes, as ``<carrier>:<service>``.
        """
        return checkout.delivery_options(
            db_session(), tenant_principal(), args["dealer_id"], args["address_id"]
        )


@approval_limit_blp.route("")
class BuyerApprovalLimit(MethodView):
    @approval_limit_blp.arguments(ApprovalLimitSchema)
    @approval_limit_blp.response(200, ApprovalLimitSchema)
    def put(self, data):
        """Set (or clear, with null) the total above which buyers' orders need an admin."""
        dealer = dealer_approval.set_buyer_approval_limit(
            db_session(), tenant_principal(), data["buyer_approval_limit"]
        )
        return {"buyer_approval_limit": dealer.buyer_approval_limit}
