"""Signing in and out of the console and the portal, the language switch, invitations.

One session cookie per tenant host carries ``tenant_id`` and ``user_id``
(:mod:`dinghuo.web` reads them back and rejects a cookie of another tenant).
Signing in starts a fresh session. Brand staff and dealers' users share the
cookie but not the pages: staff are refused at the portal's door, and a
dealer's user who signs in at the console is sent to the portal.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.errors import area_of_path, home_url
from dinghuo.admin_ui.forms import AcceptInvitationForm, LocaleForm, LoginForm, attach_errors
from dinghuo.admin_ui.security import safe_next, sign_in, sign_out
from dinghuo.admin_ui.service import set_own_locale
from dinghuo.errors import Unauthenticated, ValidationFailed
from dinghuo.platform.auth import service as auth
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.throttle import limiter, login_key, login_limit
from dinghuo.web import current_principal, db_session, require_tenant

throttled = limiter.limit(login_limit, key_func=login_key, methods=["POST"])


@dataclass(frozen=True)
class OtherLogin:
    text: str
    link: str
    url: str


def _next_within(area: str, default: str) -> str:
    """The requested ``next`` page if it lies in ``area``, else ``default``."""
    target = safe_next(request.values.get("next"), default)
    path = target.split("?", 1)[0]
    return target if area_of_path(path) == area and not path.startswith("/platform") else default


def _signed_in_home() -> str | None:
    principal = current_principal()
    if principal is None or principal.kind != "user":
        return None
    return url_for("ui.console_home" if principal.is_staff else "ui.portal_home")


def _authenticate(form: LoginForm) -> User | None:
    try:
        return auth.authenticate_user(db_session(), form.email.data or "", form.password.data or "")
    except Unauthenticated:
        form.form_errors.append(_("Email or password is incorrect."))
        return None


@bp.route("/console/login", methods=["GET", "POST"])
@throttled
def console_login():
    """Staff sign-in; a dealer's user signing in here lands in the portal."""
    tenant = require_tenant()
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = _authenticate(form)
        if user is not None:
            sign_in(tenant_id=tenant.id, user_id=user.id)
            if not user.is_staff:
                return redirect(url_for("ui.portal_home"))
            return redirect(_next_within("console", url_for("ui.console_home")))
        status = 401
    elif request.method == "POST":
        status = 422
    elif (home := _signed_in_home()) is not None:
        return redirect(home)
    form.next.data = form.next.data or request.args.get("next", "")
    return render_template(
        "ui/login.html",
        form=form,
        heading=_("Brand console"),
        subtitle=_("Sign in with your staff account."),
        other_login=OtherLogin(
            _("Ordering as a dealer?"), _("Go to the dealer portal"), url_for("ui.portal_login")
        ),
        brand_link=url_for("ui.console_login"),
    ), status


@bp.route("/login", methods=["GET", "POST"])
@throttled
def portal_login():
    """Dealer sign-in; brand staff are refused here and pointed to the console."""
    tenant = require_tenant()
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = _authenticate(form)
        if user is not None and user.is_staff:
            form.form_errors.append(
                _("This is the dealer portal. Brand staff sign in at the console.")
            )
            status = 403
        elif user is not None:
            sign_in(tenant_id=tenant.id, user_id=user.id)
            return redirect(_next_within("portal", url_for("ui.portal_home")))
        else:
            status = 401
    elif request.method == "POST":
        status = 422
    elif (home := _signed_in_home()) is not None:
        return redirect(home)
    form.next.data = form.next.data or request.args.get("next", "")
    return render_template(
        "ui/login.html",
        form=form,
        heading=_("Dealer portal"),
        subtitle=_("Sign in to order from %(name)s.", name=tenant.display_name),
        other_login=OtherLogin(
            _("Working for the brand?"), _("Sign in to the console"), url_for("ui.console_login")
        ),
        brand_link=url_for("ui.portal_login"),
    ), status


@bp.post("/logout")
def logout():
    """Sign out of the console or the portal (the session ends; the sign-out is audited)."""
    require_tenant()
    principal = current_principal()
    destination = url_for("ui.portal_login")
    if principal is not None and principal.kind == "user":
        if principal.is_staff:
            destination = url_for("ui.console_login")
        auth.logout(db_session(), principal)
    sign_out()
    flash(_("You have signed out."), "success")
    return redirect(destination)


@bp.post("/locale")
def switch_locale():
    """The language switch in every header: kept in the session and on the signed-in user."""
    form = LocaleForm()
    if form.validate_on_submit():
        locale = form.locale.data
        session["locale"] = locale
        principal = current_principal()
        if principal is not None and principal.kind == "user":
            set_own_locale(db_session(), principal, locale)
    area = area_of_path(safe_next(form.next.data, "/"))
    return redirect(safe_next(form.next.data, home_url(area)))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@throttled
def accept_invitation(token: str):
    """The page an invitation e-mail links to: the invitee chooses a password."""
    require_tenant()
    form = AcceptInvitationForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = auth.accept_invitation(db_session(), token, form.password.data or "")
        except ValidationFailed as error:
            attach_errors(form, error.fields)
            status = 422
        else:
            flash(_("Your account is ready. Sign in with your new password."), "success")
            return redirect(url_for("ui.console_login" if user.is_staff else "ui.portal_login"))
    elif request.method == "POST":
        status = 422
    return render_template("ui/invitation.html", form=form), status
