"""Request and response shapes of the plugins API."""

from __future__ import annotations

from marshmallow import Schema, fields


class SettingsFieldSchema(Schema):
    name = fields.String(required=True)
    type = fields.String(required=True)
    required = fields.Boolean(required=True)
    secret = fields.Boolean(required=True)
    help = fields.String(required=True)
    default = fields.Raw(allow_none=True)
    choices = fields.List(fields.String(), required=True)


class PluginSchema(Schema):
    name = fields.String(dump_only=True)
    version = fields.String(attribute="info.version", dump_only=True)
    description = fields.String(attribute="info.description", dump_only=True)
    api_versions = fields.String(
        attribute="info.api_versions",
        dump_only=True,
        metadata={"description": "The plugin API range the plugin supports."},
    )
    api_compatible = fields.Boolean(dump_only=True)
    refused_reason = fields.String(
        allow_none=True,
        dump_only=True,
        metadata={"description": "Why the platform did not load the plugin (null when loaded)."},
    )
    enabled = fields.Boolean(dump_only=True)
    settings = fields.Dict(
        keys=fields.String(),
        dump_only=True,
        metadata={"description": "Values of the non-secret settings."},
    )
    secrets = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        dump_only=True,
        metadata={"description": 'Secret settings are write-only: "set" or "not set".'},
    )
    settings_schema = fields.List(fields.Nested(SettingsFieldSchema), dump_only=True)


class PluginListSchema(Schema):
    items = fields.List(fields.Nested(PluginSchema), required=True)


class PluginUpdateSchema(Schema):
    enabled = fields.Boolean(required=True)
    settings = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        metadata={
            "description": "Settings to change; a field set to null is cleared, fields "
            "not named keep their value (so secrets need not be sent again)."
        },
    )
