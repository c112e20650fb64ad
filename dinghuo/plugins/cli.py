"""``dinghuo plugins``: what is installed, whether it may load, who uses it; new plugins."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

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


KINDS: dict[str, str] = {
    "carrier": "A Dinghuo carrier: freight quotes at checkout and booked shipments.",
    "erp": "A Dinghuo ERP connector: approved orders handed to the ERP.",
    "pricing": "A Dinghuo pricing rule: a volume discount explained to the dealer.",
}
"""The kinds of plugin ``dinghuo plugins new`` generates, each with its one-line summary."""

NEW_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def scaffold(kind: str, name: str, directory: Path) -> list[Path]:
    """Write a pip package for a ``kind`` plugin called ``name`` into ``directory``.

    The package has its entry point declared, the plugin module, a README and
    tests that pass against :mod:`dinghuo.testing` as generated. Raises
    ``ValueError`` (nothing written) for an unknown kind, a name that is not
    lowercase words joined by hyphens, or a directory that is not empty.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: choose one of {', '.join(KINDS)}")
    if not NEW_NAME.match(name) or len(name) > 50:
        raise ValueError(
            f"name {name!r}: use lowercase letters and digits, words joined by '-' (sf-express)"
        )
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ValueError(f"{directory} exists and is not an empty directory")
    dist = name if name.startswith("dinghuo-") else f"dinghuo-{name}"
    module = dist.replace("-", "_")
    major = int(PLUGIN_API_VERSION.split(".")[0])
    values = {
        "name": name,
        "dist": dist,
        "module": module,
        "kind": kind,
        "summary": KINDS[kind],
        "api_versions": f">={PLUGIN_API_VERSION},<{major + 1}",
    }
    templates = files("dinghuo.plugins") / "templates"
    layout = {
        "pyproject.toml": templates / "common" / "pyproject.toml.tmpl",
        "README.md": templates / "common" / "README.md.tmpl",
        f"src/{module}/__init__.py": templates / "common" / "__init__.py.tmpl",
        f"src/{module}/plugin.py": templates / kind / "plugin.py.tmpl",
        f"tests/test_{module}.py": templates / kind / "test_plugin.py.tmpl",
    }
    written = []
    for relative, template in layout.items():
        text = template.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


@plugins.command("new")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to create the package (default: ./dinghuo-NAME).",
)
def new_plugin(kind: str, name: str, directory: Path | None) -> None:
    """Create a pip package for a new KIND plugin called NAME, with passing tests."""
    target = directory or Path.cwd() / (name if name.startswith("dinghuo-") else f"dinghuo-{name}")
    try:
        written = scaffold(kind, name, target)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {target}:")
    for path in written:
        click.echo(f"  {path.relative_to(target)}")
    click.echo(f"Next: cd {target} && pip install -e '.[test]' && pytest")
