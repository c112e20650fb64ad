"""Files of the request's tenant: ``/media/logo`` serves its logo and nobody else's."""

from __future__ import annotations

from flask import Response, request

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.logo import MIME_TYPES, storage
from dinghuo.errors import NotFound
from dinghuo.platform.storage import StoredFileNotFound
from dinghuo.web import require_tenant

VERSIONED_MAX_AGE = 30 * 24 * 3600


@bp.get("/media/logo")
def media_logo():
    """The logo, cacheable for long when asked for by its versioned URL (``?v=<file name>``)."""
    tenant = require_tenant()
    key = tenant.logo_path
    mimetype = MIME_TYPES.get(key.rsplit(".", 1)[-1]) if key else None
    if key is None or mimetype is None:
        raise NotFound("This brand has no logo.")
    try:
        data = storage().read(tenant.id, key)
    except StoredFileNotFound:
        raise NotFound("This brand has no logo.") from None
    response = Response(data, mimetype=mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    versioned = request.args.get("v") == key.rsplit("/", 1)[-1]
    response.headers["Cache-Control"] = (
        f"public, max-age={VERSIONED_MAX_AGE}, immutable" if versioned else "no-cache"
    )
    return response
