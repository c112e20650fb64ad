"""Authorisation at the edge: one decorator for API views and UI views alike."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from dinghuo.errors import NotFound, PermissionDenied, Unauthenticated
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.web import current_principal, current_tenant

F = TypeVar("F", bound=Callable[..., Any])


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Refuse the view unless a principal of this tenant holds every permission.

    No principal: 401. A principal lacking a permission: 403.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = tenant_principal()
            missing = [p.value for p in permissions if not principal.can(p)]
            if missing:
                raise PermissionDenied(f"This needs the permission: {', '.join(missing)}.")
            return view(*args, **kwargs)

        wrapped.required_permissions = permissions  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def tenant_principal() -> Principal:
    """The signed-in principal of the request's tenant (401 without one)."""
    if current_tenant() is None:
        raise NotFound("This address serves no tenant; use the tenant's own domain.")
    principal = current_principal()
    if principal is None or principal.is_platform_admin:
        raise Unauthenticated("Sign in first.")
    return principal


def platform_admin_required(view: F) -> F:
    """Only a platform operator, on the platform's own base domain."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_tenant() is not None:
            raise NotFound("Not found.")
        principal = current_principal()
        if principal is None or not principal.is_platform_admin:
            raise Unauthenticated("Sign in as a platform operator first.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
