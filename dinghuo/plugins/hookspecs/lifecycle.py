"""Lifecycle hooks: who a plugin is, what it needs configured, and start-up.

The host calls these on each plugin separately (not as one fan-out call), so
each answer is attributed to the plugin that gave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dinghuo.plugins.markers import hookspec
from dinghuo.plugins.types import HostInfo, PluginInfo, SettingsField


@hookspec
def dinghuo_plugin_info() -> PluginInfo:  # type: ignore[empty-body]
    """Name, version and supported plugin API range of this plugin.

    Required: a plugin without it is refused at load, as is one whose
    ``api_versions`` range excludes the host's ``PLUGIN_API_VERSION``.
    """


@hookspec
def dinghuo_settings_schema() -> list[SettingsField]:  # type: ignore[empty-body]
    """The settings a tenant fills in to use this plugin.

    Optional (no settings when absent). Values are validated against it field
    by field before they are saved; ``secret`` fields are encrypted at rest.
    """


@hookspec
def dinghuo_validate_settings(settings: Mapping[str, Any]) -> dict[str, str]:  # type: ignore[empty-body]
    """Problems with ``settings`` that field types cannot express, by field name.

    Optional. Called when a tenant saves or enables the plugin, after every
    value passed its field's type check, with the settings as the plugin
    would receive them (defaults filled in, secrets decrypted). Return an
    empty mapping when they are fine; otherwise nothing is saved and each
    reason is shown on its field. A plugin that raises or answers something
    other than a mapping of strings has the settings refused, not saved.
    """


@hookspec
def dinghuo_startup(host: HostInfo) -> None:
    """Called once when the platform starts (web process, worker, CLI).

    For process-wide preparation only; tenant work happens in the other hooks.
    An exception is logged with the plugin's name and does not stop the
    platform or the other plugins.
    """
