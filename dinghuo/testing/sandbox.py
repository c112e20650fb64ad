"""A throwaway Dinghuo for plugin tests: one app on SQLite, a seeded tenant per test.

Everything is built through the platform's own services (tenant onboarding,
dealers, catalog, inventory, checkout, submission, review, fulfilment), so a
plugin under test meets exactly the checks and the containment it will meet in
production, and nothing here needs the Dinghuo source tree or a database server.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask

from dinghuo.db import Database, TenantSession
from dinghuo.plugins.manager import LoadedPlugin, PluginHost
from dinghuo.plugins.service import PluginConfig

PASSWORD = "dinghuo-testing-password"
SECRET_KEY = "dinghuo-testing-secret-key-not-for-production"

PRODUCTS: tuple[tuple[str, str, str, str, int], ...] = (
    # product code, SKU code, name, dealer price, weight in grams
    ("PHONE", "PHONE-BLK-128", "鼎新 P60 手机 黑色 128G", "3999.00", 225),
    ("CHARGER", "CHARGER-65W", "65W 快充充电器", "99.00", 120),
    ("LAPTOP", "LAPTOP-14", "鼎新 Book 14 笔记本电脑", "6999.00", 1450),
)
"""The catalog every test tenant sells, all in stock (:data:`STOCK` units each) at ``SH``."""

STOCK = 1000

DEALERS: tuple[tuple[str, str, str, str, str, str], ...] = (
    # code, name, tier, province, city, street
    ("D001", "华东数码经销商", "A", "上海市", "上海市", "浦东新区世纪大道 100 号"),
    ("D002", "华南数码经销商", "B", "广东省", "广州市", "天河区天河路 200 号"),
    ("D003", "西北数码经销商", "C", "新疆维吾尔自治区", "乌鲁木齐市", "天山区解放北路 300 号"),
)
"""Dealers of every test tenant, each with a buyer and a default ship-to address."""


@dataclass(frozen=True)
class Option:
    """A checkout delivery option: ``code`` is ``pickup`` or ``<plugin>:<service>``."""

    code: str
    label: str
    freight: Decimal
    estimated_days: int | None


@dataclass(frozen=True)
class PlacedOrder:
    """An order as submitted (and approved, unless asked not to), with its frozen figures."""

    id: int
    number: str
    status: str
    delivery_method: str
    subtotal: Decimal
    adjustments_total: Decimal
    freight: Decimal
    total: Decimal
    adjustments: tuple[Mapping[str, Any], ...]
    """Every adjustment applied, order-level and per line, as ``{source, code, label, amount}``."""


@dataclass(frozen=True)
class BookedShipment:
    """A shipment booked with the order's carrier."""

    id: int
    number: str
    carrier: str
    tracking_number: str
    label_content_type: str | None


class Sandbox:
    """One Dinghuo app on a SQLite file in ``directory``, migrated, jobs run inline.

    Entry-point discovery is off: a test installs the plugin it tests with
    :meth:`install` (or :meth:`TestShop.enable`), so an older copy installed
    in the environment cannot shadow the code under test.
    """

    def __init__(self, directory: Path) -> None:
        from dinghuo.app import create_app
        from dinghuo.config import load_settings
        from dinghuo.migrate import upgrade

        directory.mkdir(parents=True, exist_ok=True)
        settings = load_settings(
            {
                "database_url": f"sqlite:///{directory / 'dinghuo.db'}",
                "migration_database_url": None,
                "app_db_role": None,
                "redis_url": None,
                "secret_key": SECRET_KEY,
                "instance_dir": directory,
                "media_dir": directory / "media",
                "storage_backend": "local",
                "testing": True,
                "autoload_plugins": False,
                "password_hash_time_cost": 1,
                "password_hash_memory_kib": 1024,
                "log_json": False,
                "smtp_url": None,
            }
        )
        upgrade(settings)
        self.app: Flask = create_app(settings)
        self.database: Database = self.app.extensions["dinghuo.db"]
        self.host: PluginHost = self.app.extensions["dinghuo.plugins"]
        self._builtin = {plugin.name for plugin in self.host.plugins}
        self._slugs = itertools.count(1)

    def install(self, plugin: object) -> LoadedPlugin:
        """Register ``plugin`` (a module or object with ``@hookimpl`` functions) once.

        Runs the host's load checks: an incompatible API range, a misspelt
        hook or a bad settings schema raises ``PluginRefused`` with the reason.
        """
        for loaded in self.host.plugins:
            if loaded.plugin is plugin:
                return loaded
        return self.host.register(plugin, source="dinghuo.testing")

    def uninstall_all(self) -> None:
        """Remove every plugin :meth:`install` added (between tests)."""
        for plugin in self.host.plugins:
            if plugin.name not in self._builtin:
                self.host.unregister(plugin.name)

    def new_shop(self) -> TestShop:
        """A fresh tenant with the small catalog in stock and three dealers with addresses."""
        return _seed(self, f"shop{next(self._slugs)}")

    def close(self) -> None:
        self.database.dispose()


@dataclass
class TestShop:
    """One seeded tenant. ``skus``, ``dealers`` and ``addresses`` are ids by code."""

    __test__ = False  # not a test class, whatever pytest's naming rules say

    sandbox: Sandbox
    tenant_id: int
    slug: str
    owner_id: int
    skus: dict[str, int] = field(default_factory=dict)
    dealers: dict[str, int] = field(default_factory=dict)
    addresses: dict[str, int] = field(default_factory=dict)
    """Dealer code → its default ship-to address id."""
    buyers: dict[str, int] = field(default_factory=dict)
    """Dealer code → the user id of its buyer."""
    warehouse_id: int = 0

    @contextmanager
    def session(self) -> Iterator[TenantSession]:
        """A transaction bound to this tenant (committed on leaving the block)."""
        with self.sandbox.database.transaction(self.tenant_id) as session:
            yield session

    def enable(self, plugin: object, settings: Mapping[str, Any] | None = None) -> PluginConfig:
        """Install ``plugin`` and turn it on for this tenant with ``settings``.

        Settings go through the same validation as the console and the API:
        a bad or missing field raises ``ValidationFailed`` naming it.
        """
        from dinghuo.plugins.service import configure_plugin

        loaded = self.sandbox.install(plugin)
        with self.session() as session:
            return configure_plugin(
                session, None, self.sandbox.host, loaded.name, enabled=True, settings=settings
            )

    def _principal(self, session: TenantSession, user_id: int) -> Any:
        from dinghuo.platform.auth.models import User
        from dinghuo.platform.auth.service import principal_for_user

        user = session.get(User, user_id)
        assert user is not None
        return principal_for_user(user)

    def _lines(self, lines: Mapping[str, int]) -> list[tuple[int, int]]:
        return [(self.skus[code], quantity) for code, quantity in lines.items()]

    def delivery_options(self, lines: Mapping[str, int], dealer: str = "D001") -> dict[str, Option]:
        """Checkout's delivery options (code → option) for ``lines`` (SKU code → quantity)
        to ``dealer``'s default address, as that dealer's buyer sees them."""
        from dinghuo.core.orders.checkout import delivery_options

        with self.session() as session:
            options = delivery_options(
                session,
                self._principal(session, self.buyers[dealer]),
                self.dealers[dealer],
                self.addresses[dealer],
                lines=self._lines(lines),
            )
            return {o.code: Option(o.code, o.label, o.freight, o.estimated_days) for o in options}

    def place_order(
        self,
        lines: Mapping[str, int],
        *,
        dealer: str = "D001",
        delivery_method: str = "pickup",
        approve: bool = True,
    ) -> PlacedOrder:
        """Submit ``lines`` as ``dealer``'s buyer, then (by default) approve it as the owner.

        Submission prices the lines through the pricing pipeline (your pricing
        plugin included) and accepts only a delivery method checkout offers
        now; approval emits ``order.approved`` to enabled event hooks.
        """
        import uuid

        from dinghuo.core.orders import review, submission

        with self.session() as session:
            order = submission.submit_order(
                session,
                self._principal(session, self.buyers[dealer]),
                lines=self._lines(lines),
                ship_to_address_id=self.addresses[dealer],
                delivery_method=delivery_method,
                idempotency_key=str(uuid.uuid4()),
            ).order
            order_id = order.id
        if approve:
            with self.session() as session:
                review.approve_step(session, self._principal(session, self.owner_id), order_id)
        return self.order(order_id)

    def order(self, order_id: int) -> PlacedOrder:
        """The order as it stands now."""
        from dinghuo.core.orders.models import Order

        with self.session() as session:
            order = session.get(Order, order_id)
            assert order is not None, f"no order {order_id} in {self.slug}"
            adjustments = [*order.adjustments]
            for line in order.lines:
                adjustments.extend(line.adjustments)
            return PlacedOrder(
                id=order.id,
                number=order.number,
                status=order.status.value,
                delivery_method=order.delivery_method,
                subtotal=order.subtotal,
                adjustments_total=order.adjustments_total,
                freight=order.freight,
                total=order.total,
                adjustments=tuple(adjustments),
            )

    def ship(self, order: PlacedOrder, *, tracking_number: str = "") -> BookedShipment:
        """Ship the whole order from the warehouse with its carrier (``dinghuo_create_shipment``).

        A carrier that refuses raises ``Conflict`` carrying its reason, and
        nothing ships.
        """
        from dinghuo.core.fulfilment import service as fulfilment
        from dinghuo.core.orders.models import Order

        with self.session() as session:
            owner = self._principal(session, self.owner_id)
            placed = session.get(Order, order.id)
            assert placed is not None
            shipment = fulfilment.create_shipment(
                session,
                owner,
                order.id,
                warehouse_id=self.warehouse_id,
                lines=[
                    {"line_id": line.id, "quantity": line.quantity, "serials": []}
                    for line in placed.lines
                ],
                tracking_number=tracking_number,
            )
            return BookedShipment(
                id=shipment.id,
                number=shipment.number,
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                label_content_type=shipment.label_content_type,
            )

    def label(self, shipment: BookedShipment) -> tuple[bytes, str]:
        """The label the carrier made for ``shipment``: its bytes and content type."""
        from dinghuo.core.fulfilment import service as fulfilment

        with self.session() as session:
            return fulfilment.label(session, self._principal(session, self.owner_id), shipment.id)


def _seed(sandbox: Sandbox, slug: str) -> TestShop:
    from dinghuo.core.catalog import service as catalog
    from dinghuo.core.catalog.models import ProductStatus
    from dinghuo.core.crm.service import add_address, create_dealer
    from dinghuo.core.inventory import service as inventory
    from dinghuo.platform.auth.models import Role
    from dinghuo.platform.auth.service import create_user
    from dinghuo.platform.tenants.service import create_tenant

    with sandbox.database.transaction() as session:
        onboarded = create_tenant(
            session,
            None,
            slug=slug,
            name=f"测试品牌 {slug}",
            owner_email=f"owner@{slug}.test",
            owner_password=PASSWORD,
        )
        shop = TestShop(sandbox, onboarded.tenant.id, slug, onboarded.owner.id)
        category = catalog.create_category(session, None, code="DIGITAL", name_zh="数码")
        brand = catalog.create_brand(session, None, code="DX", name="鼎新")
        for product_code, sku_code, name, price, grams in PRODUCTS:
            product = catalog.create_product(
                session,
                None,
                code=product_code,
                name_zh=name,
                brand_id=brand.id,
                category_id=category.id,
                status=ProductStatus.ACTIVE,
                skus=[{"code": sku_code, "base_price": price, "weight_g": grams}],
            )
            shop.skus[sku_code] = product.skus[0].id
        warehouse = inventory.create_warehouse(
            session, None, code="SH", name="上海仓", region="华东"
        )
        shop.warehouse_id = warehouse.id
        for sku_id in shop.skus.values():
            inventory.receive(
                session,
                None,
                warehouse_id=warehouse.id,
                sku_id=sku_id,
                quantity=STOCK,
                reason="opening stock",
            )
        for code, name, tier, province, city, street in DEALERS:
            dealer = create_dealer(session, None, code=code, name_zh=name, tier=tier)
            shop.dealers[code] = dealer.id
            shop.addresses[code] = add_address(
                session,
                None,
                dealer.id,
                kind="ship_to",
                recipient="王经理",
                phone="13800138000",
                province=province,
                city=city,
                street=street,
                is_default=True,
            ).id
            shop.buyers[code] = create_user(
                session,
                email=f"buyer-{code.lower()}@{slug}.test",
                name=f"{code} Buyer",
                role=Role.BUYER,
                password=PASSWORD,
                dealer_id=dealer.id,
            ).id
    return shop
