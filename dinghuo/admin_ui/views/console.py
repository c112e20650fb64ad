"""The brand console: overview, users and invitations, tenant settings and logo."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui import queries
from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import (
    COMMON_TIME_ZONES,
    ActionForm,
    BrandingForm,
    BusinessSettingsForm,
    InviteForm,
    LogoForm,
    attach_errors,
    load_with_schema,
)
from dinghuo.admin_ui.guards import console_page
from dinghuo.admin_ui.logo import check_logo, replace_logo
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth import service as auth
from dinghuo.platform.auth.models import Role
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.platform.tenants.business import business_settings, update_business_settings
from dinghuo.platform.tenants.schemas import BrandingSchema
from dinghuo.platform.tenants.service import update_branding
from dinghuo.web import db_session, require_tenant

DEALER_ROLES = (Role.DEALER_ADMIN, Role.BUYER)


@bp.get("/console")
@console_page
def console_home():
    """The tenant at a glance: dealers, users and (for auditors) the latest changes."""
    principal = tenant_principal()
    session = db_session()
    entries = queries.recent_audit(session) if principal.can(Permission.AUDIT_READ) else None
    return render_template(
        "ui/console/home.html",
        summary=queries.tenant_summary(session),
        entries=entries,
        can=principal.can,
        Permission=Permission,
    )


INVITE_ROLE_ORDER = (
    Role.SALES,
    Role.WAREHOUSE,
    Role.FINANCE,
    Role.ADMIN,
    Role.OWNER,
    Role.DEALER_ADMIN,
    Role.BUYER,
)


def _invitable_roles() -> list[Role]:
    """Least powerful first, so the form's default grants little; owners only by owners."""
    principal = tenant_principal()
    return [r for r in INVITE_ROLE_ORDER if r != Role.OWNER or principal.role == Role.OWNER]


def _users_page(invite_form: InviteForm, status: int = 200):
    principal = tenant_principal()
    return render_template(
        "ui/console/users.html",
        rows=queries.users_with_dealers(db_session()),
        invite_form=invite_form,
        action_form=ActionForm(),
        can_manage=principal.can(Permission.USERS_MANAGE),
        me=principal.id,
        dealer_roles=" ".join(role.value for role in DEALER_ROLES),
    ), status


def _invite_form() -> InviteForm:
    form = InviteForm()
    form.set_choices(_invitable_roles(), queries.dealer_choices(db_session()))
    return form


@bp.get("/console/users")
@console_page
@requires(Permission.USERS_READ)
def users():
    """Every user of the brand: staff and dealers' buyers."""
    return _users_page(_invite_form())


@bp.post("/console/users")
@console_page
@requires(Permission.USERS_MANAGE)
def invite_user():
    """Invite someone by e-mail; the link is sent once the invitation is committed."""
    form = _invite_form()
    if not form.validate_on_submit():
        return _users_page(form, 422)
    role = Role(form.role.data)
    session = db_session()
    try:
        issued = auth.invite_user(
            session,
            tenant_principal(),
            email=form.email.data or "",
            name=form.name.data or "",
            role=role,
            dealer_id=form.dealer_id.data if role in DEALER_ROLES and form.dealer_id.data else None,
        )
    except ValidationFailed as error:
        attach_errors(form, error.fields)
        return _users_page(form, 422)
    accept_url = url_for("ui.accept_invitation", token=issued.secret, _external=True)
    auth.send_invitation(session, issued, accept_url)
    flash(_("Invitation sent to %(email)s.", email=issued.invitation.email), "success")
    return redirect(url_for("ui.users"))


@bp.post("/console/users/<int:user_id>/active")
@console_page
@requires(Permission.USERS_MANAGE)
def set_user_active(user_id: int):
    """Deactivate (or reactivate) a user: they can no longer sign in, their tokens stop working."""
    active = request.form.get("active") == "1"
    user = auth.set_user_active(db_session(), tenant_principal(), user_id, active)
    message = _("%(name)s can sign in again.") if active else _("%(name)s is deactivated.")
    flash(message % {"name": user.name}, "success")
    return redirect(url_for("ui.users"))


def _settings_page(
    branding_form: BrandingForm,
    logo_form: LogoForm,
    status: int = 200,
    rules_form: BusinessSettingsForm | None = None,
):
    if rules_form is None:
        rules_form = BusinessSettingsForm.for_settings(business_settings(db_session()))
    return render_template(
        "ui/console/settings.html",
        form=branding_form,
        logo_form=logo_form,
        rules_form=rules_form,
        tenant=require_tenant(),
        time_zones=COMMON_TIME_ZONES,
    ), status


@bp.get("/console/settings")
@console_page
@requires(Permission.TENANT_MANAGE)
def settings():
    """Branding, language and time zone of the tenant, and its logo."""
    return _settings_page(BrandingForm(obj=require_tenant()), LogoForm(formdata=None))


@bp.post("/console/settings")
@console_page
@requires(Permission.TENANT_MANAGE)
def save_settings():
    form = BrandingForm()
    changes = load_with_schema(form, BrandingSchema(), form.FIELDS) if form.validate() else None
    if changes is None:
        return _settings_page(form, LogoForm(formdata=None), 422)
    tenant = require_tenant()
    changed = {key: value for key, value in changes.items() if getattr(tenant, key) != value}
    if changed:
        update_branding(db_session(), tenant_principal(), tenant, changed)
    flash(_("Settings saved."), "success")
    return redirect(url_for("ui.settings"))


@bp.post("/console/settings/business")
@console_page
@requires(Permission.TENANT_MANAGE)
def save_business_settings():
    """The overstock threshold, the inputs of reorder points and the ordering rules."""
    form = BusinessSettingsForm()
    if form.validate():
        try:
            update_business_settings(db_session(), tenant_principal(), form.changes())
        except ValidationFailed as error:
            attach_errors(form, error.fields)
        else:
            flash(_("Business rules saved."), "success")
            return redirect(url_for("ui.settings"))
    tenant = require_tenant()
    return _settings_page(
        BrandingForm(formdata=None, obj=tenant), LogoForm(formdata=None), 422, form
    )


@bp.post("/console/settings/logo")
@console_page
@requires(Permission.TENANT_MANAGE)
def upload_logo():
    """Replace the logo; only PNG and JPEG up to 1 MB (never SVG: it can carry script)."""
    form = LogoForm()
    tenant = require_tenant()
    if form.validate_on_submit():
        try:
            image = check_logo(form.logo.data.read())
        except ValidationFailed as error:
            attach_errors(form, error.fields)
        else:
            replace_logo(db_session(), tenant_principal(), tenant, image)
            flash(_("Logo updated."), "success")
            return redirect(url_for("ui.settings"))
    return _settings_page(BrandingForm(formdata=None, obj=tenant), form, 422)
