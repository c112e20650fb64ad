"""Request and response shapes of the notifications API."""

from __future__ import annotations

from marshmallow import Schema, fields

from dinghuo.api.pagination import PageArgsSchema


class NotificationSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(
        dump_only=True, metadata={"description": "The event it came from, e.g. order.approved."}
    )
    title = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    link = fields.String(
        dump_only=True, metadata={"description": "A path on the tenant's host: /orders/12."}
    )
    details = fields.Dict(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    read_at = fields.DateTime(allow_none=True, dump_only=True)


class NotificationListArgsSchema(PageArgsSchema):
    unread = fields.Boolean(
        load_default=None, metadata={"description": "true: unread only; false: read only."}
    )


class UnreadCountSchema(Schema):
    unread = fields.Integer(dump_only=True)


class ReadAllSchema(Schema):
    marked = fields.Integer(dump_only=True, metadata={"description": "How many were unread."})
