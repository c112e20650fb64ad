"""Encryption at rest of plugin secrets (API keys, signing secrets).

AES-256-GCM with a key derived by HKDF-SHA256 from the platform's
``secret_key``. The tenant id and the plugin name are the associated data, so
a ciphertext copied into another tenant's row (or another plugin's) fails
authentication instead of decrypting: a database-level mix-up or a malicious
row copy cannot hand one tenant's credentials to another.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = "v1"
_HKDF_INFO = b"dinghuo/plugin-settings/v1"
_NONCE_BYTES = 12


class SecretsUnreadable(Exception):
    """Stored secrets do not decrypt: wrong key, wrong tenant or plugin, or tampered."""


class SecretBox:
    """Encrypts and decrypts one plugin's secrets for one tenant."""

    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(
            HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
                secret_key.encode()
            )
        )

    @staticmethod
    def _associated_data(tenant_id: int, plugin: str) -> bytes:
        return f"dinghuo:tenant={tenant_id}:plugin={plugin}".encode()

    def encrypt(self, tenant_id: int, plugin: str, secrets: dict[str, Any]) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        plaintext = json.dumps(secrets, sort_keys=True).encode()
        sealed = self._aead.encrypt(nonce, plaintext, self._associated_data(tenant_id, plugin))
        return f"{FORMAT_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, tenant_id: int, plugin: str, ciphertext: str) -> dict[str, Any]:
        version, _, body = ciphertext.partition(":")
        if version != FORMAT_VERSION:
            raise SecretsUnreadable(f"unknown secrets format {version!r}")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            plaintext = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._associated_data(tenant_id, plugin)
            )
        except (InvalidTag, ValueError) as exc:
            raise SecretsUnreadable(
                f"secrets of plugin {plugin!r} do not decrypt for tenant {tenant_id}"
            ) from exc
        return json.loads(plaintext)
