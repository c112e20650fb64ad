"""Sign-in, tokens, the current principal, users and invitations."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from dinghuo.api.pagination import PageArgsSchema, page_schema, paginate
from dinghuo.errors import NotFound, PermissionDenied, Unauthenticated
from dinghuo.platform.auth import service
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.schemas import (
    AcceptInvitationSchema,
    InvitationCreateSchema,
    InvitationSchema,
    LoginSchema,
    MeSchema,
    PlatformTokenSchema,
    TokenSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from dinghuo.platform.auth.throttle import limiter, login_key, login_limit
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.platform.notifications import send_email
from dinghuo.web import current_principal, current_tenant, db_session, require_tenant

log = logging.getLogger(__name__)
blp = Blueprint("auth", __name__, url_prefix="", description="Sign-in, tokens and users")


def _token_ttl() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["SETTINGS"].token_ttl_hours)


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [limiter.limit(login_limit, key_func=login_key, methods=["POST"])]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Exchange a tenant user's email and password for a bearer token."""
        require_tenant()
        session = db_session()
        user = service.authenticate_user(session, data["email"], data["password"])
        secret, token = service.issue_token(session, ttl=_token_ttl(), user=user, name="login")
        return {
            "token": secret,
            "token_type": "Bearer",
            "expires_at": token.expires_at,
            "user": user,
        }


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke the bearer token of this request."""
        principal = current_principal()
        if principal is None or principal.token_id is None:
            raise Unauthenticated("Sign in first.")
        if principal.is_platform_admin:
            service.revoke_platform_token(db_session(), principal.token_id)
        else:
            service.revoke_token(db_session(), principal.token_id)


@blp.route("/auth/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Who the credentials of this request belong to, and what they may do."""
        principal = tenant_principal()
        return {
            "kind": principal.kind,
            "id": principal.id,
            "label": principal.label,
            "role": principal.role.value if principal.role else None,
            "dealer_id": principal.dealer_id,
            "permissions": sorted(p.value for p in principal.permissions),
        }


@blp.route("/auth/invitations/accept")
class AcceptInvitation(MethodView):
    decorators = [limiter.limit(login_limit, key_func=login_key, methods=["POST"])]

    @blp.arguments(AcceptInvitationSchema)
    @blp.response(201, UserSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Set a password from an invitation link; the new user can then sign in."""
        require_tenant()
        return service.accept_invitation(db_session(), data["token"], data["password"])


class UserArgsSchema(UserListArgsSchema, PageArgsSchema):
    pass


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(UserArgsSchema, location="query")
    @blp.response(200, page_schema(UserSchema))
    def get(self, args):
        """Users of the tenant (staff), or of the caller's own dealer (dealer admin)."""
        principal = tenant_principal()
        query = select(User)
        if principal.can(Permission.USERS_READ):
            if args["dealer_id"] is not None:
                query = query.where(User.dealer_id == args["dealer_id"])
        elif principal.can(Permission.OWN_DEALER_USERS_MANAGE):
            query = query.where(User.dealer_id == principal.dealer_id)
        else:
            raise PermissionDenied("This needs the permission: users:read.")
        if args["role"] is not None:
            query = query.where(User.role == args["role"])
        return paginate(
            db_session(),
            query,
            id_column=User.id,
            sortable={"email": User.email, "created_at": User.created_at},
            default_sort="email",
            limit=args["limit"],
            cursor=args["cursor"],
            sort=args["sort"],
        )


@blp.route("/users/<int:user_id>")
class UserDetail(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id: int):
        """One user (staff), or one of the caller's own dealer's users (dealer admin)."""
        principal = tenant_principal()
        user = service.get_user(db_session(), user_id)
        if not principal.can(Permission.USERS_READ) and not (
            principal.can(Permission.OWN_DEALER_USERS_MANAGE)
            and user.dealer_id == principal.dealer_id
        ):
            raise NotFound("No such user.")
        return user

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id: int):
        """Activate or deactivate a user."""
        return service.set_user_active(db_session(), tenant_principal(), user_id, data["is_active"])


@blp.route("/users/invitations")
class Invitations(MethodView):
    @blp.arguments(InvitationCreateSchema)
    @blp.response(201, InvitationSchema)
    def post(self, data):
        """Invite a user by e-mail (the link is e-mailed; embedded mode writes it to the log)."""
        principal = tenant_principal()
        issued = service.invite_user(db_session(), principal, **data)
        url = (
            url_for("ui.accept_invitation", token=issued.secret, _external=True)
            if ("ui.accept_invitation" in current_app.view_functions)
            else f"/invitations/{issued.secret}"
        )
        send_email(
            to=issued.invitation.email,
            subject="You are invited to Dinghuo",
            body=f"Hello {issued.invitation.name},\n\nSet your password here: {url}\n",
        )
        invitation = issued.invitation
        return {
            "id": invitation.id,
            "email": invitation.email,
            "role": invitation.role.value,
            "dealer_id": invitation.dealer_id,
            "expires_at": invitation.expires_at,
            "accept_url": url,
        }


@blp.route("/platform/auth/login")
class PlatformLogin(MethodView):
    decorators = [limiter.limit(login_limit, key_func=login_key, methods=["POST"])]

    @blp.arguments(LoginSchema)
    @blp.response(200, PlatformTokenSchema)
    @blp.doc(security=[])
    def post(self, data):
        """A platform operator's sign-in, on the base domain only."""
        if current_tenant() is not None:
            raise NotFound("Not found.")
        session = db_session()
        admin = service.authenticate_platform_admin(session, data["email"], data["password"])
        secret, token = service.issue_platform_token(session, admin, _token_ttl())
        return {"token": secret, "token_type": "Bearer", "expires_at": token.expires_at}
