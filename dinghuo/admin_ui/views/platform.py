"""Platform operators' pages on the base domain: tenants, onboarding, suspension."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import (
    LoginForm,
    ReasonForm,
    TenantCreateForm,
    attach_errors,
    load_with_schema,
)
from dinghuo.admin_ui.guards import platform_page
from dinghuo.admin_ui.security import safe_next, sign_in, sign_out
from dinghuo.admin_ui.views.auth import throttled
from dinghuo.errors import NotFound, Unauthenticated, ValidationFailed
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import authenticate_platform_admin
from dinghuo.platform.tenants import service as tenants
from dinghuo.platform.tenants.models import TenantStatus
from dinghuo.platform.tenants.schemas import TenantCreateSchema
from dinghuo.web import current_principal, current_tenant, db_session

# create_tenant names the owner's fields as create_user does; the form prefixes them.
OWNER_FIELDS = {"email": "owner_email", "password": "owner_password", "name": "owner_name"}


def _operator() -> Principal:
    """The signed-in platform operator (the page's guard has already checked)."""
    principal = current_principal()
    if principal is None or not principal.is_platform_admin:
        raise Unauthenticated("Sign in first.")
    return principal


def _base_domain_only() -> None:
    if current_tenant() is not None:
        raise NotFound("Not found.")


def tenant_console_url(slug: str) -> str:
    """Where a tenant's console lives, on this server's scheme and port."""
    from flask import current_app

    port = request.host.rsplit(":", 1)[1] if ":" in request.host else ""
    base = current_app.config["SETTINGS"].base_domain
    return f"{request.scheme}://{slug}.{base}{':' + port if port else ''}/console"


@bp.route("/platform/login", methods=["GET", "POST"])
@throttled
def platform_login():
    _base_domain_only()
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            admin = authenticate_platform_admin(
                db_session(), form.email.data or "", form.password.data or ""
            )
        except Unauthenticated:
            form.form_errors.append(_("Email or password is incorrect."))
            status = 401
        else:
            sign_in(platform_admin_id=admin.id)
            target = safe_next(form.next.data, url_for("ui.platform_home"))
            if not target.startswith("/platform"):
                target = url_for("ui.platform_home")
            return redirect(target)
    elif request.method == "POST":
        status = 422
    else:
        principal = current_principal()
        if principal is not None and principal.is_platform_admin:
            return redirect(url_for("ui.platform_home"))
    form.next.data = form.next.data or request.args.get("next", "")
    return render_template(
        "ui/login.html",
        form=form,
        heading=_("Platform operations"),
        subtitle=_("Sign in as a platform operator."),
        other_login=None,
        brand_link=url_for("ui.platform_login"),
    ), status


@bp.post("/platform/logout")
def platform_logout():
    _base_domain_only()
    sign_out()
    flash(_("You have signed out."), "success")
    return redirect(url_for("ui.platform_login"))


@bp.get("/platform")
@platform_page
def platform_home():
    """Every tenant with its status; suspend or reactivate with a reason."""
    return render_template(
        "ui/platform/tenants.html",
        tenants=tenants.list_tenants(db_session()),
        status_form=ReasonForm(formdata=None),
        console_url=tenant_console_url,
        TenantStatus=TenantStatus,
    )


@bp.route("/platform/tenants/new", methods=["GET", "POST"])
@platform_page
def platform_tenant_new():
    """Onboard a brand: the tenant and its owner, in one transaction."""
    form = TenantCreateForm()
    status = 200
    if form.validate_on_submit():
        data = load_with_schema(form, TenantCreateSchema(), form.FIELDS)
        if data is not None:
            try:
                onboarded = tenants.create_tenant(db_session(), _operator(), **data)
            except ValidationFailed as error:
                attach_errors(form, {OWNER_FIELDS.get(k, k): v for k, v in error.fields.items()})
            else:
                flash(
                    _("Tenant %(slug)s created.", slug=onboarded.tenant.slug),
                    "success",
                )
                return redirect(url_for("ui.platform_home"))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("ui/platform/tenant_new.html", form=form), status


def _change_status(tenant_id: int, status: TenantStatus):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("The reason is too long (at most 500 characters)."), "error")
        return redirect(url_for("ui.platform_home"))
    tenant = tenants.set_status(
        db_session(), _operator(), tenant_id, status, (form.reason.data or "").strip()
    )
    if status == TenantStatus.SUSPENDED:
        flash(_("%(slug)s is suspended.", slug=tenant.slug), "success")
    else:
        flash(_("%(slug)s is active again.", slug=tenant.slug), "success")
    return redirect(url_for("ui.platform_home"))


@bp.post("/platform/tenants/<int:tenant_id>/suspend")
@platform_page
def platform_tenant_suspend(tenant_id: int):
    return _change_status(tenant_id, TenantStatus.SUSPENDED)


@bp.post("/platform/tenants/<int:tenant_id>/activate")
@platform_page
def platform_tenant_activate(tenant_id: int):
    return _change_status(tenant_id, TenantStatus.ACTIVE)
