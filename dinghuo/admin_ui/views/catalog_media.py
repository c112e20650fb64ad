"""Product pictures at ``/media/products/<product_id>/images/<image_id>``.

For any signed-in user of the tenant (session or bearer token) who may see
the product: staff any product, a dealer's users only products they may
browse; everyone else gets the same 404 as for a missing picture. The bytes
are served with the type recorded at upload (checked from the content then)
and never sniffed or run by the browser.
"""

from __future__ import annotations

from flask import Response, current_app

from dinghuo.admin_ui.blueprint import bp
from dinghuo.core.catalog import images
from dinghuo.errors import NotFound
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.platform.storage import StoredFileNotFound
from dinghuo.web import db_session

MAX_AGE = 300


@bp.get("/media/products/<int:product_id>/images/<int:image_id>")
def media_product_image(product_id: int, image_id: int):
    """The picture, privately cacheable for a few minutes (its URL never changes content)."""
    image = images.get_image(db_session(), tenant_principal(), product_id, image_id)
    try:
        data = images.read_image(current_app.extensions["dinghuo.storage"], image)
    except StoredFileNotFound:
        raise NotFound("No such image.") from None
    response = Response(data, mimetype=image.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = f"private, max-age={MAX_AGE}"
    return response
