"""Sign-in, tokens, the current principal, users, invitations and integration clients."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy import or_, select

from dinghuo.api.pagination import PageArgsSchema, page_args, page_schema, paginate
from dinghuo.db import utcnow
from dinghuo.errors import NotFound, PermissionDenied, Unauthenticated
from dinghuo.platform.auth import service
from dinghuo.platform.auth.models import ApiToken, Invitation, OAuthClient, User
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.schemas import (
    AcceptInvitationSchema,
    ApiTokenSchema,
    InvitationCreateSchema,
    InvitationSchema,
    LoginSchema,
    MeSchema,
    OAuthClientCreatedSchema,
    OAuthClientCreateSchema,
    OAuthClientListArgsSchema,
    OAuthClientSchema,
    PlatformTokenSchema,
    TokenListArgsSchema,
    TokenSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from dinghuo.platform.auth.throttle import limiter, login_key, login_limit
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import current_principal, current_tenant, db_session, require_tenant

log = logging.getLogger(__name__)
blp = Blueprint("auth", __name__, url_prefix="", description="Sign-in, tokens and users")
integrations_blp = Blueprint(
    "integrations",
    __name__,
    url_prefix="/integrations",
    description="OAuth2 clients of integrations (ERP, BI); they get tokens at POST /oauth/token",
)


def _token_ttl() -> dt.timedelta:
    return dt.timedelta(hours=current_app.config["SETTINGS"].token_ttl_hours)


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [limiter.limit(login_limit, key_func=login_key, methods=["POST"])]

    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[])
    def post(self, data):
        """Exchange a tenant user's email and password for a bearer token.

        A wrong password and an unknown e-mail get the very same answer.
        """
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
            service.logout(db_session(), principal)


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


@blp.route("/auth/tokens")
class Tokens(MethodView):
    @blp.arguments(TokenListArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(ApiTokenSchema))
    def get(self, args):
        """The caller's own tokens, newest first (never their secrets)."""
        query = service.own_tokens_query(tenant_principal())
        if args["active"] is not None:
            now = utcnow()
            usable = (ApiToken.revoked_at.is_(None)) & (ApiToken.expires_at > now)
            query = query.where(
                usable
                if args["active"]
                else or_(ApiToken.revoked_at.is_not(None), ApiToken.expires_at <= now)
            )
        return paginate(
            db_session(),
            query,
            id_column=ApiToken.id,
            sortable={"created_at": ApiToken.created_at, "expires_at": ApiToken.expires_at},
            default_sort="-created_at",
            **page_args(args),
        )


@blp.route("/auth/tokens/<int:token_id>")
class TokenDetail(MethodView):
    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke one of the caller's own tokens (anyone else's: 404)."""
        service.revoke_token(db_session(), tenant_principal(), token_id)


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
    @blp.arguments(UserArgsSchema, location="query", unknown=RAISE)
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
            **page_args(args),
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
        """Activate or deactivate a user; deactivating revokes their tokens."""
        return service.set_user_active(db_session(), tenant_principal(), user_id, data["is_active"])


@blp.route("/users/invitations")
class Invitations(MethodView):
    @blp.arguments(PageArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(InvitationSchema))
    def get(self, args):
        """Invitations not yet accepted (a dealer admin sees their own dealer's)."""
        return paginate(
            db_session(),
            service.pending_invitations_query(tenant_principal()),
            id_column=Invitation.id,
            sortable={"created_at": Invitation.created_at, "email": Invitation.email},
            default_sort="-created_at",
            **page_args(args),
        )

    @blp.arguments(InvitationCreateSchema)
    @blp.response(201, InvitationSchema)
    def post(self, data):
        """Invite a user by e-mail; the link goes only to the invitee.

        Embedded mode (no ``DINGHUO_SMTP_URL``) writes the e-mail to the log.
        """
        session = db_session()
        issued = service.invite_user(session, tenant_principal(), **data)
        service.send_invitation(session, issued, _accept_url(issued.secret))
        return issued.invitation


def _accept_url(secret: str) -> str:
    """The console's accept page when the UI is installed, else the same path on this host."""
    if "ui.accept_invitation" in current_app.view_functions:
        return url_for("ui.accept_invitation", token=secret, _external=True)
    return f"{request.host_url}invitations/{secret}"


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


@integrations_blp.route("/clients")
class OAuthClients(MethodView):
    @integrations_blp.arguments(OAuthClientListArgsSchema, location="query", unknown=RAISE)
    @integrations_blp.response(200, page_schema(OAuthClientSchema))
    @requires(Permission.INTEGRATIONS_MANAGE)
    def get(self, args):
        """The tenant's integration clients (never their secrets)."""
        query = select(OAuthClient)
        if args["revoked"] is not None:
            revoked = OAuthClient.revoked_at.is_not(None)
            query = query.where(revoked if args["revoked"] else ~revoked)
        return paginate(
            db_session(),
            query,
            id_column=OAuthClient.id,
            sortable={"created_at": OAuthClient.created_at, "name": OAuthClient.name},
            default_sort="-created_at",
            **page_args(args),
        )

    @integrations_blp.arguments(OAuthClientCreateSchema)
    @integrations_blp.response(201, OAuthClientCreatedSchema)
    @requires(Permission.INTEGRATIONS_MANAGE)
    def post(self, data):
        """Register a client; the answer holds its ``client_secret``, shown this once only.

        It may be granted only scopes the caller holds.
        """
        issued = service.create_oauth_client(db_session(), tenant_principal(), **data)
        shown = {name: getattr(issued.client, name) for name in OAuthClientSchema().fields}
        return {**shown, "client_secret": issued.secret}


@integrations_blp.route("/clients/<int:client_pk>")
class OAuthClientDetail(MethodView):
    @integrations_blp.response(200, OAuthClientSchema)
    @requires(Permission.INTEGRATIONS_MANAGE)
    def get(self, client_pk: int):
        """One integration client."""
        return service.get_oauth_client(db_session(), client_pk)

    @integrations_blp.response(204)
    @requires(Permission.INTEGRATIONS_MANAGE)
    def delete(self, client_pk: int):
        """Revoke the client and every token it holds (same as ``POST .../revoke``)."""
        service.revoke_oauth_client(db_session(), tenant_principal(), client_pk)


@integrations_blp.route("/clients/<int:client_pk>/revoke")
class RevokeOAuthClient(MethodView):
    @integrations_blp.response(200, OAuthClientSchema)
    @requires(Permission.INTEGRATIONS_MANAGE)
    def post(self, client_pk: int):
        """Revoke the client and every token it holds; answers the revoked client."""
        return service.revoke_oauth_client(db_session(), tenant_principal(), client_pk)
