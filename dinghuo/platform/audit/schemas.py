"""Request and response shapes of the audit API."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dinghuo.api.pagination import PageArgsSchema


class AuditEntrySchema(Schema):
    id = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    actor_type = fields.String(dump_only=True)
    actor_id = fields.Integer(allow_none=True, dump_only=True)
    actor_label = fields.String(dump_only=True)
    action = fields.String(dump_only=True)
    object_type = fields.String(dump_only=True)
    object_id = fields.String(allow_none=True, dump_only=True)
    details = fields.Dict(dump_only=True)
    request_id = fields.String(allow_none=True, dump_only=True)


class AuditListArgsSchema(PageArgsSchema):
    """Filters of the audit list; times without a zone are read as UTC."""

    action = fields.String(load_default=None, validate=validate.Length(min=1, max=80))
    actor_type = fields.String(
        load_default=None, validate=validate.OneOf(("user", "client", "platform_admin", "system"))
    )
    actor_id = fields.Integer(load_default=None)
    object_type = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    object_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    since = fields.AwareDateTime(load_default=None, default_timezone=dt.UTC)
    until = fields.AwareDateTime(load_default=None, default_timezone=dt.UTC)

    @validates_schema
    def _since_before_until(self, data, **_kwargs) -> None:
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError("Must be later than since.", field_name="until")
