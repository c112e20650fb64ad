"""The request lifecycle: request id, tenant resolution, DB session, authentication.

Data flows one way: request → tenant resolution → auth → api/view → service
→ models → DB. Each request is one transaction, committed when the answer is
a success and rolled back otherwise.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, current_app, g, request
from flask import session as cookie

from dinghuo.core.crm.service import dealer_allows_access
from dinghuo.db import Database, TenantSession
from dinghuo.errors import NotFound, TenantSuspended, Unauthenticated
from dinghuo.platform.audit.service import request_id_var
from dinghuo.platform.auth.models import PlatformAdmin, User
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import (
    principal_for_platform_admin,
    principal_for_platform_token,
    principal_for_token,
    principal_for_user,
)
from dinghuo.platform.tenants.models import Tenant
from dinghuo.platform.tenants.resolution import resolve

TENANTLESS_PREFIXES = ("/static/", "/healthz", "/readyz", "/api/openapi.json", "/api/docs")


def get_db() -> Database:
    return current_app.extensions["dinghuo.db"]


def db_session() -> TenantSession:
    """The request's session, bound to the request's tenant."""
    if "db" not in g:
        g.db = get_db().session()
    return g.db


def current_tenant() -> Tenant | None:
    return g.get("tenant")


def require_tenant() -> Tenant:
    tenant = g.get("tenant")
    if tenant is None:
        raise NotFound("This address serves no tenant; use the tenant's own domain.")
    return tenant


def current_principal() -> Principal | None:
    return g.get("principal")


def _start_request() -> None:
    g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex
    request_id_var.set(g.request_id)
    g.tenant = None
    g.principal = None
    if request.path.startswith(TENANTLESS_PREFIXES):
        return
    session = db_session()
    settings = current_app.config["SETTINGS"]
    resolution = resolve(
        session,
        host=request.host,
        base_domain=settings.base_domain,
        tenant_header=request.headers.get("X-Tenant"),
    )
    tenant = resolution.tenant
    if tenant is not None:
        session.bind_tenant(tenant.id)
        g.tenant = tenant
        if not tenant.is_active:
            raise TenantSuspended(
                f"{tenant.display_name} is suspended on Dinghuo. Contact the brand for help."
            )
    g.principal = _authenticate(session, tenant)
    if g.principal is None and _bearer_secret() is not None:
        # Refused before anything reads the request: a caller without a valid
        # credential learns nothing from validation errors.
        raise Unauthenticated(
            "This bearer token is unknown, expired, revoked or not for this host."
        )


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _authenticate(session: TenantSession, tenant: Tenant | None) -> Principal | None:
    secret = _bearer_secret()
    if secret is not None:
        if tenant is None:
            return principal_for_platform_token(session, secret)
        return principal_for_token(session, secret)
    if tenant is None:
        admin_id = cookie.get("platform_admin_id")
        admin = session.get(PlatformAdmin, admin_id) if admin_id else None
        return principal_for_platform_admin(admin) if admin else None
    if cookie.get("tenant_id") != tenant.id:
        return None
    user_id = cookie.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None or not user.is_active or not dealer_allows_access(session, user.dealer_id):
        return None
    return principal_for_user(user)


def _finish_request(response: Response) -> Response:
    session: TenantSession | None = g.pop("db", None)
    if session is not None:
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def _close_session(_exc: BaseException | None) -> None:
    request_id_var.set(None)
    session: TenantSession | None = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()


def init_app(app: Flask) -> None:
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_close_session)
