"""Pricing hooks: adjusting the prices of a cart or an order, with an explanation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dinghuo.plugins.markers import hookspec
from dinghuo.plugins.types import PriceAdjustment, PricingRequest


@hookspec
def dinghuo_price_adjustments(
    request: PricingRequest, settings: Mapping[str, Any]
) -> list[PriceAdjustment]:  # type: ignore[empty-body]
    """Adjustments to the lines (or the whole order) of ``request``.

    Called for every enabled pricing plugin whenever a cart is shown or an
    order is priced, after price lists resolved each line's ``unit_price``.
    Each adjustment's ``label`` is shown to the dealer beside the amount.
    An adjustment naming an unknown line, with a non-Decimal amount, or that
    would take a line or the order below zero is dropped and logged with its
    reason; the other plugins' adjustments still apply. Must be fast and
    side-effect free: it runs in the request and may run several times for
    one order.
    """
