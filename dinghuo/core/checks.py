"""The checks every domain service starts with: who may, which row, which fields.

Services authorise the actor themselves (``actor=None`` is the system, which
has already authorised), load rows only through queries the tenant guard
filters, and refuse bad input by naming the field before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Select, select

from dinghuo.db import TenantSession
from dinghuo.errors import PermissionDenied, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

M = TypeVar("M")


def require(actor: Principal | None, permission: Permission) -> None:
    """Refuse an actor lacking ``permission``; the system (None) may do anything."""
    if actor is not None and not actor.can(permission):
        raise PermissionDenied(f"This needs the permission: {permission.value}.")


def load(session: TenantSession, model: type[M], object_id: Any) -> M | None:
    """One row of the bound tenant, always through a query the tenant guard filters.

    ``session.get`` may answer from the identity map without asking the guard.
    A value that is not an integer id finds nothing rather than failing in SQL.
    """
    if isinstance(object_id, bool) or not isinstance(object_id, int):
        return None
    query: Select[Any] = select(model).where(model.id == object_id)  # type: ignore[attr-defined]
    return session.scalar(query)


def reject_unknown(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for field in changes:
        if field not in allowed:
            raise ValidationFailed.field(field, "Unknown field.")


def text(field: str, value: Any, max_length: int, *, required: bool) -> str:
    """Stripped text of at most ``max_length`` characters (None counts as empty)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, "Must be text.")
    value = value.strip()
    if required and not value:
        raise ValidationFailed.field(field, "Required.")
    if len(value) > max_length:
        raise ValidationFailed.field(field, f"Use at most {max_length} characters.")
    return value
