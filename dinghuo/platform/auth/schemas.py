"""Request and response shapes of the auth API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from dinghuo.platform.auth.models import Role


class LoginSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.Enum(Role, by_value=True, dump_only=True)
    dealer_id = fields.Integer(allow_none=True, dump_only=True)
    is_active = fields.Boolean(dump_only=True)
    locale = fields.String(allow_none=True, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(allow_none=True, dump_only=True)


class TokenSchema(Schema):
    token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
    user = fields.Nested(UserSchema, required=True)


class PlatformTokenSchema(Schema):
    token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class MeSchema(Schema):
    kind = fields.String(required=True)
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    role = fields.String(allow_none=True)
    dealer_id = fields.Integer(allow_none=True)
    permissions = fields.List(fields.String(), required=True)


class InvitationCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.Enum(Role, by_value=True, required=True)
    dealer_id = fields.Integer(load_default=None, allow_none=True, strict=True)


class InvitationSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    dealer_id = fields.Integer(allow_none=True)
    expires_at = fields.DateTime(required=True)
    accept_url = fields.String(required=True)


class AcceptInvitationSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=100))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=8, max=200)
    )


class UserUpdateSchema(Schema):
    is_active = fields.Boolean(required=True)


class UserListArgsSchema(Schema):
    role = fields.Enum(Role, by_value=True, load_default=None)
    dealer_id = fields.Integer(load_default=None, strict=True)
