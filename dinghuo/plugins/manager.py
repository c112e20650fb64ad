"""The plugin host: loading, refusing, enabling per tenant, and calling plugins safely.

Built-in plugins (:data:`DEFAULT_PLUGINS`) register through exactly the same
path as third-party ones found in the ``dinghuo`` entry-point group. A plugin
that cannot be imported, is missing its info, declares an incompatible API
range, misspells a hook or raises while describing itself is *refused*: logged
with its name and listed by ``dinghuo plugins list``, while the platform and
the other plugins carry on.

Calls go through :meth:`TenantPlugins.hook` (a pluggy subset caller without
the plugins the tenant has not enabled) or, where one plugin's failure must
not affect the others, :meth:`TenantPlugins.call_each`, which calls every
implementation on its own, with its own settings, an optional time limit and
its errors captured.
"""

from __future__ import annotations

import importlib
import logging
import threading
import weakref
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any

import pluggy
from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dinghuo.plugins.compat import PLUGIN_API_VERSION, IncompatiblePlugin, check_api_compatible
from dinghuo.plugins.crypto import SecretBox
from dinghuo.plugins.hookspecs import SURFACES
from dinghuo.plugins.markers import PROJECT_NAME
from dinghuo.plugins.types import HostInfo, PluginInfo, SettingsField, TenantRef

log = logging.getLogger(__name__)

DEFAULT_PLUGINS: tuple[str, ...] = (
    "dinghuo.plugins.webhooks",
    "dinghuo.plugins.logistics.manual",
    "dinghuo.plugins.logistics.flat_rate",
    "dinghuo.plugins.logistics.kuaidi100",
    "dinghuo.plugins.pricing.tier_discount",
    "dinghuo.plugins.pricing.contract_price",
)
"""Built-in plugins, by module; loaded like any third-party plugin."""

ENTRY_POINT_GROUP = "dinghuo"
BUILTIN = "built-in"


class PluginRefused(Exception):
    """A plugin was not loaded; ``refusal`` says which and why."""

    def __init__(self, refusal: RefusedPlugin) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class PluginTimeout(Exception):
    """A plugin did not answer within the time the host allows a call."""


@dataclass(frozen=True)
class LoadedPlugin:
    """A plugin that passed every load check."""

    info: PluginInfo
    source: str
    settings_schema: tuple[SettingsField, ...]
    plugin: object = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.info.name

    def field(self, name: str) -> SettingsField | None:
        return next((f for f in self.settings_schema if f.name == name), None)


@dataclass(frozen=True)
class RefusedPlugin:
    """A plugin that was found but not loaded, with the reason an operator needs."""

    name: str
    source: str
    reason: str
    info: PluginInfo | None = None


@dataclass(frozen=True)
class HookOutcome:
    """What one plugin's implementation of a hook did in one call."""

    plugin: str
    result: Any = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def dinghuo_version() -> str:
    try:
        return version("dinghuo")
    except PackageNotFoundError:
        return "0+unknown"


class PluginHost:
    """One app's plugin manager, with the plugins it loaded and those it refused."""

    def __init__(self, secret_key: str) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        for surface in SURFACES:
            self.pm.add_hookspecs(surface)
        self.secret_box = SecretBox(secret_key)
        self._loaded: dict[str, LoadedPlugin] = {}
        self.refused: list[RefusedPlugin] = []

    # -- loading ---------------------------------------------------------------

    @property
    def plugins(self) -> list[LoadedPlugin]:
        return sorted(self._loaded.values(), key=lambda p: p.name)

    def get(self, name: str) -> LoadedPlugin | None:
        return self._loaded.get(name)

    def load_builtins(self, modules: Iterable[str] = DEFAULT_PLUGINS) -> None:
        for dotted in modules:
            try:
                module = importlib.import_module(dotted)
            except Exception as exc:
                reason = f"plugin {dotted!r}: import failed: {exc!r}"
                self._refuse(RefusedPlugin(dotted, BUILTIN, reason))
                continue
            self.load(module, source=BUILTIN, label=dotted)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Load every plugin a pip-installed package declares in ``group``."""
        for entry_point in entry_points(group=group):
            dist = entry_point.dist
            source = f"entry point {entry_point.name} = {entry_point.value}" + (
                f" ({dist.name} {dist.version})" if dist is not None else ""
            )
            try:
                plugin = entry_point.load()
            except Exception as exc:
                self._refuse(
                    RefusedPlugin(
                        entry_point.name,
                        source,
                        f"plugin {entry_point.name!r}: import of {entry_point.value} failed: "
                        f"{exc!r}",
                    )
                )
                continue
            self.load(plugin, source=source, label=entry_point.name)

    def load(self, plugin: object, *, source: str, label: str | None = None) -> LoadedPlugin | None:
        """Register ``plugin``, or record and log why not; never raises for a bad plugin."""
        try:
            return self.register(plugin, source=source, label=label)
        except PluginRefused as refused:
            self._refuse(refused.refusal)
            return None

    def _refuse(self, refusal: RefusedPlugin) -> None:
        log.error("plugin refused: %s [%s]", refusal.reason, refusal.source)
        self.refused.append(refusal)

    def register(self, plugin: object, *, source: str, label: str | None = None) -> LoadedPlugin:
        """Check and register one plugin; raise :class:`PluginRefused` if it may not load."""
        label = label or str(getattr(plugin, "__name__", type(plugin).__name__))
        info: PluginInfo | None = None
        try:
            info = _describe(plugin, label)
            if info.name in self._loaded:
                raise _Refusal(
                    f"the name is already taken by the plugin from {self._loaded[info.name].source}"
                )
            try:
                self.pm.register(plugin, name=info.name)
            except (pluggy.PluginValidationError, ValueError) as exc:
                raise _Refusal(" ".join(str(exc).split())) from exc
            try:
                self._check_hooks(plugin)
                schema = _settings_schema(plugin)
            except _Refusal:
                self.pm.unregister(plugin)
                raise
        except _Refusal as refusal:
            info = info or refusal.info
            name = info.name if info else label
            raise PluginRefused(
                RefusedPlugin(name, source, f"plugin {name!r}: {refusal}", info)
            ) from refusal
        loaded = LoadedPlugin(info, source, schema, plugin)
        self._loaded[info.name] = loaded
        return loaded

    def unregister(self, name: str) -> None:
        loaded = self._loaded.pop(name)
        self.pm.unregister(loaded.plugin)

    def _check_hooks(self, plugin: object) -> None:
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise _Refusal(
                f"{exc} (a misspelt hook name, or a hook of a newer plugin API?)"
            ) from exc
        for caller in self.pm.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                    raise _Refusal(
                        f"{caller.name} is a hook wrapper; wrappers are not part of the "
                        "Dinghuo plugin API"
                    )

    # -- running ---------------------------------------------------------------

    def start(self, host: HostInfo) -> list[HookOutcome]:
        """Final hook check, then each plugin's ``dinghuo_startup``, failures contained."""
        self.pm.check_pending()
        return self.call_each("dinghuo_startup", host=host)

    def call_each(
        self,
        hook_name: str,
        *,
        exclude: Collection[object] = (),
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        broken: Mapping[str, str] | None = None,
        skip: Collection[str] = (),
        timeout: float | None = None,
        **kwargs: Any,
    ) -> list[HookOutcome]:
        """Call each implementation of ``hook_name`` on its own, in pluggy's order.

        ``exclude`` removes plugins (by object) as ``subset_hook_caller`` does;
        ``skip`` removes them by name without it being an error. A plugin named
        in ``broken`` is not called and gets that reason as its error. The
        ``settings`` argument, when the implementation asks for it, is the
        plugin's own entry of ``settings``. An exception, or running past
        ``timeout`` seconds, becomes the outcome's ``error``, logged with the
        plugin's name; it never reaches the caller or the other plugins.
        """
        caller = self.pm.subset_hook_caller(hook_name, remove_plugins=exclude)
        outcomes = []
        for impl in reversed(caller.get_hookimpls()):
            name = impl.plugin_name
            if name in skip:
                continue
            if broken and name in broken:
                error = RuntimeError(broken[name])
                log.error("plugin %s not called for %s: %s", name, hook_name, broken[name])
                outcomes.append(HookOutcome(name, error=error))
                continue
            available = {**kwargs, "settings": (settings or {}).get(name, {})}
            arguments = {arg: available[arg] for arg in impl.argnames}
            try:
                result = _call_with_timeout(impl.function, arguments, timeout, name)
            except Exception as exc:
                log.error("plugin %s failed in %s: %r", name, hook_name, exc, exc_info=exc)
                outcomes.append(HookOutcome(name, error=exc))
            else:
                outcomes.append(HookOutcome(name, result=result))
        return outcomes

    def for_tenant(
        self,
        tenant: TenantRef,
        settings: Mapping[str, Mapping[str, Any]],
        broken: Mapping[str, str] | None = None,
    ) -> TenantPlugins:
        """The view of this host one tenant has: only the plugins it enabled."""
        return TenantPlugins(self, tenant, dict(settings), dict(broken or {}))


class _Refusal(Exception):
    """Why a plugin may not load (wrapped into :class:`PluginRefused` with its name)."""

    def __init__(self, reason: str, info: PluginInfo | None = None) -> None:
        super().__init__(reason)
        self.info = info


def _describe(plugin: object, label: str) -> PluginInfo:
    describe = getattr(plugin, "dinghuo_plugin_info", None)
    if describe is None or not callable(describe):
        raise _Refusal(
            "it has no dinghuo_plugin_info hook; every plugin must declare its name, "
            "version and api_versions"
        )
    try:
        info = describe()
    except Exception as exc:
        raise _Refusal(f"dinghuo_plugin_info raised {exc!r}") from exc
    if not isinstance(info, PluginInfo):
        raise _Refusal(f"dinghuo_plugin_info returned {type(info).__name__}, not PluginInfo")
    try:
        check_api_compatible(info.api_versions)
    except IncompatiblePlugin as exc:
        raise _Refusal(str(exc), info) from exc
    return info


def _settings_schema(plugin: object) -> tuple[SettingsField, ...]:
    declare = getattr(plugin, "dinghuo_settings_schema", None)
    if declare is None:
        return ()
    try:
        fields = tuple(declare())
    except Exception as exc:
        raise _Refusal(f"dinghuo_settings_schema raised {exc!r}") from exc
    names = [f.name for f in fields if isinstance(f, SettingsField)]
    if len(names) != len(fields) or len(set(names)) != len(names):
        raise _Refusal(
            "dinghuo_settings_schema must return SettingsField objects with distinct names"
        )
    return fields


def _call_with_timeout(
    function: Any, arguments: dict[str, Any], timeout: float | None, plugin: str
) -> Any:
    if timeout is None:
        return function(**arguments)
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = function(**arguments)
        except Exception as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"dinghuo-plugin-{plugin}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise PluginTimeout(f"plugin {plugin!r} did not answer within {timeout:g}s")
    if "error" in box:
        raise box["error"]
    return box.get("result")


@dataclass(frozen=True)
class TenantPlugins:
    """The plugins one tenant enabled, with their settings (secrets decrypted).

    ``broken`` holds enabled plugins whose stored settings cannot be used
    (secrets that no longer decrypt): calling them fails loudly instead of
    quietly running them unconfigured.
    """

    host: PluginHost
    tenant: TenantRef
    settings: Mapping[str, Mapping[str, Any]]
    broken: Mapping[str, str]

    @property
    def enabled(self) -> frozenset[str]:
        names = set(self.settings) | set(self.broken)
        return frozenset(name for name in names if self.host.get(name) is not None)

    def disabled_for_tenant(self) -> list[object]:
        return [p.plugin for p in self.host.plugins if p.name not in self.enabled]

    def hook(self, name: str) -> pluggy.HookCaller:
        """A hook caller reaching only this tenant's enabled plugins."""
        return self.host.pm.subset_hook_caller(name, remove_plugins=self.disabled_for_tenant())

    def call_each(
        self, name: str, *, skip: Collection[str] = (), timeout: float | None = None, **kwargs: Any
    ) -> list[HookOutcome]:
        """:meth:`PluginHost.call_each` over this tenant's enabled plugins."""
        return self.host.call_each(
            name,
            exclude=self.disabled_for_tenant(),
            settings=self.settings,
            broken=self.broken,
            skip=skip,
            timeout=timeout,
            **kwargs,
        )


def init_app(app: Flask) -> PluginHost:
    """Load built-ins, then (unless ``autoload_plugins`` is off) installed plugins, and start them."""
    settings = app.config["SETTINGS"]
    host = PluginHost(settings.secret_key)
    host.load_builtins()
    if settings.autoload_plugins:
        host.load_entry_points()
    host.start(
        HostInfo(
            api_version=PLUGIN_API_VERSION,
            dinghuo_version=dinghuo_version(),
            testing=settings.testing,
        )
    )
    app.extensions["dinghuo.plugins"] = host
    _hosts[app.extensions["dinghuo.db"].engine] = host
    return host


_hosts: weakref.WeakKeyDictionary[Engine, PluginHost] = weakref.WeakKeyDictionary()


def current_host() -> PluginHost:
    """The plugin host of the running app."""
    return current_app.extensions["dinghuo.plugins"]


def host_for(session: Session) -> PluginHost:
    """The plugin host of the app whose database ``session`` talks to.

    Jobs run with a session but not always inside an app context (inline
    after a CLI or test commit), so the host is found from the engine.
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    host = _hosts.get(engine) if engine is not None else None
    if host is None:
        raise RuntimeError("plugins are not set up for this database: use create_app()")
    return host
