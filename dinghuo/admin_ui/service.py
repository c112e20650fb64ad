"""Preferences a user sets from the UI (a plain function over a session, like every service)."""

from __future__ import annotations

from dinghuo.db import TenantSession
from dinghuo.errors import ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import get_user
from dinghuo.platform.tenants.service import LOCALES


def set_own_locale(session: TenantSession, actor: Principal, locale: str) -> User:
    """Remember the signed-in user's language, for every later sign-in and device."""
    if locale not in LOCALES:
        raise ValidationFailed.field("locale", f"Use one of: {', '.join(LOCALES)}.")
    if actor.kind != "user":
        raise ValidationFailed.field("locale", "Only users have a language of their own.")
    user = get_user(session, actor.id)
    if user.locale != locale:
        user.locale = locale
        record(session, actor, "user.locale", "user", user.id, {"locale": locale})
    return user
