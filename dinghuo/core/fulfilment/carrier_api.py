"""Carriers calling in: ``POST /carriers/<name>/tracking``, a tenant's tracking push endpoint.

Each tenant gives each carrier its own URL on the tenant's host
(``https://acme.example.com/api/v1/carriers/kuaidi100/tracking``). There is no
user and no token: the carrier plugin checks the push's signature with the
tenant's secret, and that check is the authentication
(:func:`dinghuo.core.fulfilment.carriers.receive_tracking_push`).
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from dinghuo.core.fulfilment import carriers
from dinghuo.errors import ValidationFailed
from dinghuo.web import db_session, require_tenant

MAX_PUSH_BYTES = 256 * 1024

blp = Blueprint(
    "carriers",
    __name__,
    url_prefix="/carriers",
    description="Carriers pushing tracking updates (signed; no user credentials)",
)


class PushAckSchema(Schema):
    result = fields.Boolean(
        required=True, metadata={"description": "Always true: the push was accepted."}
    )
    returnCode = fields.String(  # noqa: N815 (the acknowledgement carriers such as Kuaidi100 expect)
        required=True, metadata={"description": '"200", as push senders expect.'}
    )
    message = fields.String(required=True)
    received = fields.Integer(required=True, metadata={"description": "Steps in the push."})
    stored = fields.Integer(required=True, metadata={"description": "Steps that were new."})


_FREE_FORM = {"schema": {"type": "object"}}


@blp.route("/<string:name>/tracking")
class TrackingPush(MethodView):
    @blp.response(200, PushAckSchema)
    @blp.doc(
        security=[],
        requestBody={
            "required": True,
            "description": "The carrier's own format (a form or JSON), signed as it signs it.",
            "content": {
                "application/x-www-form-urlencoded": _FREE_FORM,
                "application/json": _FREE_FORM,
            },
        },
    )
    def post(self, name: str):
        """Tracking steps the carrier ``name`` pushes for this tenant's parcels.

        404 when the tenant has not enabled that carrier or it takes no
        pushes; 401 when its plugin refuses the signature (nothing stored);
        each step is stored once however often it is pushed, on the
        shipment with that carrier and tracking number, and on the order's
        timeline.
        """
        require_tenant()
        if (request.content_length or 0) > MAX_PUSH_BYTES:
            raise ValidationFailed.field("body", f"At most {MAX_PUSH_BYTES} bytes.")
        body = request.get_data(cache=False)
        if len(body) > MAX_PUSH_BYTES:
            raise ValidationFailed.field("body", f"At most {MAX_PUSH_BYTES} bytes.")
        result = carriers.receive_tracking_push(db_session(), name, dict(request.headers), body)
        return {
            "result": True,
            "returnCode": "200",
            "message": "ok",
            "received": result.received,
            "stored": result.stored,
        }
