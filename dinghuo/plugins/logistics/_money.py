"""Reading amounts from a carrier plugin's settings (plugin settings have no decimal type)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def amount_setting(settings: Mapping[str, Any], name: str, default: str) -> Decimal:
    """The setting ``name`` as a non-negative amount in yuan, ``default`` when left empty.

    A value that is not an amount raises ``ValueError`` naming the setting:
    the host contains it, logs it, and the carrier offers no quote until the
    tenant corrects it, which beats quoting a wrong freight.
    """
    value = optional_amount(settings, name)
    return _amount(name, default) if value is None else value


def optional_amount(settings: Mapping[str, Any], name: str) -> Decimal | None:
    """The setting ``name`` as an amount, or ``None`` when the tenant left it empty."""
    raw = settings.get(name)
    if raw is None or str(raw).strip() == "":
        return None
    return _amount(name, raw)


def _amount(name: str, raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"setting {name!r}: {raw!r} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"setting {name!r}: {raw!r} is not an amount of zero or more")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
