"""Roles and what each may do (checked by :func:`dinghuo.platform.auth.web.requires`).

Permission names double as OAuth2 scopes, so an integration client can be
granted exactly a subset of what an admin could do; they are part of the API
and never renamed.

The brand's owner and admins manage everything (only an owner may invite,
activate or deactivate an owner); sales also manage dealers; warehouse and
finance read, and finance reads the audit log. A dealer admin manages their
own dealer's users; a buyer reads their own dealer. tests/test_permissions_matrix.py
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


P = Permission
_STAFF_BASE = {P.TENANT_READ, P.DEALERS_READ, P.USERS_READ, P.JOBS_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(
        _STAFF_BASE
        | {
            P.TENANT_MANAGE,
            P.USERS_MANAGE,
            P.DEALERS_MANAGE,
            P.AUDIT_READ,
            P.INTEGRATIONS_MANAGE,
            P.PLUGINS_MANAGE,
        }
    ),
    Role.ADMIN: frozenset(
        _STAFF_BASE
        | {
            P.TENANT_MANAGE,
            P.USERS_MANAGE,
            P.DEALERS_MANAGE,
            P.AUDIT_READ,
            P.INTEGRATIONS_MANAGE,
            P.PLUGINS_MANAGE,
        }
    ),
    Role.SALES: frozenset(_STAFF_BASE | {P.DEALERS_MANAGE}),
    Role.WAREHOUSE: frozenset(_STAFF_BASE),
    Role.FINANCE: frozenset(_STAFF_BASE | {P.AUDIT_READ}),
    Role.DEALER_ADMIN: frozenset({P.OWN_DEALER_READ, P.OWN_DEALER_USERS_MANAGE}),
    Role.BUYER: frozenset({P.OWN_DEALER_READ}),
}

ALL_SCOPES = tuple(p.value for p in Permission)
STAFF_ROLES = tuple(r for r in Role if r.is_staff)
DEALER_ROLES = (Role.DEALER_ADMIN, Role.BUYER)
