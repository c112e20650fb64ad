"""``contract_price``: prices agreed with individual dealers, per SKU, brought to the cart.

``prices`` holds one agreement per line, ``DEALER,SKU,PRICE`` with an optional
contract number, as pasted from a spreadsheet (commas, Chinese commas or
tabs)::

    D001,MATE60P-BLK-256,5799.00,HT-2026-001
    D001,CHG66-WHT,89.00

When the dealer orders that SKU and its resolved price is above the contract
price, the line gets an adjustment bringing it down to the contract price,
labelled "合同价 5799.00（HT-2026-001）". A contract price never raises a
price: when the dealer's price is already lower (a promotion, a better tier
price) the line is left alone. Codes are matched without regard to case.

For a few dozen agreements; a brand with hundreds keeps them in a contract
price list, which the core resolves before any plugin runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from dinghuo.plugins import (
    PluginInfo,
    PriceAdjustment,
    PricingRequest,
    SettingsField,
    hookimpl,
)

NAME = "contract_price"
CENT = Decimal("0.01")
_CELL = re.compile(r"[,，\t]")
_CODE = re.compile(r"^[^\s,，]{1,60}$")


@dataclass(frozen=True)
class ContractPrice:
    """One agreement: ``dealer_code`` pays ``price`` per unit of ``sku_code``."""

    dealer_code: str
    sku_code: str
    price: Decimal
    contract: str = ""

    @property
    def label(self) -> str:
        return f"合同价 {self.price}" + (f"（{self.contract}）" if self.contract else "")


@hookimpl
def dinghuo_plugin_info() -> PluginInfo:
    return PluginInfo(
        name=NAME,
        version="1.0.0",
        api_versions=">=1.1,<2",
        description="Prices agreed with individual dealers per SKU; never raises a price.",
    )


@hookimpl
def dinghuo_settings_schema() -> list[SettingsField]:
    return [
        SettingsField(
            "prices",
            required=True,
            help=(
                "One agreement per line: dealer code, SKU code, price in yuan and optionally "
                "the contract number, e.g. D001,MATE60P-BLK-256,5799.00,HT-2026-001"
            ),
        ),
    ]


@hookimpl
def dinghuo_validate_settings(settings: Mapping[str, Any]) -> dict[str, str]:
    try:
        parse_prices(settings.get("prices"))
    except ValueError as exc:
        return {"prices": str(exc)}
    return {}


@hookimpl
def dinghuo_price_adjustments(
    request: PricingRequest, settings: Mapping[str, Any]
) -> list[PriceAdjustment]:
    dealer = request.dealer.code.casefold()
    agreed = {
        entry.sku_code.casefold(): entry
        for entry in parse_prices(settings.get("prices"))
        if entry.dealer_code.casefold() == dealer
    }
    adjustments = []
    for line in request.lines:
        entry = agreed.get(line.sku_code.casefold())
        if entry is None or entry.price >= line.unit_price:
            continue
        amount = ((entry.price - line.unit_price) * line.quantity).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        adjustments.append(
            PriceAdjustment(
                code=f"contract:{entry.contract or request.dealer.code}",
                label=entry.label,
                amount=amount,
                line_no=line.line_no,
            )
        )
    return adjustments


def parse_prices(raw: Any) -> list[ContractPrice]:
    """The agreements in ``raw``; ValueError names the first bad line (counting from 1)."""
    entries: list[ContractPrice] = []
    seen: dict[tuple[str, str], int] = {}
    for number, text in enumerate(str(raw or "").splitlines(), start=1):
        if not text.strip():
            continue
        cells = [cell.strip() for cell in _CELL.split(text)]
        if len(cells) not in (3, 4) or not all(_CODE.match(cell) for cell in cells[:2]):
            raise ValueError(
                f"Line {number}: write DEALER,SKU,PRICE (and optionally the contract number)."
            )
        dealer_code, sku_code, price = cells[:3]
        key = (dealer_code.casefold(), sku_code.casefold())
        if key in seen:
            raise ValueError(
                f"Line {number}: {dealer_code} {sku_code} is already on line {seen[key]}."
            )
        seen[key] = number
        contract = cells[3] if len(cells) == 4 else ""
        if len(contract) > 60:
            raise ValueError(f"Line {number}: the contract number is too long.")
        entries.append(ContractPrice(dealer_code, sku_code, _price(number, price), contract))
    if not entries:
        raise ValueError("Enter at least one contract price, e.g. D001,MATE60P-BLK-256,5799.00")
    return entries


def _price(number: int, text: str) -> Decimal:
    try:
        price = Decimal(text.removeprefix("¥").removeprefix("￥"))
    except InvalidOperation:
        raise ValueError(f"Line {number}: {text!r} is not a price.") from None
    if not price.is_finite() or price <= 0:
        raise ValueError(f"Line {number}: the price must be more than zero.")
    if price != price.quantize(CENT):
        raise ValueError(f"Line {number}: a price has at most two decimals.")
    return price.quantize(CENT)
