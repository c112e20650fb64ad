"""Users, sign-in and credentials. Plain functions over a session."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, select, update

from dinghuo.db import TenantSession, after_commit, utcnow
from dinghuo.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.models import (
    ApiToken,
    Invitation,
    OAuthClient,
    PlatformAdmin,
    PlatformToken,
    Role,
    User,
)
from dinghuo.platform.auth.passwords import hash_password, verify_password
from dinghuo.platform.auth.permissions import ROLE_PERMISSIONS, Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.notifications import send_email

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
INVITATION_TTL = dt.timedelta(days=7)
BAD_CREDENTIALS = "Email or password is incorrect."
# A bearer token's last use is written at most this often: a write per request
# would turn every read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_token_secret() -> str:
    """A bearer token's secret; the prefix lets secret scanners recognise leaked ones."""
    return "dht_" + new_secret()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.field(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")


def principal_for_user(user: User, token_id: int | None = None) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        label=user.email,
        tenant_id=user.tenant_id,
        role=user.role,
        dealer_id=user.dealer_id,
        permissions=ROLE_PERMISSIONS[user.role],
        token_id=token_id,
    )


def principal_for_platform_admin(admin: PlatformAdmin, token_id: int | None = None) -> Principal:
    return Principal(kind="platform_admin", id=admin.id, label=admin.email, token_id=token_id)


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: TenantSession,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    dealer_id: int | None = None,
) -> User:
    """Create a user of the bound tenant; dealer roles need a dealer, staff roles none."""
    email = _normalise_email(email)
    if role.is_staff and dealer_id is not None:
        raise ValidationFailed.field("dealer_id", "Staff users do not belong to a dealer.")
    if not role.is_staff and dealer_id is None:
        raise ValidationFailed.field("dealer_id", "Dealer users need a dealer.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed.field("email", "A user with this email already exists.")
    if password is not None:
        check_password_strength(password)
    user = User(
        email=email,
        name=name,
        role=role,
        dealer_id=dealer_id,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: TenantSession, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def authenticate_user(session: TenantSession, email: str, password: str) -> User:
    """The user whose credentials these are; one answer for every failure.

    An unknown e-mail is checked against a dummy hash, so it costs the same
    time as a wrong password. A successful sign-in is audited.
    """
    from dinghuo.core.crm.service import dealer_allows_access

    user = session.scalar(select(User).where(User.email == _normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    if (
        user is None
        or not ok
        or not user.is_active
        or not dealer_allows_access(session, user.dealer_id)
    ):
        log.info("sign-in refused", extra={"tenant_id": session.tenant_id})
        raise Unauthenticated(BAD_CREDENTIALS)
    user.last_login_at = utcnow()
    record(session, principal_for_user(user), "auth.login", "user", user.id)
    return user


def issue_token(
    session: TenantSession,
    *,
    ttl: dt.timedelta,
    user: User | None = None,
    client_id: int | None = None,
    scopes: list[str] | None = None,
    name: str = "",
    secret: str | None = None,
) -> tuple[str, ApiToken]:
    """A new bearer token; the secret is returned once and only its digest is kept.

    ``secret`` is given when another component (the OAuth2 server) generated it.
    """
    secret = secret or new_token_secret()
    token = ApiToken(
        token_hash=digest(secret),
        user_id=user.id if user else None,
        client_id=client_id,
        scopes=scopes,
        name=name,
        expires_at=utcnow() + ttl,
    )
    session.add(token)
    session.flush()
    return secret, token


def _owns(principal: Principal, token: ApiToken) -> bool:
    if principal.kind == "user":
        return token.user_id == principal.id
    return principal.kind == "client" and token.client_id == principal.id


def own_tokens_query(principal: Principal) -> Select[ApiToken]:
    """The principal's own tokens (a user's sign-ins, or a client's grants)."""
    if principal.kind == "user":
        return select(ApiToken).where(ApiToken.user_id == principal.id)
    if principal.kind == "client":
        return select(ApiToken).where(ApiToken.client_id == principal.id)
    raise PermissionDenied("Only tenant users and integration clients hold tokens here.")


def revoke_token(session: TenantSession, actor: Principal, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; anyone else's is NotFound (no oracle)."""
    token = session.get(ApiToken, token_id)
    if token is None or not _owns(actor, token):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, actor, "token.revoke", "api_token", token.id)
    return token


def logout(session: TenantSession, principal: Principal) -> None:
    """Sign out: revoke the token this request came with (if any) and audit it."""
    if principal.token_id is not None:
        token = session.get(ApiToken, principal.token_id)
        if token is not None and token.revoked_at is None:
            token.revoked_at = utcnow()
    record(session, principal, "auth.logout", principal.kind, principal.id)


def _revoke_tokens_where(session: TenantSession, *criteria: ColumnElement[bool]) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.tenant_id == session.tenant_id, ApiToken.revoked_at.is_(None), *criteria)
        .values(revoked_at=utcnow())
    )


def principal_for_token(session: TenantSession, secret: str) -> Principal | None:
    """Resolve a bearer token of the bound tenant; expired or revoked ones resolve to nothing.

    A token of another tenant is not found at all: the query is scoped to the
    bound tenant (and by RLS on PostgreSQL).
    """
    from dinghuo.core.crm.service import dealer_allows_access

    row = session.execute(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(secret))
    ).first()
    now = utcnow()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    principal: Principal | None = None
    if token.user_id is not None:
        if user is not None and user.is_active and dealer_allows_access(session, user.dealer_id):
            principal = principal_for_user(user, token_id=token.id)
    elif token.client_id is not None:
        client = session.get(OAuthClient, token.client_id)
        if client is not None and client.revoked_at is None:
            principal = principal_for_client(client, token.scopes or [], token_id=token.id)
    if principal is not None and (
        token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION
    ):
        token.last_used_at = now
    return principal


def principal_for_client(
    client: OAuthClient, scopes: Iterable[str], token_id: int | None = None
) -> Principal:
    """An integration client acting with ``scopes`` (names no longer defined grant nothing)."""
    known = {p.value for p in Permission}
    return Principal(
        kind="client",
        id=client.id,
        label=f"oauth:{client.client_id}",
        tenant_id=client.tenant_id,
        permissions=frozenset(Permission(s) for s in scopes if s in known),
        token_id=token_id,
    )


def create_platform_admin(
    session: TenantSession, email: str, name: str, password: str
) -> PlatformAdmin:
    email = _normalise_email(email)
    if session.scalar(select(PlatformAdmin.id).where(PlatformAdmin.email == email)):
        raise ValidationFailed.field("email", "A platform admin with this email already exists.")
    check_password_strength(password)
    admin = PlatformAdmin(email=email, name=name, password_hash=hash_password(password))
    session.add(admin)
    session.flush()
    return admin


def authenticate_platform_admin(session: TenantSession, email: str, password: str) -> PlatformAdmin:
    admin = session.scalar(
        select(PlatformAdmin).where(PlatformAdmin.email == _normalise_email(email))
    )
    if not verify_password(admin.password_hash if admin else None, password) or admin is None:
        raise Unauthenticated(BAD_CREDENTIALS)
    return admin


def issue_platform_token(
    session: TenantSession, admin: PlatformAdmin, ttl: dt.timedelta
) -> tuple[str, PlatformToken]:
    secret = "dhp_" + new_secret()
    token = PlatformToken(token_hash=digest(secret), admin_id=admin.id, expires_at=utcnow() + ttl)
    session.add(token)
    session.flush()
    return secret, token


def principal_for_platform_token(session: TenantSession, secret: str) -> Principal | None:
    token = session.scalar(select(PlatformToken).where(PlatformToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    admin = session.get(PlatformAdmin, token.admin_id)
    return principal_for_platform_admin(admin, token_id=token.id) if admin else None


def revoke_platform_token(session: TenantSession, token_id: int) -> None:
    token = session.get(PlatformToken, token_id)
    if token is not None:
        token.revoked_at = token.revoked_at or utcnow()


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    secret: str


def invite_user(
    session: TenantSession,
    actor: Principal,
    *,
    email: str,
    name: str,
    role: Role,
    dealer_id: int | None = None,
) -> IssuedInvitation:
    """Invite someone by e-mail; staff invite anyone, a dealer admin only their own buyers.

    Only an owner invites an owner, so an admin cannot raise anyone above
    themselves. The secret goes only into the e-mail (:func:`send_invitation`).
    """
    email = _normalise_email(email)
    if actor.can(Permission.USERS_MANAGE):
        if role == Role.OWNER and actor.role != Role.OWNER:
            raise PermissionDenied("Only an owner can invite another owner.")
    elif actor.can(Permission.OWN_DEALER_USERS_MANAGE):
        if role not in (Role.BUYER, Role.DEALER_ADMIN):
            raise PermissionDenied("Dealer admins invite only their own dealer's users.")
        dealer_id = actor.dealer_id
    else:
        raise PermissionDenied("You cannot invite users.")
    if role.is_staff:
        if dealer_id is not None:
            raise ValidationFailed.field("dealer_id", "Staff users do not belong to a dealer.")
    elif dealer_id is None:
        raise ValidationFailed.field("dealer_id", "Dealer users need a dealer.")
    else:
        from dinghuo.core.crm.service import get_dealer

        get_dealer(session, dealer_id)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed.field("email", "A user with this email already exists.")
    secret = new_secret()
    invitation = Invitation(
        token_hash=digest(secret),
        email=email,
        name=name,
        role=role,
        dealer_id=dealer_id,
        invited_by_id=actor.user_id,
        expires_at=utcnow() + INVITATION_TTL,
    )
    session.add(invitation)
    session.flush()
    record(
        session, actor, "user.invite", "invitation", invitation.id, {"email": email, "role": role}
    )
    return IssuedInvitation(invitation, secret)


def send_invitation(session: TenantSession, issued: IssuedInvitation, accept_url: str) -> None:
    """E-mail the link once the invitation is committed (embedded mode logs it).

    Sent after commit, so a rolled-back invitation never reaches anyone's inbox.
    """
    invitation = issued.invitation
    expires = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"Hello {invitation.name},\n\n"
        f"You are invited to Dinghuo. Choose your password here (valid until {expires}):\n"
        f"{accept_url}\n\n"
        f"您好 {invitation.name}，您被邀请加入订货平台。请在 {expires} 前打开上面的链接设置密码。\n"
    )
    after_commit(
        session,
        lambda: send_email(
            to=invitation.email, subject="You are invited to Dinghuo / 订货平台邀请", body=body
        ),
    )


def pending_invitations_query(actor: Principal) -> Select[Invitation]:
    """Invitations not yet accepted that the actor may see: all (staff) or their dealer's."""
    query = select(Invitation).where(Invitation.accepted_at.is_(None))
    if actor.can(Permission.USERS_MANAGE):
        return query
    if actor.can(Permission.OWN_DEALER_USERS_MANAGE):
        return query.where(Invitation.dealer_id == actor.dealer_id)
    raise PermissionDenied("This needs the permission: users:manage.")


def accept_invitation(session: TenantSession, secret: str, password: str) -> User:
    """Create the invited user with their chosen password; a link works once, for a week."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == digest(secret)).with_for_update()
    )
    if invitation is None or invitation.expires_at <= utcnow():
        raise NotFound("This invitation link is unknown or has expired.")
    if invitation.accepted_at is not None:
        raise Conflict("This invitation has already been used.")
    user = create_user(
        session,
        email=invitation.email,
        name=invitation.name,
        role=invitation.role,
        password=password,
        dealer_id=invitation.dealer_id,
    )
    invitation.accepted_at = utcnow()
    record(
        session,
        principal_for_user(user),
        "invitation.accept",
        "invitation",
        invitation.id,
        {"user_id": user.id},
    )
    return user


def set_user_active(session: TenantSession, actor: Principal, user_id: int, active: bool) -> User:
    """Activate or deactivate a user; deactivation also revokes every token they hold.

    Staff with users:manage change anyone but an owner (only owners change
    owners); a dealer admin changes only their own dealer's users.
    """
    user = get_user(session, user_id)
    if not actor.can(Permission.USERS_MANAGE):
        if not (
            actor.can(Permission.OWN_DEALER_USERS_MANAGE) and user.dealer_id == actor.dealer_id
        ):
            raise NotFound("No such user.")
    if user.role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied("Only an owner can activate or deactivate an owner.")
    if user.id == actor.user_id and not active:
        raise Conflict("You cannot deactivate yourself.")
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        _revoke_tokens_where(session, ApiToken.user_id == user.id)
    record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id)
    return user


@dataclass(frozen=True)
class IssuedClient:
    client: OAuthClient
    secret: str


def _checked_scopes(actor: Principal, scopes: Iterable[str]) -> list[str]:
    requested = sorted(set(scopes))
    if not requested:
        raise ValidationFailed.field("scopes", "Grant at least one scope.")
    known = {p.value for p in Permission}
    unknown = [s for s in requested if s not in known]
    if unknown:
        raise ValidationFailed.field("scopes", f"Unknown scopes: {', '.join(unknown)}.")
    beyond = [s for s in requested if not actor.can(Permission(s))]
    if beyond:
        reason = f"You cannot grant scopes you do not hold: {', '.join(beyond)}."
        raise PermissionDenied(reason, fields={"scopes": [reason]})
    return requested


def create_oauth_client(
    session: TenantSession, actor: Principal, *, name: str, scopes: Iterable[str]
) -> IssuedClient:
    """Register an integration; its secret is returned once and only its digest is kept.

    The client may be granted only scopes the registering admin holds, so an
    integration can never do more than the person who set it up.
    """
    if not actor.can(Permission.INTEGRATIONS_MANAGE):
        raise PermissionDenied("This needs the permission: integrations:manage.")
    if not name.strip():
        raise ValidationFailed.field("name", "Name the integration.")
    granted = _checked_scopes(actor, scopes)
    secret = "dhs_" + new_secret()
    client = OAuthClient(
        client_id="dhc_" + secrets.token_hex(12),
        client_secret_hash=digest(secret),
        name=name.strip(),
        scopes=granted,
        created_by_id=actor.user_id,
    )
    session.add(client)
    session.flush()
    record(
        session,
        actor,
        "oauth_client.create",
        "oauth_client",
        client.id,
        {"client_id": client.client_id, "name": client.name, "scopes": " ".join(granted)},
    )
    return IssuedClient(client, secret)


def get_oauth_client(session: TenantSession, client_pk: int) -> OAuthClient:
    client = session.get(OAuthClient, client_pk)
    if client is None:
        raise NotFound("No such integration client.")
    return client


def revoke_oauth_client(session: TenantSession, actor: Principal, client_pk: int) -> OAuthClient:
    """Revoke a client and every token it was issued; revoking twice changes nothing."""
    if not actor.can(Permission.INTEGRATIONS_MANAGE):
        raise PermissionDenied("This needs the permission: integrations:manage.")
    client = get_oauth_client(session, client_pk)
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        _revoke_tokens_where(session, ApiToken.client_id == client.id)
        record(
            session,
            actor,
            "oauth_client.revoke",
            "oauth_client",
            client.id,
            {"client_id": client.client_id},
        )
    return client


def find_active_client(session: TenantSession, client_id: str) -> OAuthClient | None:
    """The bound tenant's unrevoked client with this public id (another tenant's: None)."""
    return session.scalar(
        select(OAuthClient).where(
            OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None)
        )
    )


def client_secret_matches(client: OAuthClient, secret: str) -> bool:
    return hmac.compare_digest(digest(secret), client.client_secret_hash)


def issue_client_token(
    session: TenantSession,
    client: OAuthClient,
    *,
    secret: str,
    scopes: list[str],
    ttl: dt.timedelta,
) -> ApiToken:
    """Store a client-credentials token the OAuth2 server generated, and audit the grant."""
    granted = [s for s in scopes if s in client.scopes]
    _, token = issue_token(
        session,
        ttl=ttl,
        client_id=client.id,
        scopes=granted,
        name=f"oauth:{client.name}"[:100],
        secret=secret,
    )
    record(
        session,
        principal_for_client(client, granted, token_id=token.id),
        "oauth.token",
        "api_token",
        token.id,
        {"scopes": " ".join(granted)},
    )
    return token
