"""The signed-in user's notifications (``/notifications``): list, unread count, mark read."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from dinghuo.api.pagination import page_args, page_schema
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.platform.notifications import service
from dinghuo.platform.notifications.schemas import (
    NotificationListArgsSchema,
    NotificationSchema,
    ReadAllSchema,
    UnreadCountSchema,
)
from dinghuo.web import db_session

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/notifications",
    description="In-app notifications of the signed-in user",
)


@blp.route("")
class Notifications(MethodView):
    @blp.arguments(NotificationListArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(NotificationSchema))
    def get(self, args):
        """The user's notifications, newest first (``unread=true`` for the unread ones)."""
        return service.list_notifications(
            db_session(),
            tenant_principal(),
            unread=args["unread"],
            **page_args(args),
        )


@blp.route("/unread-count")
class UnreadCount(MethodView):
    @blp.response(200, UnreadCountSchema)
    def get(self):
        """How many notifications the user has not read (the number on the bell)."""
        return {"unread": service.unread_count(db_session(), tenant_principal())}


@blp.route("/<int:notification_id>/read")
class ReadNotification(MethodView):
    @blp.response(200, NotificationSchema)
    def post(self, notification_id: int):
        """Mark one notification read (another user's: 404)."""
        return service.mark_read(db_session(), tenant_principal(), notification_id)


@blp.route("/read-all")
class ReadAll(MethodView):
    @blp.response(200, ReadAllSchema)
    def post(self):
        """Mark every unread notification of the user read."""
        return {"marked": service.mark_all_read(db_session(), tenant_principal())}
