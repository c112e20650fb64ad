"""The tenant's background jobs (``/jobs``): status, and retrying failed ones."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from dinghuo.api.pagination import page_args, page_schema, paginate
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.platform.jobs import service
from dinghuo.platform.jobs.models import JobRun
from dinghuo.platform.jobs.schemas import JobListArgsSchema, JobSchema
from dinghuo.web import db_session

blp = Blueprint("jobs", __name__, url_prefix="/jobs", description="Background jobs of the tenant")


@blp.route("")
class Jobs(MethodView):
    @blp.arguments(JobListArgsSchema, location="query", unknown=RAISE)
    @blp.response(200, page_schema(JobSchema))
    @requires(Permission.JOBS_READ)
    def get(self, args):
        """The tenant's jobs, newest first, filtered by status and job function."""
        return paginate(
            db_session(),
            service.jobs_query(status=args["status"], name=args["name"]),
            id_column=JobRun.id,
            sortable={"created_at": JobRun.created_at},
            default_sort="-created_at",
            **page_args(args),
        )


@blp.route("/<string:job_id>")
class Job(MethodView):
    @blp.response(200, JobSchema)
    @requires(Permission.JOBS_READ)
    def get(self, job_id: str):
        """One job: status, attempts, error, result and times."""
        return service.get_job(db_session(), job_id)


@blp.route("/<string:job_id>/retry")
class RetryJob(MethodView):
    @blp.response(202, JobSchema)
    @requires(Permission.TENANT_MANAGE)
    def post(self, job_id: str):
        """Queue a failed job again with a fresh retry budget (409 unless it failed)."""
        return service.retry_job(db_session(), tenant_principal(), job_id)
