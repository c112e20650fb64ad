"""Roles and what each may do (checked by :func:`dinghuo.platform.auth.web.requires`).

Permission names double as OAuth2 scopes, so an integration client can be
granted exactly a subset of what an admin could do; they are part of the API
and never renamed.

The brand's owner and admins manage everything (only an owner may invite,
activate or deactivate an owner). Every staff role reads the catalog, stock
and channel stock; sales also manage dealers and read price lists; warehouse
manages stock; finance manages prices and reads the audit log. Dealer users
browse the catalog (at their own prices), place and track their own dealer's
orders and report their own stock; a dealer admin also manages their own
dealer's users and approves buyers' orders over the dealer's own limit. Staff
read all orders; sales also order on a dealer's behalf; each brand-side review
step (sales, finance, warehouse) has its own scope; warehouse ships. tests/test_permissions_matrix.py
pins this table exactly.
"""

from __future__ import annotations

import enum

from dinghuo.platform.auth.models import Role


class Permission(enum.StrEnum):
    TENANT_READ = "tenant:read"
    TENANT_MANAGE = "tenant:manage"
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    DEALERS_READ = "dealers:read"
    DEALERS_MANAGE = "dealers:manage"
    OWN_DEALER_READ = "own_dealer:read"
    OWN_DEALER_USERS_MANAGE = "own_dealer_users:manage"
    AUDIT_READ = "audit:read"
    INTEGRATIONS_MANAGE = "integrations:manage"
    PLUGINS_MANAGE = "plugins:manage"
    JOBS_READ = "jobs:read"
    CATALOG_READ = "catalog:read"
    CATALOG_MANAGE = "catalog:manage"
    CATALOG_BROWSE = "catalog:browse"
    PRICES_READ = "prices:read"
    PRICES_MANAGE = "prices:manage"
    INVENTORY_READ = "inventory:read"
    INVENTORY_MANAGE = "inventory:manage"
    CHANNEL_STOCK_READ = "channel_stock:read"
    CHANNEL_STOCK_REPORT = "channel_stock:report"
    ORDERS_READ = "orders:read"
    ORDERS_MANAGE = "orders:manage"
    ORDERS_REVIEW_SALES = "orders:review_sales"
    ORDERS_REVIEW_FINANCE = "orders:review_finance"
    ORDERS_REVIEW_WAREHOUSE = "orders:review_warehouse"
    SHIPMENTS_MANAGE = "shipments:manage"
    RETURNS_MANAGE = "returns:manage"
    ORDERS_PLACE = "orders:place"
    OWN_ORDERS_APPROVE = "own_orders:approve"


P = Permission
_STAFF_BASE = {
    P.TENANT_READ,
    P.DEALERS_READ,
    P.USERS_READ,
    P.JOBS_READ,
    P.CATALOG_READ,
    P.INVENTORY_READ,
    P.CHANNEL_STOCK_READ,
    P.ORDERS_READ,
}
_MANAGERS = {
    P.TENANT_MANAGE,
    P.USERS_MANAGE,
    P.DEALERS_MANAGE,
    P.AUDIT_READ,
    P.INTEGRATIONS_MANAGE,
    P.PLUGINS_MANAGE,
    P.CATALOG_MANAGE,
    P.PRICES_READ,
    P.PRICES_MANAGE,
    P.INVENTORY_MANAGE,
    P.ORDERS_MANAGE,
    P.ORDERS_REVIEW_SALES,
    P.ORDERS_REVIEW_FINANCE,
    P.ORDERS_REVIEW_WAREHOUSE,
    P.SHIPMENTS_MANAGE,
    P.RETURNS_MANAGE,
}
_DEALER_BASE = {P.OWN_DEALER_READ, P.CATALOG_BROWSE, P.CHANNEL_STOCK_REPORT, P.ORDERS_PLACE}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(_STAFF_BASE | _MANAGERS),
    Role.ADMIN: frozenset(_STAFF_BASE | _MANAGERS),
    Role.SALES: frozenset(
        _STAFF_BASE
        | {
            P.DEALERS_MANAGE,
            P.PRICES_READ,
            P.ORDERS_MANAGE,
            P.ORDERS_REVIEW_SALES,
            P.RETURNS_MANAGE,
        }
    ),
    Role.WAREHOUSE: frozenset(
        _STAFF_BASE
        | {P.INVENTORY_MANAGE, P.ORDERS_REVIEW_WAREHOUSE, P.SHIPMENTS_MANAGE, P.RETURNS_MANAGE}
    ),
    Role.FINANCE: frozenset(
        _STAFF_BASE | {P.AUDIT_READ, P.PRICES_READ, P.PRICES_MANAGE, P.ORDERS_REVIEW_FINANCE}
    ),
    Role.DEALER_ADMIN: frozenset(_DEALER_BASE | {P.OWN_DEALER_USERS_MANAGE, P.OWN_ORDERS_APPROVE}),
    Role.BUYER: frozenset(_DEALER_BASE),
}

ALL_SCOPES = tuple(p.value for p in Permission)
STAFF_ROLES = tuple(r for r in Role if r.is_staff)
DEALER_ROLES = (Role.DEALER_ADMIN, Role.BUYER)
