"""File storage behind a small interface, keyed by tenant.

Uploaded files (tenant logos today) are stored under a key
``<tenant_id>/<name>``; a reader always names the tenant it reads for and a
key of another tenant is refused like a missing file, so one tenant can never
be served another's file. :class:`LocalStorage` keeps files under
``settings.media_root``; ``DINGHUO_STORAGE_BACKEND`` picks the backend, so an
object store (S3, OSS) can replace it without touching the callers.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from dinghuo.config import Settings

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class StoredFileNotFound(LookupError):
    """No file under this key for this tenant (also for another tenant's key)."""


class Storage(Protocol):
    """What the platform needs from a file store."""

    def save(self, tenant_id: int, name: str, data: bytes) -> str:
        """Store ``data`` as ``name`` of the tenant, replacing it; returns the key."""

    def read(self, tenant_id: int, key: str) -> bytes:
        """The bytes under ``key``; :class:`StoredFileNotFound` unless the key is the tenant's."""

    def delete(self, tenant_id: int, key: str) -> None:
        """Remove ``key`` of the tenant; a missing file is not an error."""


def tenant_key(tenant_id: int, name: str) -> str:
    """The key of a tenant's file; names are plain file names, never paths."""
    if not _NAME_RE.match(name) or ".." in name:
        raise ValueError(f"not a plain file name: {name!r}")
    return f"{int(tenant_id)}/{name}"


def _name_of(tenant_id: int, key: str) -> str:
    prefix = f"{int(tenant_id)}/"
    name = key.removeprefix(prefix)
    if not key.startswith(prefix) or not _NAME_RE.match(name) or ".." in name:
        raise StoredFileNotFound(key)
    return name


class LocalStorage:
    """Files on the local disk, one directory per tenant under ``root``.

    Writes go to a temporary file first and are renamed into place, so a
    reader never sees half a file.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, tenant_id: int, name: str) -> Path:
        return self.root / str(int(tenant_id)) / name

    def save(self, tenant_id: int, name: str, data: bytes) -> str:
        key = tenant_key(tenant_id, name)
        path = self._path(tenant_id, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def read(self, tenant_id: int, key: str) -> bytes:
        path = self._path(tenant_id, _name_of(tenant_id, key))
        try:
            return path.read_bytes()
        except FileNotFoundError as error:
            raise StoredFileNotFound(key) from error

    def delete(self, tenant_id: int, key: str) -> None:
        try:
            name = _name_of(tenant_id, key)
        except StoredFileNotFound:
            return
        self._path(tenant_id, name).unlink(missing_ok=True)


BACKENDS: dict[str, Callable[[Settings], Storage]] = {
    "local": lambda settings: LocalStorage(settings.media_root),
}


def storage_for(settings: Settings) -> Storage:
    """The backend named by ``settings.storage_backend``."""
    try:
        factory = BACKENDS[settings.storage_backend]
    except KeyError:
        raise ValueError(
            f"unknown storage backend {settings.storage_backend!r}; known: {', '.join(BACKENDS)}"
        ) from None
    return factory(settings)
