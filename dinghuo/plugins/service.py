"""Per-tenant plugin enablement and settings: the rules, over a session.

A tenant turns a plugin on and fills in the settings the plugin declares.
Every value is checked against its declared field, then the whole set by the
plugin's own ``dinghuo_validate_settings``, before anything is saved; an
unknown or bad field is named in the error. Secret fields are stored
encrypted (see :mod:`dinghuo.plugins.crypto`) and are write-only: reading a
plugin's configuration says whether each secret is set, never what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from dinghuo.db import TenantSession
from dinghuo.errors import Conflict, NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.tenants.models import Tenant
from dinghuo.plugins.compat import is_api_compatible
from dinghuo.plugins.crypto import SecretsUnreadable
from dinghuo.plugins.manager import LoadedPlugin, PluginHost, RefusedPlugin, TenantPlugins
from dinghuo.plugins.models import PluginSetting
from dinghuo.plugins.types import PluginInfo, SettingsField, TenantRef

SECRET_SET = "set"
SECRET_NOT_SET = "not set"
SECRET_UNREADABLE = "unreadable"
MAX_TEXT = 2000
VALIDATE_TIMEOUT = 2.0
"""Seconds a plugin may take to check its settings; a tenant is waiting on the form."""


@dataclass(frozen=True)
class PluginConfig:
    """One plugin as a tenant sees it: what it is, whether it is on, how it is set up."""

    info: PluginInfo
    source: str
    api_compatible: bool
    refused_reason: str | None
    enabled: bool
    settings: dict[str, Any]
    secrets: dict[str, str]
    settings_schema: tuple[SettingsField, ...]

    @property
    def name(self) -> str:
        return self.info.name


def _rows(session: TenantSession) -> dict[str, PluginSetting]:
    return {row.plugin: row for row in session.scalars(select(PluginSetting))}


def _row(session: TenantSession, name: str) -> PluginSetting | None:
    return session.scalar(select(PluginSetting).where(PluginSetting.plugin == name))


def _decrypt(host: PluginHost, row: PluginSetting) -> dict[str, Any]:
    if not row.secrets_ciphertext:
        return {}
    return host.secret_box.decrypt(row.tenant_id, row.plugin, row.secrets_ciphertext)


def _loaded_config(
    host: PluginHost, plugin: LoadedPlugin, row: PluginSetting | None
) -> PluginConfig:
    values = dict(row.settings) if row else {}
    secret_status = SECRET_NOT_SET
    try:
        secrets = _decrypt(host, row) if row else {}
    except SecretsUnreadable:
        secrets, secret_status = {}, SECRET_UNREADABLE
    shown: dict[str, Any] = {}
    status: dict[str, str] = {}
    for field in plugin.settings_schema:
        if field.secret:
            status[field.name] = SECRET_SET if field.name in secrets else secret_status
        else:
            shown[field.name] = values.get(field.name, field.default)
    return PluginConfig(
        info=plugin.info,
        source=plugin.source,
        api_compatible=True,
        refused_reason=None,
        enabled=bool(row and row.enabled),
        settings=shown,
        secrets=status,
        settings_schema=plugin.settings_schema,
    )


def _refused_config(refused: RefusedPlugin, info: PluginInfo) -> PluginConfig:
    return PluginConfig(
        info=info,
        source=refused.source,
        api_compatible=is_api_compatible(info.api_versions),
        refused_reason=refused.reason,
        enabled=False,
        settings={},
        secrets={},
        settings_schema=(),
    )


def _refused(host: PluginHost, name: str) -> RefusedPlugin | None:
    return next(
        (r for r in host.refused if r.info is not None and r.name == name and not host.get(name)),
        None,
    )


def list_plugins(session: TenantSession, host: PluginHost) -> list[PluginConfig]:
    """Every installed plugin, the refused ones included (they cannot be enabled)."""
    rows = _rows(session)
    configs = [_loaded_config(host, plugin, rows.get(plugin.name)) for plugin in host.plugins]
    seen = {c.name for c in configs}
    for refused in host.refused:
        if refused.info is not None and refused.name not in seen:
            configs.append(_refused_config(refused, refused.info))
            seen.add(refused.name)
    return sorted(configs, key=lambda c: c.name)


def get_plugin(session: TenantSession, host: PluginHost, name: str) -> PluginConfig:
    """One installed plugin as this tenant has it; NotFound for an unknown name."""
    plugin = host.get(name)
    if plugin is not None:
        return _loaded_config(host, plugin, _row(session, name))
    refused = _refused(host, name)
    if refused is not None and refused.info is not None:
        return _refused_config(refused, refused.info)
    raise NotFound("No such plugin.")


def configure_plugin(
    session: TenantSession,
    actor: Principal | None,
    host: PluginHost,
    name: str,
    *,
    enabled: bool,
    settings: Mapping[str, Any] | None = None,
) -> PluginConfig:
    """Turn a plugin on or off for the bound tenant and change some of its settings.

    ``settings`` is merged: a named field is set, a field given ``None`` (or
    an empty string) is cleared, a field not named keeps its value, so a
    secret need not be sent again. Enabling needs every required field set.
    """
    plugin = host.get(name)
    if plugin is None:
        refused = _refused(host, name)
        if refused is None:
            raise NotFound("No such plugin.")
        raise Conflict(f"This plugin cannot be used: {refused.reason}.")
    row = _row(session, name)
    values = dict(row.settings) if row else {}
    try:
        secrets = _decrypt(host, row) if row else {}
        readable = True
    except SecretsUnreadable:
        secrets, readable = {}, False
    errors: dict[str, list[str]] = {}
    secrets_changed = False
    for key, raw in (settings or {}).items():
        field = plugin.field(key)
        if field is None:
            errors[f"settings.{key}"] = ["Unknown setting of this plugin."]
            continue
        try:
            value = clean_value(field, raw)
        except ValueError as exc:
            errors[f"settings.{key}"] = [str(exc)]
            continue
        target = secrets if field.secret else values
        secrets_changed = secrets_changed or field.secret
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    if enabled:
        for field in plugin.settings_schema:
            present = field.name in (secrets if field.secret else values)
            if field.required and not present and field.default is None:
                errors.setdefault(
                    f"settings.{field.name}",
                    ["Required to enable this plugin."]
                    if readable or not field.secret
                    else ["The stored value cannot be decrypted any more; enter it again."],
                )
    if not errors and (enabled or settings):
        errors = _plugin_checks(host, plugin, values, secrets)
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    if row is None:
        row = PluginSetting(plugin=name, tenant_id=session.tenant_id)
        session.add(row)
    row.enabled = enabled
    row.settings = values
    if secrets_changed:
        row.secrets_ciphertext = (
            host.secret_box.encrypt(row.tenant_id, name, secrets) if secrets else None
        )
    record(
        session,
        actor,
        "plugin.configure",
        "plugin",
        name,
        {"enabled": enabled, "fields": ", ".join(sorted(settings or {}))},
    )
    session.flush()
    return _loaded_config(host, plugin, row)


def _plugin_checks(
    host: PluginHost, plugin: LoadedPlugin, values: Mapping[str, Any], secrets: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The plugin's own ``dinghuo_validate_settings`` verdict, as errors by ``settings.<field>``.

    Types say a value is a string; only the plugin knows that ``"A=5,B=3"``
    must be tier discounts. Its answer is contained like any plugin call: one
    that raises, hangs or answers garbage refuses the settings rather than
    letting them be saved unchecked.
    """
    merged = {f.name: f.default for f in plugin.settings_schema if f.default is not None}
    merged.update(values)
    merged.update(secrets)
    others = [p.plugin for p in host.plugins if p.name != plugin.name]
    outcomes = host.call_each(
        "dinghuo_validate_settings",
        exclude=others,
        settings={plugin.name: MappingProxyType(merged)},
        timeout=VALIDATE_TIMEOUT,
    )
    errors: dict[str, list[str]] = {}
    for outcome in outcomes:
        verdict = outcome.result if outcome.ok else None
        if not outcome.ok or not _is_verdict(verdict):
            errors["settings"] = ["The plugin could not check these settings; see the log."]
            continue
        for key, reason in (verdict or {}).items():
            target = f"settings.{key}" if plugin.field(key) is not None else "settings"
            errors.setdefault(target, []).append(reason)
    return errors


def _is_verdict(answer: Any) -> bool:
    return answer is None or (
        isinstance(answer, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) and v for k, v in answer.items())
    )


def clean_value(field: SettingsField, value: Any) -> Any:
    """``value`` checked and normalised for ``field``; ``None`` means "clear it".

    Raises ValueError with a reason fit to show the user.
    """
    if value is None:
        return None
    if field.type in ("string", "url", "choice"):
        if not isinstance(value, str):
            raise ValueError("Must be a string.")
        if not field.secret:
            value = value.strip()
        if value == "":
            return None
        if len(value) > MAX_TEXT:
            raise ValueError(f"At most {MAX_TEXT} characters.")
        if field.type == "url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
                raise ValueError("Must be an http:// or https:// URL.")
        if field.type == "choice" and value not in field.choices:
            raise ValueError(f"Must be one of: {', '.join(field.choices)}.")
        return value
    if field.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("Must be a whole number.")
        return value
    if not isinstance(value, bool):
        raise ValueError("Must be true or false.")
    return value


def tenant_plugins(session: TenantSession, host: PluginHost) -> TenantPlugins:
    """The bound tenant's enabled plugins with their settings, secrets decrypted.

    A plugin whose stored settings are no longer usable (secrets that do not
    decrypt, a required field added by a plugin upgrade) is listed as broken,
    so calls to it fail visibly and are retried once the tenant fixes it.
    """
    tenant = session.get(Tenant, session.tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    settings: dict[str, Mapping[str, Any]] = {}
    broken: dict[str, str] = {}
    for row in session.scalars(select(PluginSetting).where(PluginSetting.enabled.is_(True))):
        plugin = host.get(row.plugin)
        if plugin is None:
            continue
        try:
            secrets = _decrypt(host, row)
        except SecretsUnreadable as exc:
            broken[row.plugin] = f"{exc}; the tenant must enter them again"
            continue
        merged = {f.name: f.default for f in plugin.settings_schema if f.default is not None}
        merged.update(row.settings)
        merged.update(secrets)
        missing = [f.name for f in plugin.settings_schema if f.required and f.name not in merged]
        if missing:
            broken[row.plugin] = f"required setting {missing[0]!r} is not set"
            continue
        settings[row.plugin] = MappingProxyType(merged)
    return host.for_tenant(TenantRef(tenant.id, tenant.slug, tenant.name), settings, broken)


def has_enabled_plugins(session: TenantSession) -> bool:
    """Whether the bound tenant has any plugin on (cheap; asked on every event)."""
    query = select(PluginSetting.id).where(PluginSetting.enabled.is_(True)).limit(1)
    return session.scalar(query) is not None
