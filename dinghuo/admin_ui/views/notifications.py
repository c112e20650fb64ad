"""The bell and the notifications page, in the console and in the portal.

Both areas show the signed-in user's own notifications through
:mod:`dinghuo.platform.notifications.service`; opening one marks it read and
follows its link, "mark all as read" clears the bell.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, url_for

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.guards import console_page, portal_page
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.platform.notifications import service
from dinghuo.web import current_principal, db_session

PAGE_SIZE = 20


@bp.app_template_global()
def unread_notifications() -> int:
    """The number on the bell: the signed-in user's unread notifications (0 for others)."""
    principal = current_principal()
    if principal is None or principal.user_id is None or principal.is_platform_admin:
        return 0
    return service.unread_count(db_session(), principal)


def _page(endpoint: str):
    unread_only = request.args.get("show") == "unread"
    cursor = request.args.get("cursor") or None
    page = service.list_notifications(
        db_session(),
        tenant_principal(),
        unread=True if unread_only else None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    show = "unread" if unread_only else None
    return render_template(
        "ui/notifications.html",
        page=page,
        unread_only=unread_only,
        layout=f"ui/{g.ui_area}/layout.html",
        next_url=url_for(endpoint, cursor=page.next_cursor, show=show)
        if page.next_cursor
        else None,
        first_url=url_for(endpoint, show=show) if cursor else None,
        tab_urls={"all": url_for(endpoint), "unread": url_for(endpoint, show="unread")},
    )


def _open(notification_id: int, fallback: str):
    notice = service.mark_read(db_session(), tenant_principal(), notification_id)
    link = notice.link
    # Only a path on this host: a stored link never sends the user elsewhere.
    if not link.startswith("/") or link.startswith("//") or urlsplit(link).netloc:
        link = fallback
    return redirect(link)


def _read_all(endpoint: str):
    service.mark_all_read(db_session(), tenant_principal())
    return redirect(url_for(endpoint))


@bp.get("/console/notifications")
@console_page
def console_notifications():
    """The staff user's notifications, newest first."""
    return _page("ui.console_notifications")


@bp.post("/console/notifications/<int:notification_id>/open")
@console_page
def console_notification_open(notification_id: int):
    """Mark one read and go to what it is about."""
    return _open(notification_id, url_for("ui.console_notifications"))


@bp.post("/console/notifications/read-all")
@console_page
def console_notifications_read_all():
    return _read_all("ui.console_notifications")


@bp.get("/notifications")
@portal_page
def portal_notifications():
    """The dealer user's notifications, newest first."""
    return _page("ui.portal_notifications")


@bp.post("/notifications/<int:notification_id>/open")
@portal_page
def portal_notification_open(notification_id: int):
    """Mark one read and go to what it is about."""
    return _open(notification_id, url_for("ui.portal_notifications"))


@bp.post("/notifications/read-all")
@portal_page
def portal_notifications_read_all():
    return _read_all("ui.portal_notifications")
