"""Writing and reading the audit log.

Entries are written in the transaction of the change they describe, so a
rolled-back change leaves no entry and a committed one always has one.
"""

from __future__ import annotations

import enum
from contextvars import ContextVar
from typing import Any

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
