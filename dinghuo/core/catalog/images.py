"""Product pictures: which uploads are accepted, their order, and where the bytes live.

Only PNG, JPEG and WebP, recognised by their content, never by the file name
or the type the browser claims (an SVG or HTML file renamed ``.png`` is
refused). Files are stored per tenant through :mod:`dinghuo.platform.storage`
under a random name, so two uploads never overwrite each other and a name
reveals nothing. The image with the lowest position is the main one; positions
stay 0..n-1. A removed image's file is deleted only once the change commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from dinghuo.core.catalog import rules
from dinghuo.core.catalog.models import Product, ProductImage
from dinghuo.core.catalog.service import get_product, managed_product, product_changed
from dinghuo.db import TenantSession, after_commit
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.storage import Storage

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGES_PER_PRODUCT = 20
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def sniff_image(data: bytes, field: str = "file") -> str:
    """The extension of an accepted picture, read from its bytes, or ValidationFailed."""
    if not data:
        raise ValidationFailed.field(field, "The file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationFailed.field(field, f"An image must be at most {_size(MAX_IMAGE_BYTES)}.")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise ValidationFailed.field(field, "Upload a PNG, JPEG or WebP image.")


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def _ordered(product: Product) -> list[ProductImage]:
    return sorted(product.images, key=lambda i: (i.position, i.id or 0))


def _renumber(images: Sequence[ProductImage]) -> None:
    for position, image in enumerate(images):
        if image.position != position:
            image.position = position


def list_images(
    session: TenantSession, actor: Principal | None, product_id: int
) -> list[ProductImage]:
    """A product's images, main first (a dealer: only of products it may browse)."""
    return _ordered(get_product(session, actor, product_id))


def get_image(
    session: TenantSession, actor: Principal | None, product_id: int, image_id: int
) -> ProductImage:
    """One image of a product ``actor`` may see, or NotFound."""
    product = get_product(session, actor, product_id)
    image = session.scalar(
        select(ProductImage).where(
            ProductImage.id == image_id, ProductImage.product_id == product.id
        )
    )
    if image is None:
        raise NotFound("No such image.")
    return image


def add_image(
    session: TenantSession,
    actor: Principal | None,
    product_id: int,
    data: bytes,
    *,
    files: Storage,
    alt: str = "",
) -> ProductImage:
    """Store an uploaded picture as the product's last image (the main one if it is the first)."""
    product = managed_product(session, actor, product_id)
    extension = sniff_image(data)
    alt = rules.name("alt", alt, 200, required=False)
    images = _ordered(product)
    if len(images) >= MAX_IMAGES_PER_PRODUCT:
        raise ValidationFailed.field(
            "file", f"A product has at most {MAX_IMAGES_PER_PRODUCT} images."
        )
    name = f"product-{product.id}-{uuid.uuid4().hex}.{extension}"
    key = files.save(product.tenant_id, name, data)
    image = ProductImage(
        storage_key=key, content_type=IMAGE_TYPES[extension], position=len(images), alt=alt
    )
    product.images.append(image)
    session.flush()
    product_changed(session, actor, product, ["images"])
    return image


def update_image(
    session: TenantSession,
    actor: Principal | None,
    product_id: int,
    image_id: int,
    *,
    alt: str | None = None,
    position: int | None = None,
) -> ProductImage:
    """Change an image's alt text or move it (``position: 0`` makes it the main image)."""
    product = managed_product(session, actor, product_id)
    image = get_image(session, actor, product.id, image_id)
    changed = []
    if alt is not None:
        alt = rules.name("alt", alt, 200, required=False)
        if alt != image.alt:
            image.alt = alt
            changed.append("alt")
    if position is not None:
        position = rules.integer("position", position, minimum=0, maximum=MAX_IMAGES_PER_PRODUCT)
        others = [i for i in _ordered(product) if i.id != image.id]
        others.insert(min(position, len(others)), image)
        if [i.id for i in others] != [i.id for i in _ordered(product)]:
            _renumber(others)
            changed.append("order")
    if changed:
        product_changed(session, actor, product, ["images"])
    return image


def reorder_images(
    session: TenantSession, actor: Principal | None, product_id: int, image_ids: Sequence[int]
) -> list[ProductImage]:
    """Put the product's images in the order of ``image_ids`` (all of them, once); first is main."""
    product = managed_product(session, actor, product_id)
    images = {i.id: i for i in product.images}
    if len(set(image_ids)) != len(image_ids) or sorted(image_ids) != sorted(images):
        raise ValidationFailed.field("image_ids", "List every image of this product exactly once.")
    ordered = [images[i] for i in image_ids]
    if ordered != _ordered(product):
        _renumber(ordered)
        product_changed(session, actor, product, ["images"])
    return ordered


def delete_image(
    session: TenantSession,
    actor: Principal | None,
    product_id: int,
    image_id: int,
    *,
    files: Storage,
) -> None:
    """Remove an image; the next one becomes main if it was. The file goes once committed."""
    product = managed_product(session, actor, product_id)
    image = get_image(session, actor, product.id, image_id)
    product.images.remove(image)
    _renumber(_ordered(product))
    tenant_id, key = product.tenant_id, image.storage_key
    after_commit(session, lambda: files.delete(tenant_id, key))
    product_changed(session, actor, product, ["images"])


def read_image(files: Storage, image: ProductImage) -> bytes:
    """The stored bytes of an image (the caller has authorised it with :func:`get_image`)."""
    return files.read(image.tenant_id, image.storage_key)
