"""The plugin host: loading and refusing plugins, per-tenant enablement, containment."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import types
from importlib.metadata import EntryPoint

import pytest

from dinghuo.plugins import (
    PLUGIN_API_VERSION,
    Event,
    HostInfo,
    PluginInfo,
    SettingsField,
    TenantRef,
    hookimpl,
)
from dinghuo.plugins import manager as manager_module
from dinghuo.plugins.hookspecs import hookspec_names
from dinghuo.plugins.manager import DEFAULT_PLUGINS, PluginHost, PluginRefused, PluginTimeout
from dinghuo.plugins.service import tenant_plugins

TENANT = TenantRef(id=1, slug="acme", name="Acme")
BUILTINS = [
    "contract_price",
    "flat_rate",
    "kuaidi100",
    "manual",
    "tier_discount",
    "webhooks",
]
"""The built-in plugins' names, as the host lists them (sorted)."""


def make_event(event_type: str = "order.submitted", aggregate_id: str = "42") -> Event:
    return Event(
        id=1,
        type=event_type,
        tenant=TENANT,
        aggregate_type="order",
        aggregate_id=aggregate_id,
        payload={"total": "12.50"},
        occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


def plugin_module(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def info(name: str, api_versions: str = ">=1.0,<2") -> PluginInfo:
    return PluginInfo(name=name, version="1.2.3", api_versions=api_versions)


def test_builtin_plugins_load_through_the_public_hooks():
    host = PluginHost("k")
    host.load_builtins()
    assert [p.name for p in host.plugins] == BUILTINS
    assert host.refused == []
    webhooks = host.get("webhooks")
    assert webhooks.source == "built-in"
    assert webhooks.info.api_versions == ">=1.0,<2"
    assert [f.name for f in webhooks.settings_schema] == [
        "url",
        "secret",
        "event_types",
        "timeout_seconds",
    ]
    assert DEFAULT_PLUGINS == (
        "dinghuo.plugins.webhooks",
        "dinghuo.plugins.logistics.manual",
        "dinghuo.plugins.logistics.flat_rate",
        "dinghuo.plugins.logistics.kuaidi100",
        "dinghuo.plugins.pricing.tier_discount",
        "dinghuo.plugins.pricing.contract_price",
    )


def test_the_app_never_autoloads_entry_points_in_tests(app, monkeypatch):
    assert app.config["SETTINGS"].autoload_plugins is False
    assert [p.name for p in app.extensions["dinghuo.plugins"].plugins] == BUILTINS


def test_dinghuo_plugin_info_is_required_and_must_be_plugin_info():
    host = PluginHost("k")
    with pytest.raises(PluginRefused, match="no dinghuo_plugin_info hook"):
        host.register(types.ModuleType("anonymous"), source="test")
    with pytest.raises(PluginRefused, match="returned dict, not PluginInfo"):
        host.register(plugin_module("bad", dinghuo_plugin_info=lambda: {}), source="test")

    def explode():
        raise KeyError("version")

    with pytest.raises(PluginRefused, match="dinghuo_plugin_info raised KeyError"):
        host.register(plugin_module("boom", dinghuo_plugin_info=explode), source="test")
    assert host.plugins == []


def test_plugin_declaring_an_incompatible_api_range_is_refused_with_a_clear_message():
    host = PluginHost("k")
    future = plugin_module("future", dinghuo_plugin_info=lambda: info("erp-next", ">=2.0,<3"))
    with pytest.raises(PluginRefused) as refused:
        host.register(future, source="entry point erp-next")
    message = str(refused.value)
    assert "erp-next" in message
    assert ">=2.0,<3" in message
    assert f"provides plugin API {PLUGIN_API_VERSION}" in message
    assert refused.value.refusal.info.name == "erp-next"
    garbled = plugin_module("garbled", dinghuo_plugin_info=lambda: info("garbled", "version one"))
    with pytest.raises(PluginRefused, match="is not a version range"):
        host.register(garbled, source="test")
    assert host.get("erp-next") is None


def test_misspelt_hook_is_refused_by_check_pending_and_names_the_plugin():
    host = PluginHost("k")
    typo = plugin_module(
        "typo", dinghuo_plugin_info=lambda: info("typo"), dinghuo_evnt=lambda event: None
    )
    with pytest.raises(PluginRefused, match="'typo'.*unknown hook 'dinghuo_evnt'"):
        host.register(typo, source="test")
    assert host.get("typo") is None
    host.start(HostInfo(api_version=PLUGIN_API_VERSION, dinghuo_version="0"))


def test_hook_wrappers_and_unknown_arguments_are_refused():
    host = PluginHost("k")
    wrapper = types.ModuleType("wrapper")
    wrapper.dinghuo_plugin_info = hookimpl(lambda: info("wrapper"))

    def around(event):
        yield

    wrapper.dinghuo_event = hookimpl(wrapper=True)(around)
    with pytest.raises(PluginRefused, match="hook wrapper"):
        host.register(wrapper, source="test")
    greedy = plugin_module(
        "greedy", dinghuo_plugin_info=lambda: info("greedy"), dinghuo_event=lambda event, session: 0
    )
    with pytest.raises(PluginRefused, match="'greedy'.*session"):
        host.register(greedy, source="test")
    assert host.plugins == []


def test_two_plugins_cannot_share_a_name():
    host = PluginHost("k")
    host.register(plugin_module("one", dinghuo_plugin_info=lambda: info("erp")), source="a")
    with pytest.raises(PluginRefused, match="already taken by the plugin from a"):
        host.register(plugin_module("two", dinghuo_plugin_info=lambda: info("erp")), source="b")


def test_settings_schema_must_be_settings_fields_with_distinct_names():
    host = PluginHost("k")
    twice = plugin_module(
        "twice",
        dinghuo_plugin_info=lambda: info("twice"),
        dinghuo_settings_schema=lambda: [SettingsField("url"), SettingsField("url")],
    )
    with pytest.raises(PluginRefused, match="distinct names"):
        host.register(twice, source="test")
    assert host.get("twice") is None
    with pytest.raises(ValueError, match="type 'password'"):
        SettingsField("key", type="password")
    with pytest.raises(ValueError, match="choices"):
        SettingsField("mode", type="choice")
    with pytest.raises(ValueError, match="secret cannot have a default"):
        SettingsField("key", secret=True, default="x")


def test_import_failure_of_a_plugin_names_it_and_the_others_still_load(monkeypatch, caplog):
    good = plugin_module("acme_erp_plugin", dinghuo_plugin_info=lambda: info("acme-erp"))
    monkeypatch.setitem(sys.modules, "acme_erp_plugin", good)
    entry_points = [
        EntryPoint("broken-carrier", "no_such_module_anywhere:plugin", "dinghuo"),
        EntryPoint("acme-erp", "acme_erp_plugin", "dinghuo"),
    ]
    monkeypatch.setattr(manager_module, "entry_points", lambda group: entry_points)
    host = PluginHost("k")
    with caplog.at_level(logging.ERROR, logger="dinghuo.plugins.manager"):
        host.load_entry_points()
        host.load_builtins(["dinghuo.plugins.no_such_builtin"])
    assert [p.name for p in host.plugins] == ["acme-erp"]
    assert host.get("acme-erp").source.startswith("entry point acme-erp = acme_erp_plugin")
    assert [r.name for r in host.refused] == ["broken-carrier", "dinghuo.plugins.no_such_builtin"]
    assert "plugin 'broken-carrier': import of no_such_module_anywhere:plugin failed" in (
        host.refused[0].reason
    )
    assert "broken-carrier" in caplog.text
    assert "no_such_builtin" in caplog.text


def test_init_app_loads_entry_points_only_when_autoload_is_on(settings, monkeypatch, tmp_path):
    from dinghuo.app import create_app

    good = plugin_module("acme_erp_plugin", dinghuo_plugin_info=lambda: info("acme-erp"))
    monkeypatch.setitem(sys.modules, "acme_erp_plugin", good)
    monkeypatch.setattr(
        manager_module,
        "entry_points",
        lambda group: [EntryPoint("acme-erp", "acme_erp_plugin", group)],
    )
    overrides = {"database_url": f"sqlite:///{tmp_path / 'x.db'}", "instance_dir": tmp_path}
    autoloading = create_app(settings.model_copy(update={**overrides, "autoload_plugins": True}))
    quiet = create_app(settings.model_copy(update={**overrides, "autoload_plugins": False}))
    assert [p.name for p in autoloading.extensions["dinghuo.plugins"].plugins] == [
        "acme-erp",
        *BUILTINS,
    ]
    assert [p.name for p in quiet.extensions["dinghuo.plugins"].plugins] == BUILTINS
    for app in (autoloading, quiet):
        app.extensions["dinghuo.db"].dispose()


def test_dinghuo_startup_runs_once_per_plugin_and_a_failure_is_contained(caplog):
    started: list[HostInfo] = []

    def crash(host):
        raise RuntimeError("no licence file")

    host = PluginHost("k")
    host.register(
        plugin_module("a", dinghuo_plugin_info=lambda: info("a"), dinghuo_startup=crash),
        source="test",
    )
    host.register(
        plugin_module(
            "b",
            dinghuo_plugin_info=lambda: info("b"),
            dinghuo_startup=lambda host: started.append(host),
        ),
        source="test",
    )
    with caplog.at_level(logging.ERROR, logger="dinghuo.plugins.manager"):
        outcomes = host.start(HostInfo(api_version=PLUGIN_API_VERSION, dinghuo_version="9"))
    assert started == [HostInfo(api_version="1.1", dinghuo_version="9")]
    assert {o.plugin: o.ok for o in outcomes} == {"a": False, "b": True}
    assert "plugin a failed in dinghuo_startup" in caplog.text


def test_dinghuo_event_reaches_only_the_plugins_a_tenant_enabled(
    app, db, acme, globex, recording_plugin, enable_plugin, plugin_host
):
    erp = recording_plugin("erp")
    crm = recording_plugin("crm")
    enable_plugin(acme, "erp")
    enable_plugin(globex, "crm")
    with db.transaction(acme.id) as session:
        acme_plugins = tenant_plugins(session, plugin_host)
    assert acme_plugins.enabled == {"erp"}
    assert acme_plugins.tenant == TenantRef(acme.id, "acme", "Acme 数码")
    acme_plugins.hook("dinghuo_event")(event=make_event(), settings={})
    assert erp.received() == [("order.submitted", "order", "42")]
    assert crm.events == []
    outcomes = acme_plugins.call_each("dinghuo_event", event=make_event("stock.low"))
    assert [(o.plugin, o.ok) for o in outcomes] == [("erp", True)]
    assert crm.events == []


def test_a_raising_plugin_is_contained_and_the_others_still_hear(
    db, acme, recording_plugin, enable_plugin, plugin_host, caplog
):
    broken = recording_plugin("broken", fail=True)
    healthy = recording_plugin("healthy")
    enable_plugin(acme, "broken")
    enable_plugin(acme, "healthy")
    with db.transaction(acme.id) as session:
        plugins = tenant_plugins(session, plugin_host)
    with caplog.at_level(logging.ERROR, logger="dinghuo.plugins.manager"):
        outcomes = plugins.call_each("dinghuo_event", event=make_event())
    by_plugin = {o.plugin: o for o in outcomes}
    assert isinstance(by_plugin["broken"].error, RuntimeError)
    assert by_plugin["healthy"].ok
    assert healthy.received() == [("order.submitted", "order", "42")]
    assert broken.events == []
    assert "plugin broken failed in dinghuo_event" in caplog.text


def test_a_plugin_slower_than_the_timeout_counts_as_failed(
    db, acme, recording_plugin, enable_plugin, plugin_host
):
    recording_plugin("slow", delay=1.0)
    enable_plugin(acme, "slow")
    with db.transaction(acme.id) as session:
        plugins = tenant_plugins(session, plugin_host)
    outcomes = plugins.call_each("dinghuo_event", timeout=0.05, event=make_event())
    assert len(outcomes) == 1
    assert isinstance(outcomes[0].error, PluginTimeout)
    assert "did not answer within 0.05s" in str(outcomes[0].error)


def test_event_handed_to_plugins_is_frozen_and_json_ready():
    event = make_event()
    with pytest.raises(AttributeError):
        event.type = "order.cancelled"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.payload["total"] = "0"  # type: ignore[index]
    assert event.to_dict() == {
        "id": 1,
        "type": "order.submitted",
        "tenant": {"id": 1, "slug": "acme", "name": "Acme"},
        "aggregate": {"type": "order", "id": "42"},
        "payload": {"total": "12.50"},
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "attempt": 1,
    }


def test_every_hookspec_is_known_to_the_manager():
    host = PluginHost("k")
    for name in hookspec_names():
        assert getattr(host.pm.hook, name).has_spec(), name
