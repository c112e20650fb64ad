"""``dinghuo.testing``: pytest fixtures for plugin authors — a throwaway Dinghuo in a few lines.

Turn it on in your package's ``pyproject.toml``::

    [tool.pytest.ini_options]
    addopts = "-p dinghuo.testing"

and write tests against a seeded tenant::

    from dinghuo_my_carrier import plugin

    def test_quotes_to_shanghai(dinghuo_shop):
        dinghuo_shop.enable(plugin, {"api_key": "k"})
        options = dinghuo_shop.delivery_options({"PHONE-BLK-128": 2}, dealer="D001")
        assert options["my-carrier:standard"].freight == Decimal("12.00")

Fixtures:

``dinghuo_sandbox``
    (session) one :class:`Sandbox`: Dinghuo on a SQLite file in a temporary
    directory, migrated, background jobs inline, entry-point discovery off.
``dinghuo_shop``
    (per test) a fresh :class:`TestShop`: a tenant with a small catalog
    (:data:`PRODUCTS`) in stock at warehouse ``SH``, dealers ``D001``
    (Shanghai, tier A), ``D002`` (Guangzhou, tier B) and ``D003`` (Urumqi,
    tier C), each with a buyer and a default ship-to address. Plugins the test
    installed are removed afterwards.

A :class:`TestShop` enables a plugin with settings (validated as the console
does), asks checkout for delivery options, places and approves orders, ships
them with their carrier and reads the label — all through the platform's
services, so the plugin meets the checks it meets in production.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dinghuo.testing.sandbox import (
    DEALERS,
    PRODUCTS,
    STOCK,
    BookedShipment,
    Option,
    PlacedOrder,
    Sandbox,
    TestShop,
)

__all__ = [
    "DEALERS",
    "PRODUCTS",
    "STOCK",
    "BookedShipment",
    "Option",
    "PlacedOrder",
    "Sandbox",
    "TestShop",
    "dinghuo_sandbox",
    "dinghuo_shop",
]


@pytest.fixture(scope="session")
def dinghuo_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One throwaway Dinghuo for the whole test session."""
    sandbox = Sandbox(tmp_path_factory.mktemp("dinghuo"))
    yield sandbox
    sandbox.close()


@pytest.fixture
def dinghuo_shop(dinghuo_sandbox: Sandbox) -> Iterator[TestShop]:
    """A fresh seeded tenant; the plugins this test installed are removed afterwards."""
    yield dinghuo_sandbox.new_shop()
    dinghuo_sandbox.uninstall_all()
