"""Request and response shapes of the auth API.

Every string input has a maximum length, and unknown fields are refused
(marshmallow's default), so bad input is a 422 naming the field.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from dinghuo.api.pagination import PageArgsSchema
from dinghuo.platform.auth.models import Role
from dinghuo.platform.auth.permissions import ALL_SCOPES


class LoginSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=200)
    )


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


class ApiTokenSchema(Schema):
    """A token as its holder sees it: never the secret (only its digest is stored anyway)."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    scopes = fields.List(fields.String(), allow_none=True, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)
    revoked_at = fields.DateTime(allow_none=True, dump_only=True)
    last_used_at = fields.DateTime(allow_none=True, dump_only=True)


class TokenListArgsSchema(PageArgsSchema):
    active = fields.Boolean(
        load_default=None, metadata={"description": "Only tokens still usable (or only dead ones)."}
    )


class InvitationCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.Enum(Role, by_value=True, required=True)
    dealer_id = fields.Integer(load_default=None, allow_none=True, strict=True)


class InvitationSchema(Schema):
    """An invitation; its link is e-mailed to the invitee only, never shown to the inviter."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    dealer_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)


class AcceptInvitationSchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=10, max=100))
    password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=8, max=200)
    )


class UserUpdateSchema(Schema):
    is_active = fields.Boolean(required=True)


class UserListArgsSchema(Schema):
    role = fields.Enum(Role, by_value=True, load_default=None)
    dealer_id = fields.Integer(load_default=None)


class OAuthClientCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(ALL_SCOPES)),
        required=True,
        validate=validate.Length(min=1, max=len(ALL_SCOPES)),
        metadata={"description": "Permission names; only those the caller holds."},
    )


class OAuthClientSchema(Schema):
    id = fields.Integer(dump_only=True)
    client_id = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    scopes = fields.List(fields.String(), dump_only=True)
    created_by_id = fields.Integer(allow_none=True, dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    revoked_at = fields.DateTime(allow_none=True, dump_only=True)


class OAuthClientCreatedSchema(OAuthClientSchema):
    """The one answer that carries the client secret; it cannot be shown again."""

    client_secret = fields.String(dump_only=True)


class OAuthClientListArgsSchema(PageArgsSchema):
    revoked = fields.Boolean(load_default=None)
