"""Request and response shapes of the jobs API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from dinghuo.api.pagination import PageArgsSchema
from dinghuo.platform.jobs.models import JobStatus


class JobSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(dump_only=True, metadata={"description": "The job function, module:name."})
    status = fields.Enum(JobStatus, by_value=True, dump_only=True)
    args = fields.Dict(dump_only=True)
    attempts = fields.Integer(dump_only=True)
    max_retries = fields.Integer(dump_only=True)
    error = fields.String(allow_none=True, dump_only=True)
    result = fields.Dict(allow_none=True, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    run_at = fields.DateTime(
        allow_none=True,
        dump_only=True,
        metadata={"description": "When a delayed job or a retry is due."},
    )
    started_at = fields.DateTime(allow_none=True, dump_only=True)
    finished_at = fields.DateTime(allow_none=True, dump_only=True)


class JobListArgsSchema(PageArgsSchema):
    status = fields.Enum(JobStatus, by_value=True, load_default=None)
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
