"""Request and response shapes of the import and export API."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import RAISE, Schema, fields, validate

from dinghuo.api.pagination import PageArgsSchema
from dinghuo.core.imports.exports import FORMATS
from dinghuo.core.imports.models import ImportKind, ImportStatus


class ImportBatchSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.Enum(ImportKind, by_value=True, dump_only=True)
    filename = fields.String(dump_only=True)
    status = fields.Enum(ImportStatus, by_value=True, dump_only=True)
    total_rows = fields.Integer(dump_only=True)
    processed_rows = fields.Integer(dump_only=True)
    error_count = fields.Integer(dump_only=True)
    has_report = fields.Function(lambda batch: batch.report_key is not None, dump_only=True)
    message = fields.String(dump_only=True)
    dealer_id = fields.Integer(dump_only=True, allow_none=True)
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)


class ImportFormSchema(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.Enum(ImportKind, by_value=True, required=True)


class ImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "A .csv or .xlsx file"})


class ImportListArgsSchema(PageArgsSchema):
    kind = fields.Enum(ImportKind, by_value=True, load_default=None)
    status = fields.Enum(ImportStatus, by_value=True, load_default=None)


class FormatArgsSchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))
