"""Errors raised by services, free of any web framework.

The API and UI translate them to HTTP with one error format
(:mod:`dinghuo.api.errors`). A missing object and another tenant's object
raise the same :class:`NotFound`, so ids leak nothing.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors a user can be told about."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, name: str, reason: str) -> ValidationFailed:
        return cls(f"{name}: {reason}", fields={name: [reason]})


class TenantSuspended(DomainError):
    status = 403
    code = "tenant_suspended"
