"""``dinghuo stock``: operators' checks of the stock ledger."""

from __future__ import annotations

import sys

import click


def _app():
    from dinghuo.app import create_app

    return create_app()


@click.group()
def stock() -> None:
    """Stock levels and their ledger."""


@stock.command("check")
@click.option("--tenant", "slug", default=None, help="Only this tenant (slug); all by default.")
def stock_check(slug: str | None) -> None:
    """Verify every stock level equals the sum of its ledger; exit 1 listing mismatches."""
    from dinghuo.core.inventory.ledger import verify_tenants

    app = _app()
    checked, mismatches = verify_tenants(app.extensions["dinghuo.db"], slug)
    if slug is not None and checked == 0:
        raise click.ClickException(f"no tenant with slug {slug!r}")
    for mismatch in mismatches:
        click.echo(mismatch.describe(), err=True)
    if mismatches:
        click.echo(f"{len(mismatches)} stock level(s) differ from their ledger", err=True)
        sys.exit(1)
    click.echo(f"stock ledger consistent ({checked} tenant(s))")
