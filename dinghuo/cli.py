"""The ``dinghuo`` command: schema, tenants, demo data, web server, workers."""

from __future__ import annotations

import os
import sys

import click

from dinghuo.config import load_settings
from dinghuo.core.inventory.cli import stock
from dinghuo.plugins.cli import plugins


def _app():
    from dinghuo.app import create_app

    return create_app()


@click.group()
def main() -> None:
    """Dinghuo: multi-tenant B2B ordering."""


main.add_command(plugins)
main.add_command(stock)


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Bring the database to the latest schema (as the owning role)."""
    from dinghuo.migrate import upgrade

    upgrade(load_settings(), revision)
    click.echo(f"database at {revision}")


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database.

    Run it against a database at head (``dinghuo db upgrade`` first). New
    tenant tables are listed in the revision's NEW_TENANT_TABLES and get
    Row-Level Security; read and edit the file before committing it.
    """
    from alembic import command

    from dinghuo.migrate import alembic_config

    settings = load_settings()
    url = settings.migration_database_url or settings.database_url
    command.revision(alembic_config(url), message=message, autogenerate=True)


@main.group()
def tenants() -> None:
    """Tenants (brand owners)."""


@tenants.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--owner-email", required=True)
@click.option("--owner-password", required=True, prompt=True, hide_input=True)
@click.option("--locale", default="zh-CN", show_default=True)
def tenants_create(
    slug: str, name: str, owner_email: str, owner_password: str, locale: str
) -> None:
    """Onboard a tenant with its owner."""
    from dinghuo.errors import DomainError
    from dinghuo.platform.tenants.service import create_tenant

    app = _app()
    try:
        with app.extensions["dinghuo.db"].transaction() as session:
            result = create_tenant(
                session,
                None,
                slug=slug,
                name=name,
                owner_email=owner_email,
                owner_password=owner_password,
                locale=locale,
            )
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"tenant {result.tenant.slug} (id {result.tenant.id}) created")


@main.command("create-platform-admin")
@click.option("--email", required=True)
@click.option("--name", default="Platform admin")
@click.option("--password", required=True, prompt=True, hide_input=True)
def create_platform_admin(email: str, name: str, password: str) -> None:
    """Create a platform operator account."""
    from dinghuo.errors import DomainError
    from dinghuo.platform.auth.service import create_platform_admin as create

    app = _app()
    try:
        with app.extensions["dinghuo.db"].transaction() as session:
            create(session, email, name, password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"platform admin {email} created")


@main.command()
def demo() -> None:
    """Seed the demo brand, its staff and dealers (idempotent)."""
    from dinghuo.demo import seed_demo

    app = _app()
    info = seed_demo(app)
    settings = app.config["SETTINGS"]
    port = settings.bind.rsplit(":", 1)[-1]
    click.echo(info.describe(settings.base_domain, port))


@main.command()
@click.option("--dev", is_flag=True, help="Flask's reloading development server.")
@click.option("--bind", default=None, help="host:port (default DINGHUO_BIND).")
@click.option("--workers", type=int, default=None)
@click.option("--threads", type=int, default=None)
def serve(dev: bool, bind: str | None, workers: int | None, threads: int | None) -> None:
    """Serve the platform with gunicorn (or the Flask reloader with --dev)."""
    settings = load_settings()
    bind = bind or settings.bind
    if dev:
        host, port = bind.rsplit(":", 1)
        _app().run(host=host, port=int(port), debug=True, use_reloader=True)
        return
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "dinghuo.app:create_app()",
        "--bind",
        bind,
        "--workers",
        str(workers or settings.web_workers),
        "--threads",
        str(threads or settings.web_threads),
        "--no-control-socket",
        "--access-logfile",
        "-",
    ]
    os.execv(sys.executable, argv)


@main.command()
@click.option("--burst", is_flag=True, help="Run what is queued, then exit.")
@click.option("--name", default=None)
def worker(burst: bool, name: str | None) -> None:
    """Run jobs of every tenant, fairly, until stopped."""
    from dinghuo.platform.jobs.worker import run_worker

    run_worker(_app(), burst=burst, name=name)


@main.command()
@click.option("--once", is_flag=True, help="Enqueue what is due now, then exit.")
def scheduler(once: bool) -> None:
    """Enqueue periodic per-tenant jobs when they fall due."""
    from dinghuo.platform.jobs.schedule import run_scheduler

    run_scheduler(_app(), once=once)
