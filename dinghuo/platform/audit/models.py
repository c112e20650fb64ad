"""The append-only audit log.

Append-only is enforced twice, like tenancy: here in the ORM (a flush that
would update or delete an entry raises, and so does a bulk ``update()`` or
``delete()`` statement), and in PostgreSQL, where the app's role holds no
UPDATE or DELETE grant on the table (:func:`dinghuo.rls.grant_app_role`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from dinghuo.db import Base, TenantScoped, utcnow


class AuditEntry(TenantScoped, Base):
    """Who did what to which object, in which request. Never updated nor deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "tenant_id", "created_at"),
        Index("ix_audit_log_tenant_object", "tenant_id", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditLogIsAppendOnly(RuntimeError):
    """Code tried to change or remove an audit entry; only new entries may be written."""


@event.listens_for(Session, "before_flush")
def _refuse_rewriting_entries(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditLogIsAppendOnly("audit entries cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise AuditLogIsAppendOnly("audit entries cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_rewrites(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        m.class_ is AuditEntry for m in state.all_mappers
    ):
        raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")
