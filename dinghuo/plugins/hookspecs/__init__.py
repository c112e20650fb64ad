"""The hook specifications, one module per surface.

Every module listed in :data:`SURFACES` is added to the plugin manager; a new
surface (carriers, ERP, pricing) is a new module here plus a section in
docs/plugins.md and a test (the contract test checks both).
"""

from __future__ import annotations

from types import ModuleType

from dinghuo.plugins.hookspecs import events, lifecycle, logistics, pricing

SURFACES: tuple[ModuleType, ...] = (lifecycle, events, pricing, logistics)


def hookspec_names() -> list[str]:
    """Every hook a plugin may implement, across all surfaces."""
    return sorted(
        name for module in SURFACES for name in vars(module) if name.startswith("dinghuo_")
    )
