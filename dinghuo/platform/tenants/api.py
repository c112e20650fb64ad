"""The tenant's own settings (``/tenant``) and the platform's tenant admin (``/platform``)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import select

from dinghuo.api.pagination import PageArgsSchema, page_args, page_schema, paginate
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import platform_admin_required, requires, tenant_principal
from dinghuo.platform.tenants import service
from dinghuo.platform.tenants.business import business_settings, update_business_settings
from dinghuo.platform.tenants.models import Tenant, TenantStatus
from dinghuo.platform.tenants.schemas import (
    BrandingSchema,
    BusinessSettingsSchema,
    DomainSchema,
    TenantCreateSchema,
    TenantSchema,
    TenantStatusChangeSchema,
)
from dinghuo.web import current_principal, db_session, require_tenant

blp = Blueprint("tenant", __name__, url_prefix="/tenant", description="The tenant's own settings")
platform_blp = Blueprint(
    "platform", __name__, url_prefix="/platform", description="Platform operators: tenants"
)


@blp.route("")
class CurrentTenant(MethodView):
    @blp.response(200, TenantSchema)
    @requires(Permission.TENANT_READ)
    def get(self):
        """The tenant this request is for, with its branding."""
        return require_tenant()

    @blp.arguments(BrandingSchema)
    @blp.response(200, TenantSchema)
    @requires(Permission.TENANT_MANAGE)
    def patch(self, data):
        """Change branding, language or time zone."""
        return service.update_branding(db_session(), tenant_principal(), require_tenant(), data)


@blp.route("/domains")
class Domains(MethodView):
    @blp.arguments(DomainSchema)
    @blp.response(201, DomainSchema)
    @requires(Permission.TENANT_MANAGE)
    def post(self, data):
        """Add a custom domain; it serves the portal once the platform verifies it."""
        return service.add_domain(
            db_session(), tenant_principal(), require_tenant(), data["hostname"]
        )


@blp.route("/business-settings")
class BusinessSettings(MethodView):
    @blp.response(200, BusinessSettingsSchema)
    @requires(Permission.TENANT_READ)
    def get(self):
        """The tenant's business rules (overstock threshold, reorder-point inputs, ...)."""
        return business_settings(db_session())

    @blp.arguments(BusinessSettingsSchema)
    @blp.response(200, BusinessSettingsSchema)
    @requires(Permission.TENANT_MANAGE)
    def patch(self, data):
        """Change the rules named in the body; the others keep their values."""
        return update_business_settings(db_session(), tenant_principal(), data)


class TenantPageArgs(PageArgsSchema):
    status = fields.Enum(TenantStatus, by_value=True, load_default=None)


@platform_blp.route("/tenants")
class PlatformTenants(MethodView):
    @platform_blp.arguments(TenantPageArgs, location="query")
    @platform_blp.response(200, page_schema(TenantSchema))
    @platform_admin_required
    def get(self, args):
        """Every tenant of the platform."""
        query = select(Tenant)
        if args["status"] is not None:
            query = query.where(Tenant.status == args["status"])
        return paginate(
            db_session(),
            query,
            id_column=Tenant.id,
            sortable={"slug": Tenant.slug, "created_at": Tenant.created_at},
            default_sort="slug",
            **page_args(args),
        )

    @platform_blp.arguments(TenantCreateSchema)
    @platform_blp.response(201, TenantSchema)
    @platform_admin_required
    def post(self, data):
        """Onboard a brand: the tenant, its owner and its defaults, in one transaction."""
        return service.create_tenant(db_session(), current_principal(), **data).tenant


@platform_blp.route("/tenants/<int:tenant_id>")
class PlatformTenant(MethodView):
    @platform_blp.response(200, TenantSchema)
    @platform_admin_required
    def get(self, tenant_id: int):
        """One tenant."""
        return service.get_tenant(db_session(), tenant_id)


@platform_blp.route("/tenants/<int:tenant_id>/suspend")
class SuspendTenant(MethodView):
    @platform_blp.arguments(TenantStatusChangeSchema)
    @platform_blp.response(200, TenantSchema)
    @platform_admin_required
    def post(self, data, tenant_id: int):
        """Suspend a tenant: its console, portal and API answer 403 until reactivated."""
        return service.set_status(
            db_session(), current_principal(), tenant_id, TenantStatus.SUSPENDED, data["reason"]
        )


@platform_blp.route("/tenants/<int:tenant_id>/activate")
class ActivateTenant(MethodView):
    @platform_blp.arguments(TenantStatusChangeSchema)
    @platform_blp.response(200, TenantSchema)
    @platform_admin_required
    def post(self, data, tenant_id: int):
        """Reactivate a suspended tenant."""
        return service.set_status(
            db_session(), current_principal(), tenant_id, TenantStatus.ACTIVE, data["reason"]
        )


@platform_blp.route("/tenants/<int:tenant_id>/domains/<int:domain_id>/verify")
class VerifyDomain(MethodView):
    @platform_blp.response(200, DomainSchema)
    @platform_admin_required
    def post(self, tenant_id: int, domain_id: int):
        """Mark a custom domain verified once its DNS TXT record carries the token."""
        session = db_session()
        tenant = service.get_tenant(session, tenant_id)
        return service.verify_domain(session, current_principal(), tenant, domain_id)
