"""Who may open which part of the UI, and the navigation each part shows.

The console is for the brand's staff, the portal for its dealers' users, the
platform pages for platform operators on the base domain. A signed-in user
who lands in the other part is sent to their own; nobody signed in is sent to
the login page (see :mod:`dinghuo.admin_ui.errors`). Finer checks use
:func:`dinghuo.platform.auth.web.requires`, the same decorator as the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from dinghuo.admin_ui.cart_badge import cart_label
from dinghuo.errors import Unauthenticated
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.service import get_user
from dinghuo.platform.auth.web import platform_admin_required
from dinghuo.web import current_principal, db_session, require_tenant

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class NavItem:
    """A link of a sidebar or header; shown only to those holding ``permission``."""

    endpoint: str
    label: LazyString
    icon: str
    permission: Permission | None = None
    also_active_on: tuple[str, ...] = ()

    @property
    def active_on(self) -> tuple[str, ...]:
        """Endpoints under which this item is highlighted (its own and its sub-pages)."""
        return (self.endpoint, *self.also_active_on)


CONSOLE_NAV: list[NavItem] = [
    NavItem("ui.console_home", _l("Overview"), "home"),
    NavItem(
        "ui.dealers",
        _l("Dealers"),
        "store",
        Permission.DEALERS_READ,
        ("ui.dealer_new", "ui.dealer_edit"),
    ),
    NavItem(
        "ui.catalog_products",
        _l("Catalog"),
        "box",
        Permission.CATALOG_READ,
        (
            "ui.catalog_product_new",
            "ui.catalog_product_edit",
            "ui.catalog_categories",
            "ui.catalog_category",
            "ui.catalog_attribute",
            "ui.catalog_brands",
            "ui.catalog_tags",
        ),
    ),
    NavItem(
        "ui.stock_levels",
        _l("Stock"),
        "building",
        Permission.INVENTORY_READ,
        (
            "ui.stock_sku",
            "ui.stock_policy",
            "ui.stock_movement_new",
            "ui.stock_alerts",
            "ui.warehouses",
            "ui.warehouse_edit",
        ),
    ),
    NavItem(
        "ui.orders",
        _l("Orders"),
        "tag",
        Permission.ORDERS_READ,
        ("ui.orders_review_queue", "ui.order_detail"),
    ),
    NavItem(
        "ui.console_returns", _l("Returns"), "box", Permission.ORDERS_READ, ("ui.console_return",)
    ),
    NavItem("ui.console_serials", _l("Serial numbers"), "tag", Permission.ORDERS_READ),
    NavItem("ui.channel_stock", _l("Channel stock"), "store", Permission.CHANNEL_STOCK_READ),
    NavItem("ui.imports_page", _l("Import and export"), "box", Permission.CATALOG_READ),
    NavItem(
        "ui.price_lists",
        _l("Prices"),
        "tag",
        Permission.PRICES_READ,
        (
            "ui.price_list_new",
            "ui.price_list_edit",
            "ui.price_list_items",
            "ui.price_list_item_add",
            "ui.price_list_item_edit",
            "ui.price_list_items_bulk",
            "ui.price_preview",
        ),
    ),
    NavItem("ui.console_order_for", _l("Order for a dealer"), "plus", Permission.ORDERS_MANAGE),
    NavItem("ui.users", _l("Users"), "users", Permission.USERS_READ),
    NavItem("ui.settings", _l("Settings"), "settings", Permission.TENANT_MANAGE),
]
PORTAL_NAV: list[NavItem] = [
    NavItem("ui.portal_home", _l("Home"), "home"),
    NavItem(
        "ui.portal_catalog",
        _l("Catalog"),
        "box",
        Permission.CATALOG_BROWSE,
        ("ui.portal_catalog_search", "ui.portal_product"),
    ),
    NavItem(
        "ui.portal_orders",
        _l("Orders"),
        "box",
        Permission.ORDERS_PLACE,
        ("ui.portal_order", "ui.portal_order_change"),
    ),
    NavItem("ui.portal_stock_report", _l("Stock report"), "store", Permission.CHANNEL_STOCK_REPORT),
    NavItem(
        "ui.portal_cart",
        cart_label,
        "tag",
        Permission.ORDERS_PLACE,
        ("ui.portal_lists", "ui.portal_list"),
    ),
    NavItem("ui.portal_approvals", _l("Approvals"), "users", Permission.OWN_ORDERS_APPROVE),
]
PLATFORM_NAV: list[NavItem] = [
    NavItem("ui.platform_home", _l("Tenants"), "building", None, ("ui.platform_tenant_new",)),
]


def visible_nav(items: list[NavItem], principal: Principal | None) -> list[NavItem]:
    return [
        item
        for item in items
        if item.permission is None or (principal is not None and principal.can(item.permission))
    ]


def _signed_in_user() -> tuple[Principal, User]:
    principal = current_principal()
    if principal is None or principal.kind != "user":
        raise Unauthenticated("Sign in first.")
    user = get_user(db_session(), principal.id)
    g.ui_user = user
    return principal, user


def console_page(view: F) -> F:
    """Brand staff only; a dealer's user is sent to the portal."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        require_tenant()
        principal, _user = _signed_in_user()
        if not principal.is_staff:
            return redirect(url_for("ui.portal_home"))
        g.ui_area = "console"
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def portal_page(view: F) -> F:
    """Dealers' users only; brand staff are sent to the console."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        require_tenant()
        principal, _user = _signed_in_user()
        if principal.is_staff:
            return redirect(url_for("ui.console_home"))
        g.ui_area = "portal"
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def platform_page(view: F) -> F:
    """Platform operators only, on the base domain (a tenant's host answers 404)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        g.ui_area = "platform"
        return view(*args, **kwargs)

    return platform_admin_required(wrapped)  # type: ignore[return-value]
