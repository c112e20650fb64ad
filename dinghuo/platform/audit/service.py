"""Writing and reading the audit log.

Entries are written in the transaction of the change they describe, so a
rolled-back change leaves no entry and a committed one always has one. Each
entry carries the id of the request that caused it (``request_id_var`` is set
per request by :mod:`dinghuo.web`), so a log line and an entry can be joined.
"""

from __future__ import annotations

import datetime as dt
import enum
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Select, select

from dinghuo.db import TenantSession
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.auth.principal import Principal

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            v.value
            if isinstance(v, enum.Enum)
            else v
            if isinstance(v, int | float | bool | None)
            else str(v)
        )
        for k, v in details.items()
    }


def record(
    session: TenantSession,
    actor: Principal | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
    *,
    tenant_id: int | None = None,
) -> AuditEntry:
    """Append an entry for the bound tenant (or ``tenant_id``, for platform actions)."""
    entry = AuditEntry(
        actor_type=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        actor_label=actor.label if actor else "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=_jsonable(details or {}),
        request_id=request_id_var.get(),
    )
    if tenant_id is not None:
        entry.tenant_id = tenant_id
    session.add(entry)
    return entry


def entries_query(
    *,
    action: str | None = None,
    actor_type: str | None = None,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Select[AuditEntry]:
    """The bound tenant's entries matching every given filter (``until`` is exclusive).

    An ``action`` ending in ``.`` matches a family (``user.`` → every user action).
    """
    query = select(AuditEntry)
    if action is not None:
        query = query.where(
            AuditEntry.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditEntry.action == action
        )
    if actor_type is not None:
        query = query.where(AuditEntry.actor_type == actor_type)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if object_type is not None:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if until is not None:
        query = query.where(AuditEntry.created_at < until)
    return query
