"""Background entry points of notifications: one job per event, then the e-mails.

:func:`dinghuo.platform.events.service.emit` enqueues :func:`notify_event`
in the transaction that writes an ``order.*``, ``shipment.*`` or ``return.*``
event. The job writes the in-app notifications (idempotent per event id) and,
only once they are committed, a follow-up job e-mails them, so a failed
e-mail is retried on its own without repeating the in-app ones. E-mails go
through :func:`~dinghuo.platform.notifications.email.send_email` (SMTP when
configured, the log in the embedded mode); delivery is at least once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dinghuo.platform.auth.models import User
from dinghuo.platform.jobs import JobContext
from dinghuo.platform.notifications.email import send_email
from dinghuo.platform.notifications.models import Notification
from dinghuo.platform.notifications.service import NOTIFIED_EVENTS, notify_for_event
from dinghuo.platform.tenants.models import Tenant

__all__ = ["NOTIFIED_EVENTS", "email_notifications", "notify_event"]


def notify_event(ctx: JobContext, event_id: int) -> dict[str, Any]:
    """Notify the people an event concerns; e-mail them once that is committed."""
    created = notify_for_event(ctx.session, event_id)
    if created:
        ctx.enqueue(email_notifications, [notice.id for notice in created])
    return {"notified": len(created)}


def email_notifications(ctx: JobContext, notification_ids: list[int]) -> dict[str, Any]:
    """E-mail each notification to its user, with a link to the page it is about."""
    session = ctx.session
    tenant = session.scalar(select(Tenant).where(Tenant.id == ctx.tenant_id))
    scheme = "https" if ctx.settings.secure_cookies else "http"
    root = f"{scheme}://{tenant.slug}.{ctx.settings.base_domain}" if tenant else ""
    rows = session.execute(
        select(Notification, User.email)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(notification_ids), User.is_active.is_(True))
        .order_by(Notification.id)
    ).all()
    for notice, email in rows:
        body = "\n\n".join(part for part in (notice.body, f"{root}{notice.link}") if part)
        send_email(to=email, subject=notice.title, body=body)
    return {"emailed": len(rows)}
