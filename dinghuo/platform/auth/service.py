"""Users, sign-in and credentials. Plain functions over a session."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.models import (
    ApiToken,
    Invitation,
    PlatformAdmin,
    PlatformToken,
    Role,
    User,
)
from dinghuo.platform.auth.passwords import hash_password, verify_password
from dinghuo.platform.auth.permissions import ROLE_PERMISSIONS, Permission
from dinghuo.platform.auth.principal import Principal

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
INVITATION_TTL = dt.timedelta(days=7)
BAD_CREDENTIALS = "Email or password is incorrect."


def new_secret() -> str:
    return secrets.token_urlsafe(32)


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
    """The user whose credentials these are; one answer for every failure."""
    from dinghuo.core.crm.service import dealer_allows_access

    user = session.scalar(select(User).where(User.email == _normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    if (
        user is None
        or not ok
        or not user.is_active
        or not dealer_allows_access(session, user.dealer_id)
    ):
        raise Unauthenticated(BAD_CREDENTIALS)
    user.last_login_at = utcnow()
    return user


def issue_token(
    session: TenantSession,
    *,
    ttl: dt.timedelta,
    user: User | None = None,
    client_id: int | None = None,
    scopes: list[str] | None = None,
    name: str = "",
) -> tuple[str, ApiToken]:
    """A new bearer token; the secret is returned once and only its digest is kept."""
    secret = "dht_" + new_secret()
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


def revoke_token(session: TenantSession, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("No such token.")
    token.revoked_at = token.revoked_at or utcnow()


def principal_for_token(session: TenantSession, secret: str) -> Principal | None:
    """Resolve a bearer token of the bound tenant; expired or revoked ones resolve to nothing."""
    from dinghuo.core.crm.service import dealer_allows_access
    from dinghuo.platform.auth.models import OAuthClient

    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.user_id is not None:
        user = session.get(User, token.user_id)
        if user is None or not user.is_active or not dealer_allows_access(session, user.dealer_id):
            return None
        return principal_for_user(user, token_id=token.id)
    client = session.get(OAuthClient, token.client_id) if token.client_id else None
    if client is None or client.revoked_at is not None:
        return None
    return Principal(
        kind="client",
        id=client.id,
        label=f"oauth:{client.client_id}",
        tenant_id=client.tenant_id,
        permissions=frozenset(Permission(s) for s in token.scopes or []),
        token_id=token.id,
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
    """Invite someone by e-mail; staff invite anyone, a dealer admin only their own buyers."""
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
        dealer_id = None
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


def accept_invitation(session: TenantSession, secret: str, password: str) -> User:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == digest(secret)))
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
    return user


def set_user_active(session: TenantSession, actor: Principal, user_id: int, active: bool) -> User:
    user = get_user(session, user_id)
    if not actor.can(Permission.USERS_MANAGE):
        if not (
            actor.can(Permission.OWN_DEALER_USERS_MANAGE) and user.dealer_id == actor.dealer_id
        ):
            raise NotFound("No such user.")
    if user.id == actor.user_id and not active:
        raise Conflict("You cannot deactivate yourself.")
    user.is_active = active
    record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id)
    return user
