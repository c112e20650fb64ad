"""Tenant logos: which uploads are accepted, and how they are stored and served.

Only PNG and JPEG, recognised by their content, never by the name or the
type the browser claims. SVG is refused: it is a document that can carry
script, and a logo is shown on every page of a tenant to every dealer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Flask, current_app

from dinghuo.admin_ui.messages import N_
from dinghuo.db import TenantSession, after_commit
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.storage import Storage
from dinghuo.platform.tenants.models import Tenant
from dinghuo.platform.tenants.service import set_logo

MAX_LOGO_BYTES = 1024 * 1024
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


@dataclass(frozen=True)
class LogoImage:
    data: bytes
    extension: str

    @property
    def mimetype(self) -> str:
        return MIME_TYPES[self.extension]


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text[:1024]


def check_logo(data: bytes) -> LogoImage:
    """The upload as a logo, or ValidationFailed on ``logo`` saying why not."""
    if not data:
        raise ValidationFailed.field("logo", N_("The file is empty."))
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationFailed.field("logo", N_("The logo must be at most 1 MB."))
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return LogoImage(data, "png")
    if data.startswith(b"\xff\xd8\xff"):
        return LogoImage(data, "jpg")
    if _looks_like_svg(data[:2048]):
        raise ValidationFailed.field("logo", N_("SVG is not accepted; upload a PNG or JPEG."))
    raise ValidationFailed.field("logo", N_("Upload a PNG or JPEG image."))


def storage(app: Flask | None = None) -> Storage:
    return (app or current_app).extensions["dinghuo.storage"]


def replace_logo(session: TenantSession, actor: Principal, tenant: Tenant, image: LogoImage) -> str:
    """Store the new logo under a name derived from its content and point the tenant at it.

    The old file is removed only once the change is committed; a rolled-back
    change leaves the new file unreferenced, never the tenant without a logo.
    """
    name = f"logo-{hashlib.sha256(image.data).hexdigest()[:16]}.{image.extension}"
    files = storage()
    previous = tenant.logo_path
    key = files.save(tenant.id, name, image.data)
    set_logo(session, actor, tenant, key)
    if previous and previous != key:
        tenant_id = tenant.id
        after_commit(session, lambda: files.delete(tenant_id, previous))
    return key
