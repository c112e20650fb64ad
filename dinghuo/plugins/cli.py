"""``dinghuo plugins``: what is installed, whether it may load, and who uses it."""

from __future__ import annotations

import click
from sqlalchemy import select

from dinghuo.db import Database
from dinghuo.platform.tenants.models import Tenant
from dinghuo.plugins.compat import PLUGIN_API_VERSION
from dinghuo.plugins.manager import PluginHost
from dinghuo.plugins.models import PluginSetting


@click.group()
def plugins() -> None:
    """Plugins: installed, refused, enabled per tenant."""


@plugins.command("list")
@click.option("--tenant", "tenant_slug", default=None, help="Only this tenant's enablement.")
def list_plugins(tenant_slug: str | None) -> None:
    """Discovered plugins with version, API compatibility and the tenants using each."""
    from dinghuo.app import create_app

    app = create_app()
    host: PluginHost = app.extensions["dinghuo.plugins"]
    database: Database = app.extensions["dinghuo.db"]
    try:
        enabled = enabled_by_plugin(database, tenant_slug)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report(host, enabled):
        click.echo(line)


def enabled_by_plugin(database: Database, tenant_slug: str | None) -> dict[str, list[str]]:
    """Plugin name → slugs of the tenants that enabled it (one tenant-bound read each)."""
    with database.transaction() as session:
        query = select(Tenant.id, Tenant.slug).order_by(Tenant.slug)
        if tenant_slug is not None:
            query = query.where(Tenant.slug == tenant_slug)
        tenants = list(session.execute(query))
    if tenant_slug is not None and not tenants:
        raise LookupError(f"no tenant {tenant_slug!r}")
    enabled: dict[str, list[str]] = {}
    for tenant_id, slug in tenants:
        with database.transaction(tenant_id) as session:
            names = session.scalars(
                select(PluginSetting.plugin).where(PluginSetting.enabled.is_(True))
            )
            for name in names:
                enabled.setdefault(name, []).append(slug)
    return enabled


def report(host: PluginHost, enabled: dict[str, list[str]]) -> list[str]:
    rows = [("NAME", "VERSION", "API", "STATUS", "ENABLED FOR")]
    for plugin in host.plugins:
        rows.append(
            (
                plugin.name,
                plugin.info.version,
                plugin.info.api_versions,
                f"loaded ({plugin.source})",
                ", ".join(enabled.get(plugin.name, [])) or "-",
            )
        )
    for refused in host.refused:
        info = refused.info
        rows.append(
            (
                refused.name,
                info.version if info else "?",
                info.api_versions if info else "?",
                f"REFUSED: {refused.reason} ({refused.source})",
                ", ".join(enabled.get(refused.name, [])) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"plugin API {PLUGIN_API_VERSION}"]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        lines.append("  ".join([*cells, row[4]]))
    return lines
