"""``tier_discount``: a percentage off each line for dealers of the tiers the tenant lists.

``discounts`` reads ``A=5, B=3``: dealers of tier A get 5 % off, tier B 3 %,
other tiers nothing. The discount is taken from the dealer's resolved price
(``unit_price`` × quantity) as a line adjustment labelled for the dealer
("A 级经销商折扣 5%"). It can be narrowed to some categories (by id: the
product's own category, as the pricing line carries it) and to some brands (by
name), and by default it leaves alone lines priced by a contract price list,
since a negotiated price is already net.

Plugin settings are typed strings, so the discount list is parsed here; the
same parser checks it when the tenant saves it (``dinghuo_validate_settings``)
and reads it when pricing, so a setting that was accepted is one that prices.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dinghuo.plugins import (
    PluginInfo,
    PriceAdjustment,
    PricingRequest,
    SettingsField,
    hookimpl,
)

NAME = "tier_discount"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
CONTRACT_SOURCE = "contract"
_TIER = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_SEPARATORS = re.compile(r"[,，;；\n]")


@hookimpl
def dinghuo_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version="1.0.0",
        api_versions=">=1.1,<2",
        description="A percentage off each line for dealers of chosen tiers.",
    )


@hookimpl
def dinghuo_settings_schema() -> list[SettingsField]:
    return [
        SettingsField(
            "discounts",
            required=True,
            help="Percent off per dealer tier, e.g. A=5, B=3 (tiers not listed pay full price).",
        ),
        SettingsField(
            "category_ids",
            help="Only products in these categories (ids, comma separated); empty: all.",
        ),
        SettingsField("brands", help="Only these brands (names, comma separated); empty: all."),
        SettingsField(
            "skip_contract_prices",
            "boolean",
            default=True,
            help="Leave lines priced by a contract price list at their negotiated price.",
        ),
    ]


@hookimpl
def dinghuo_validate_settings(settings: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, parse in (("discounts", parse_discounts), ("category_ids", parse_category_ids)):
        try:
            parse(settings.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
    return errors


@hookimpl
def dinghuo_price_adjustments(
    request: PricingRequest, settings: Mapping[str, Any]
) -> list[PriceAdjustment]:
    percent = parse_discounts(settings.get("discounts")).get(request.dealer.tier.upper())
    if percent is None:
        return []
    categories = parse_category_ids(settings.get("category_ids"))
    brands = parse_brands(settings.get("brands"))
    skip_contract = settings.get("skip_contract_prices", True)
    shown = format_percent(percent)
    adjustments = []
    for line in request.lines:
        if categories and line.category_id not in categories:
            continue
        if brands and line.brand.casefold() not in brands:
            continue
        if skip_contract and line.price_source == CONTRACT_SOURCE:
            continue
        amount = (line.unit_price * line.quantity * percent / HUNDRED).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        if amount > 0:
            adjustments.append(
                PriceAdjustment(
                    code=f"tier-discount:{request.dealer.tier}",
                    label=f"{request.dealer.tier} 级经销商折扣 {shown}%",
                    amount=-amount,
                    line_no=line.line_no,
                )
            )
    return adjustments


def _items(raw: Any) -> list[str]:
    return [item.strip() for item in _SEPARATORS.split(str(raw or "")) if item.strip()]


def parse_discounts(raw: Any) -> dict[str, Decimal]:
    """``"A=5, B=2.5"`` → ``{"A": Decimal("5"), "B": Decimal("2.5")}``; ValueError says what is wrong.

    A tier is a dealer tier code (A, B, VIP1); a percentage is more than 0,
    less than 100, with at most two decimals.
    """
    discounts: dict[str, Decimal] = {}
    for item in _items(raw):
        tier, equals, number = (part.strip() for part in item.replace("＝", "=").partition("="))
        tier = tier.upper()
        if not equals or not _TIER.match(tier):
            raise ValueError(f"{item!r}: write each discount as TIER=PERCENT, e.g. A=5.")
        if tier in discounts:
            raise ValueError(f"Tier {tier} is listed twice.")
        discounts[tier] = _percent(tier, number.rstrip("%％").strip())
    if not discounts:
        raise ValueError("List at least one tier discount, e.g. A=5, B=3.")
    return discounts


def _percent(tier: str, number: str) -> Decimal:
    try:
        percent = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"Tier {tier}: {number!r} is not a percentage.") from None
    if not percent.is_finite() or not 0 < percent < HUNDRED:
        raise ValueError(f"Tier {tier}: the percentage must be more than 0 and less than 100.")
    if percent != percent.quantize(CENT):
        raise ValueError(f"Tier {tier}: at most two decimals.")
    return percent


def parse_category_ids(raw: Any) -> frozenset[int]:
    """``"12, 15"`` → ``{12, 15}``; empty means every category."""
    ids = set()
    for item in _items(raw):
        if not item.isascii() or not item.isdigit() or int(item) < 1:
            raise ValueError(f"{item!r} is not a category id (a whole number).")
        ids.add(int(item))
    return frozenset(ids)


def parse_brands(raw: Any) -> frozenset[str]:
    """Brand names, compared without regard to case; empty means every brand."""
    return frozenset(item.casefold() for item in _items(raw))


def format_percent(percent: Decimal) -> str:
    """5 → ``"5"``, 2.50 → ``"2.5"``: how a dealer writes a percentage."""
    text = f"{percent:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
