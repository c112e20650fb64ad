"""Request and response shapes of the tenants API."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate

from dinghuo.platform.tenants.models import TenantStatus
from dinghuo.platform.tenants.service import LOCALES

COLOR = validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="Use a colour like #1f6feb.")


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone(value: str) -> None:
    if value not in _zones():
        raise ValidationError("Unknown time zone; use an IANA name like Asia/Shanghai.")


class DomainSchema(Schema):
    id = fields.Integer(dump_only=True)
    hostname = fields.String(required=True, validate=validate.Length(min=4, max=253))
    verified = fields.Boolean(dump_only=True)
    verification_token = fields.String(dump_only=True)


class TenantSchema(Schema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    status = fields.Enum(TenantStatus, by_value=True, dump_only=True)
    suspended_reason = fields.String(allow_none=True, dump_only=True)
    display_name = fields.String(dump_only=True)
    primary_color = fields.String(dump_only=True)
    logo_url = fields.Method("_logo_url", dump_only=True)
    welcome_text = fields.String(dump_only=True)
    locale = fields.String(dump_only=True)
    timezone = fields.String(dump_only=True)
    currency = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    domains = fields.List(fields.Nested(DomainSchema), dump_only=True)

    def _logo_url(self, tenant) -> str | None:
        return f"/media/logo?v={tenant.logo_path.rsplit('/', 1)[-1]}" if tenant.logo_path else None


class TenantCreateSchema(Schema):
    slug = fields.String(required=True, validate=validate.Length(min=3, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    owner_email = fields.Email(required=True, validate=validate.Length(max=254))
    owner_password = fields.String(
        required=True, load_only=True, validate=validate.Length(min=8, max=200)
    )
    owner_name = fields.String(load_default="", validate=validate.Length(max=200))
    locale = fields.String(load_default="zh-CN", validate=validate.OneOf(LOCALES))
    timezone = fields.String(load_default="Asia/Shanghai", validate=time_zone)
    currency = fields.String(
        load_default="CNY", validate=validate.Regexp(r"^[A-Z]{3}$", error="Use an ISO 4217 code.")
    )


class TenantStatusChangeSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class BrandingSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    primary_color = fields.String(validate=COLOR)
    welcome_text = fields.String(validate=validate.Length(max=2000))
    locale = fields.String(validate=validate.OneOf(LOCALES))
    timezone = fields.String(validate=time_zone)


class BusinessSettingsSchema(Schema):
    """The tenant's business rules; PATCH changes only the rules it names."""

    overstock_days_of_cover = fields.Integer(validate=validate.Range(min=1, max=3650))
    demand_window_days = fields.Integer(validate=validate.Range(min=7, max=730))
    default_lead_time_days = fields.Integer(validate=validate.Range(min=0, max=365))
    service_level = fields.Float(validate=validate.Range(min=0.5, max=0.999))
    review_days = fields.Integer(validate=validate.Range(min=1, max=365))
