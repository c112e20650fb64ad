"""Who is making the current request."""

from __future__ import annotations

from dataclasses import dataclass, field

from dinghuo.platform.auth.models import Role
from dinghuo.platform.auth.permissions import Permission


@dataclass(frozen=True)
class Principal:
    """An authenticated actor: a tenant user, an OAuth2 client, or a platform operator."""

    kind: str
    id: int
    label: str
    tenant_id: int | None = None
    role: Role | None = None
    dealer_id: int | None = None
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    token_id: int | None = None

    @property
    def is_platform_admin(self) -> bool:
        return self.kind == "platform_admin"

    @property
    def is_staff(self) -> bool:
        return self.kind == "client" or (self.role is not None and self.role.is_staff)

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
