"""Per-tenant plugin enablement and settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dinghuo.db import Base, TenantScoped, utcnow


class PluginSetting(TenantScoped, Base):
    """Whether a tenant uses a plugin, and how it is configured.

    Secret fields live in ``secrets_ciphertext``, encrypted with a key bound to
    the tenant, so a ciphertext copied to another tenant's row does not decrypt.
    """

    __tablename__ = "plugin_settings"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets_ciphertext: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
