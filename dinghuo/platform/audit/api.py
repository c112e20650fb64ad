"""Reading the tenant's audit log (``/audit``), newest first."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from dinghuo.api.pagination import page_args, page_schema, paginate
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.audit.schemas import AuditEntrySchema, AuditListArgsSchema
from dinghuo.platform.audit.service import entries_query
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires
from dinghuo.web import db_session

blp = Blueprint("audit", __name__, url_prefix="/audit", description="The tenant's audit log")

FILTERS = ("action", "actor_type", "actor_id", "object_type", "object_id", "since", "until")


@blp.route("")
class AuditLog(MethodView):
    @blp.arguments(AuditListArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(AuditEntrySchema))
    @requires(Permission.AUDIT_READ)
    def get(self, args):
        """Who did what and when, filtered by action, actor, object and time.

        ``action=user.`` (trailing dot) matches a whole family of actions.
        """
        return paginate(
            db_session(),
            entries_query(**{name: args[name] for name in FILTERS}),
            id_column=AuditEntry.id,
            sortable={"created_at": AuditEntry.created_at},
            default_sort="-created_at",
            **page_args(args),
        )
