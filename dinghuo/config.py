"""Settings from ``DINGHUO_*`` environment variables, with embedded defaults.

The defaults are chosen so a fresh machine with Python only runs the whole
platform: an SQLite file under ``instance/`` and jobs executed inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

INSTANCE_DIR = Path.cwd() / "instance"


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'dinghuo.db'}"


class Settings(BaseSettings):
    """Every knob of the platform; ``DINGHUO_<NAME>`` sets ``<name>``."""

    model_config = SettingsConfigDict(env_prefix="DINGHUO_", extra="forbid")

    database_url: str = Field(default_factory=_default_database_url)
    migration_database_url: str | None = Field(
        default=None,
        description="Owner connection used by migrations; defaults to database_url.",
    )
    app_db_role: str | None = Field(
        default=None,
        description="PostgreSQL role the app connects as; migrations grant it table access.",
    )
    redis_url: str | None = None
    secret_key: str = "dinghuo-dev-secret-change-me"
    base_domain: str = "localhost"
    instance_dir: Path = INSTANCE_DIR
    media_dir: Path | None = None
    storage_backend: str = Field(
        default="local",
        description="Where uploaded files go (dinghuo.platform.storage.BACKENDS); local: media_root.",
    )
    token_ttl_hours: int = 24 * 30
    login_rate_limit: str = "10 per minute"
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    job_timeout_seconds: int = 300
    job_max_retries: int = 3
    job_retry_backoff_seconds: int = Field(
        default=10, ge=0, description="First retry delay; each later retry doubles it."
    )
    log_json: bool = True
    log_level: str = "INFO"
    smtp_url: str | None = None
    testing: bool = False
    autoload_plugins: bool = True
    web_workers: int = 2
    web_threads: int = 4
    bind: str = "127.0.0.1:5000"
    proxy_hops: int = Field(
        default=0,
        description="Reverse proxies in front of the app whose X-Forwarded-* headers to trust.",
    )
    secure_cookies: bool = Field(
        default=False, description="Send session cookies over HTTPS only (set in production)."
    )

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def media_root(self) -> Path:
        return self.media_dir or self.instance_dir / "media"


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Read the environment, then apply explicit overrides (tests, the CLI)."""
    return Settings(**(overrides or {}))
