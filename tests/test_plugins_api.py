"""Per-tenant plugin settings through the API: validation, write-only secrets, encryption."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select, text
from test_plugins import BUILTINS

from dinghuo.plugins.crypto import SecretBox, SecretsUnreadable
from dinghuo.plugins.models import PluginSetting
from dinghuo.plugins.service import tenant_plugins

HOOK = {"url": "https://hooks.acme.example/dinghuo", "secret": "whsec-acme-1"}


def configure(api, world, body, who="owner"):
    return api(world, who).put("/api/v1/plugins/webhooks", json=body)


def test_plugins_are_listed_with_version_api_range_and_settings_schema(acme, api):
    response = api(acme, "warehouse").get("/api/v1/plugins")
    assert response.status_code == 200, response.json
    listed = {plugin["name"]: plugin for plugin in response.json["items"]}
    assert sorted(listed) == BUILTINS
    webhooks = listed["webhooks"]
    assert webhooks["version"] == "1.0.0"
    assert webhooks["api_versions"] == ">=1.0,<2"
    assert webhooks["api_compatible"] is True
    assert webhooks["refused_reason"] is None
    assert webhooks["enabled"] is False
    assert webhooks["secrets"] == {"secret": "not set"}
    assert webhooks["settings"] == {"url": None, "event_types": None, "timeout_seconds": 10}
    url_field = webhooks["settings_schema"][0]
    assert url_field == {
        "name": "url",
        "type": "url",
        "required": True,
        "secret": False,
        "help": "Where each event is POSTed as JSON (use https).",
        "default": None,
        "choices": [],
    }


def test_owner_enables_webhooks_and_the_secret_is_never_returned(acme, api):
    response = configure(api, acme, {"enabled": True, "settings": HOOK})
    assert response.status_code == 200, response.json
    assert response.json["enabled"] is True
    assert response.json["settings"]["url"] == HOOK["url"]
    assert response.json["secrets"] == {"secret": "set"}
    assert "whsec-acme-1" not in response.get_data(as_text=True)
    shown = api(acme, "sales").get("/api/v1/plugins/webhooks")
    assert shown.json["secrets"] == {"secret": "set"}
    assert "whsec-acme-1" not in shown.get_data(as_text=True)


def test_settings_are_merged_so_a_secret_need_not_be_sent_again(acme, api, db, plugin_host):
    configure(api, acme, {"enabled": True, "settings": HOOK})
    response = configure(api, acme, {"enabled": True, "settings": {"url": "https://new.example/h"}})
    assert response.status_code == 200, response.json
    assert response.json["secrets"] == {"secret": "set"}
    with db.transaction(acme.id) as session:
        settings = tenant_plugins(session, plugin_host).settings["webhooks"]
    assert settings["url"] == "https://new.example/h"
    assert settings["secret"] == "whsec-acme-1"
    assert settings["timeout_seconds"] == 10


def test_each_bad_setting_is_refused_with_422_naming_the_field(acme, api, db):
    cases = [
        ({"colour": "red"}, "settings.colour", "Unknown setting"),
        ({"url": "ftp://files.example/x"}, "settings.url", "http:// or https://"),
        ({"url": 42}, "settings.url", "Must be a string"),
        ({"timeout_seconds": "10"}, "settings.timeout_seconds", "whole number"),
        ({"timeout_seconds": True}, "settings.timeout_seconds", "whole number"),
        ({"url": HOOK["url"]}, "settings.secret", "Required to enable"),
    ]
    for settings, field, reason in cases:
        response = configure(api, acme, {"enabled": True, "settings": settings})
        assert response.status_code == 422, (settings, response.json)
        assert reason in response.json["error"]["fields"][field][0], response.json
        assert field in response.json["error"]["message"]
    with db.transaction(acme.id) as session:
        assert session.scalars(select(PluginSetting)).all() == []


def test_a_disabled_plugin_may_be_saved_half_configured_but_not_enabled(acme, api):
    saved = configure(api, acme, {"enabled": False, "settings": {"url": HOOK["url"]}})
    assert saved.status_code == 200, saved.json
    assert saved.json["enabled"] is False
    enabling = configure(api, acme, {"enabled": True})
    assert enabling.status_code == 422
    assert list(enabling.json["error"]["fields"]) == ["settings.secret"]
    cleared = configure(api, acme, {"enabled": False, "settings": {"url": None}})
    assert cleared.json["settings"]["url"] is None


def test_unknown_plugin_is_404(acme, api):
    assert api(acme, "owner").get("/api/v1/plugins/no-such").status_code == 404
    assert configure(api, acme, {"enabled": True}).status_code != 404
    response = api(acme, "owner").put("/api/v1/plugins/no-such", json={"enabled": True})
    assert response.status_code == 404


def test_only_plugin_managers_change_plugins_and_dealers_see_nothing(acme, api):
    assert configure(api, acme, {"enabled": False}, who="sales").status_code == 403
    assert configure(api, acme, {"enabled": False}, who="admin").status_code == 200
    assert api(acme, "buyer").get("/api/v1/plugins").status_code == 403
    assert api(acme).get("/api/v1/plugins").status_code == 401


def test_changing_plugin_settings_is_audited_without_secret_values(acme, api, db):
    configure(api, acme, {"enabled": True, "settings": HOOK})
    from dinghuo.platform.audit.models import AuditEntry

    with db.transaction(acme.id) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "plugin.configure")
        ).one()
    assert entry.object_id == "webhooks"
    assert entry.details == {"enabled": True, "fields": "secret, url"}
    assert "whsec" not in str(entry.details)


def test_one_tenants_plugin_settings_are_invisible_to_another(acme, globex, api):
    configure(api, acme, {"enabled": True, "settings": HOOK})
    theirs = api(globex, "owner").get("/api/v1/plugins/webhooks")
    assert theirs.json["enabled"] is False
    assert theirs.json["settings"]["url"] is None
    assert theirs.json["secrets"] == {"secret": "not set"}


def raw_as_tenant(connection, tenant_id: int) -> None:
    """Raw SQL obeys row-level security on PostgreSQL even as the owner: name the tenant."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )


def test_secrets_are_encrypted_at_rest(acme, api, owner_engine):
    configure(api, acme, {"enabled": True, "settings": HOOK})
    with owner_engine.begin() as connection:
        raw_as_tenant(connection, acme.id)
        stored = connection.execute(
            text("SELECT settings, secrets_ciphertext FROM plugin_settings")
        ).one()
    assert "whsec-acme-1" not in str(stored.settings)
    assert "whsec-acme-1" not in stored.secrets_ciphertext
    assert stored.secrets_ciphertext.startswith("v1:")


def test_a_secret_copied_into_another_tenants_row_does_not_decrypt(
    acme, globex, api, db, owner_engine, plugin_host
):
    configure(api, acme, {"enabled": True, "settings": HOOK})
    configure(
        api,
        globex,
        {"enabled": True, "settings": {"url": "https://globex.example/h", "secret": "g-1"}},
    )
    with owner_engine.begin() as connection:
        raw_as_tenant(connection, acme.id)
        stolen = connection.execute(
            text("SELECT secrets_ciphertext FROM plugin_settings WHERE tenant_id = :t"),
            {"t": acme.id},
        ).scalar_one()
    with owner_engine.begin() as connection:
        raw_as_tenant(connection, globex.id)
        connection.execute(
            text("UPDATE plugin_settings SET secrets_ciphertext = :c WHERE tenant_id = :t"),
            {"c": stolen, "t": globex.id},
        )
    shown = api(globex, "owner").get("/api/v1/plugins/webhooks")
    assert shown.json["secrets"] == {"secret": "unreadable"}
    with db.transaction(globex.id) as session:
        plugins = tenant_plugins(session, plugin_host)
    assert "webhooks" not in plugins.settings
    assert "do not decrypt" in plugins.broken["webhooks"]
    refused = configure(api, globex, {"enabled": True})
    assert refused.status_code == 422
    assert "enter it again" in refused.json["error"]["fields"]["settings.secret"][0]
    fixed = configure(api, globex, {"enabled": True, "settings": {"secret": "g-2"}})
    assert fixed.json["secrets"] == {"secret": "set"}


def test_secret_box_binds_ciphertext_to_tenant_plugin_and_key():
    box = SecretBox("platform-key")
    sealed = box.encrypt(1, "webhooks", {"secret": "s"})
    assert box.decrypt(1, "webhooks", sealed) == {"secret": "s"}
    for tenant_id, plugin, other in ((2, "webhooks", box), (1, "erp", box)):
        try:
            other.decrypt(tenant_id, plugin, sealed)
        except SecretsUnreadable:
            continue
        raise AssertionError(f"decrypted for tenant {tenant_id} plugin {plugin}")
    try:
        SecretBox("another-key").decrypt(1, "webhooks", sealed)
    except SecretsUnreadable:
        pass
    else:
        raise AssertionError("decrypted with another key")
    assert box.encrypt(1, "webhooks", {"secret": "s"}) != sealed


def test_cli_lists_plugins_with_api_compatibility_and_tenants(acme, globex, api, monkeypatch, app):
    configure(api, acme, {"enabled": True, "settings": HOOK})
    settings = app.config["SETTINGS"]
    monkeypatch.setenv("DINGHUO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DINGHUO_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("DINGHUO_AUTOLOAD_PLUGINS", "false")
    monkeypatch.setenv("DINGHUO_LOG_JSON", "false")
    from dinghuo.cli import main

    result = CliRunner().invoke(main, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "plugin API 1.1"
    assert lines[1].split() == ["NAME", "VERSION", "API", "STATUS", "ENABLED", "FOR"]
    rows = {line.split()[0]: line.split() for line in lines[2:] if line.strip()}
    assert rows["webhooks"] == ["webhooks", "1.0.0", ">=1.0,<2", "loaded", "(built-in)", "acme"]
    only_globex = CliRunner().invoke(main, ["plugins", "list", "--tenant", "globex"])
    webhooks_row = next(
        row for row in only_globex.output.splitlines() if row.startswith("webhooks")
    )
    assert webhooks_row.split()[-1] == "-"
    missing = CliRunner().invoke(main, ["plugins", "list", "--tenant", "nobody"])
    assert missing.exit_code != 0
    assert "no tenant 'nobody'" in missing.output


def test_an_incompatible_plugin_is_listed_as_refused_and_cannot_be_enabled(acme, api, plugin_host):
    from dinghuo.plugins import PluginInfo, hookimpl

    class FromTheFuture:
        @hookimpl
        def dinghuo_plugin_info(self):
            return PluginInfo("erp-next", "3.0.0", ">=2.0,<3", "Needs plugin API 2")

    assert plugin_host.load(FromTheFuture(), source="entry point erp-next") is None
    listed = {p["name"]: p for p in api(acme, "owner").get("/api/v1/plugins").json["items"]}
    assert listed["erp-next"]["api_compatible"] is False
    assert "supports plugin API >=2.0,<3" in listed["erp-next"]["refused_reason"]
    assert listed["erp-next"]["enabled"] is False
    refused = api(acme, "owner").put("/api/v1/plugins/erp-next", json={"enabled": True})
    assert refused.status_code == 409
    assert "cannot be used" in refused.json["error"]["message"]
