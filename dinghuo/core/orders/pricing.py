"""The pricing pipeline: what a cart or an order costs, line by line, and why.

One function, :func:`price_lines`, prices carts (live) and orders (frozen at
submission), so the dealer is charged what the cart showed. Its stages:

1. resolve each SKU's dealer price (:func:`dinghuo.core.pricing.service.resolve_prices`);
2. ask each enabled pricing plugin (``dinghuo_price_adjustments``) for
   adjustments, each with a label the dealer sees; a malformed adjustment is
   dropped and logged, never applied;
3. tax at the tenant's VAT rate, included in or added to prices per the
   tenant's setting, rounded per line to the fen;
4. freight (quoted by the chosen carrier) is added by the caller's totals.

Amounts are ``Decimal`` with two places, rounded half-up at each line.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from dinghuo.core.catalog.models import Brand, Product, Sku
from dinghuo.core.crm.models import Dealer, DealerGroupMember
from dinghuo.core.pricing.service import resolve_prices, tenant_today
from dinghuo.db import TenantSession
from dinghuo.platform.tenants.business import business_settings
from dinghuo.platform.tenants.models import Tenant
from dinghuo.plugins.manager import host_for
from dinghuo.plugins.service import tenant_plugins
from dinghuo.plugins.types import DealerRef, PriceAdjustment, PricingLine, PricingRequest

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
PLUGIN_TIMEOUT = 2.0
"""Seconds a pricing plugin may take; pricing runs in the request, so a slow rule is cut off."""


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Adjustment:
    """An applied adjustment: which plugin, which rule, what the dealer reads, how much."""

    source: str
    code: str
    label: str
    amount: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "source": self.source,
            "code": self.code,
            "label": self.label,
            "amount": str(self.amount),
        }


@dataclass
class PricedLine:
    line_no: int
    sku: Sku
    quantity: int
    list_price: Decimal
    base_price: Decimal
    unit_price: Decimal
    price_source: str
    price_list_id: int | None
    adjustments: list[Adjustment] = field(default_factory=list)
    tax: Decimal = Decimal("0.00")

    @property
    def subtotal(self) -> Decimal:
        return money(self.unit_price * self.quantity)

    @property
    def adjustments_total(self) -> Decimal:
        return money(sum((a.amount for a in self.adjustments), Decimal("0")))

    @property
    def net(self) -> Decimal:
        """What the line costs after adjustments, as prices are quoted (with or without tax)."""
        return self.subtotal + self.adjustments_total

    @property
    def list_total(self) -> Decimal:
        return money(self.list_price * self.quantity)


@dataclass
class PricedLines:
    """A priced set of lines with order-level adjustments and tax; freight is the caller's."""

    lines: list[PricedLine]
    adjustments: list[Adjustment]
    tax_rate: Decimal
    prices_include_tax: bool
    currency: str

    @property
    def list_total(self) -> Decimal:
        return sum((line.list_total for line in self.lines), Decimal("0.00"))

    @property
    def subtotal(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0.00"))

    @property
    def adjustments_total(self) -> Decimal:
        line_adjustments = sum((line.adjustments_total for line in self.lines), Decimal("0.00"))
        return line_adjustments + money(sum((a.amount for a in self.adjustments), Decimal("0")))

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal("0.00"))

    def total(self, freight: Decimal = Decimal("0.00")) -> Decimal:
        """Subtotal + adjustments (+ tax when prices exclude it) + freight."""
        goods = self.subtotal + self.adjustments_total
        if not self.prices_include_tax:
            goods += self.tax_total
        return money(goods + freight)


def dealer_ref(session: TenantSession, dealer: Dealer) -> DealerRef:
    groups = session.scalars(
        select(DealerGroupMember).where(DealerGroupMember.dealer_id == dealer.id)
    )
    return DealerRef(
        id=dealer.id,
        code=dealer.code,
        tier=dealer.tier,
        groups=tuple(sorted(member.group.code for member in groups)),
        region=dealer.region,
    )


def price_lines(
    session: TenantSession,
    dealer: Dealer,
    quantities: Sequence[tuple[int, int]],
    *,
    on: dt.date | None = None,
) -> PricedLines:
    """Price ``(sku_id, quantity)`` pairs for ``dealer``; line numbers follow their order.

    Unknown SKU ids are the caller's to have refused (visibility, status);
    here they raise ``KeyError`` so a bug cannot price a line at zero.
    """
    day = on or tenant_today(session)
    settings = business_settings(session)
    tenant = session.get(Tenant, session.tenant_id)
    currency = tenant.currency if tenant is not None else "CNY"
    merged: dict[int, int] = {}
    for sku_id, quantity in quantities:
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    resolved = resolve_prices(session, dealer, merged, on=day) if merged else {}
    sku_ids = [sku_id for sku_id, _ in quantities]
    rows = session.execute(
        select(Sku, Product.category_id, Brand.name)
        .join(Product, Product.id == Sku.product_id)
        .outerjoin(Brand, Brand.id == Product.brand_id)
        .where(Sku.id.in_(sku_ids))
    ).all()
    by_id = {sku.id: (sku, category_id, brand or "") for sku, category_id, brand in rows}
    lines: list[PricedLine] = []
    requests: list[PricingLine] = []
    for line_no, (sku_id, quantity) in enumerate(quantities, start=1):
        sku, category_id, brand = by_id[sku_id]
        price = resolved[sku_id]
        lines.append(
            PricedLine(
                line_no=line_no,
                sku=sku,
                quantity=quantity,
                list_price=price.msrp,
                base_price=price.base_price,
                unit_price=price.unit_price,
                price_source=price.source,
                price_list_id=price.price_list_id,
            )
        )
        requests.append(
            PricingLine(
                line_no=line_no,
                sku_id=sku.id,
                sku_code=sku.code,
                product_id=sku.product_id,
                category_id=category_id,
                brand=brand,
                quantity=quantity,
                list_price=price.msrp,
                unit_price=price.unit_price,
                price_source=price.source,
            )
        )
    priced = PricedLines(
        lines=lines,
        adjustments=[],
        tax_rate=settings.tax_rate,
        prices_include_tax=settings.prices_include_tax,
        currency=currency,
    )
    if lines:
        _apply_plugin_adjustments(session, dealer, priced, tuple(requests), currency, day)
    _apply_tax(priced)
    return priced


def _apply_plugin_adjustments(
    session: TenantSession,
    dealer: Dealer,
    priced: PricedLines,
    lines: tuple[PricingLine, ...],
    currency: str,
    day: dt.date,
) -> None:
    plugins = tenant_plugins(session, host_for(session))
    if not plugins.enabled:
        return
    request = PricingRequest(
        tenant=plugins.tenant,
        dealer=dealer_ref(session, dealer),
        lines=lines,
        currency=currency,
        on=day,
    )
    by_no = {line.line_no: line for line in priced.lines}
    for outcome in plugins.call_each(
        "dinghuo_price_adjustments", request=request, timeout=PLUGIN_TIMEOUT
    ):
        if outcome.error is not None:
            continue
        for proposed in outcome.result or []:
            problem = _problem(proposed, by_no, priced)
            if problem:
                log.warning(
                    "pricing plugin %s: adjustment dropped: %s",
                    outcome.plugin,
                    problem,
                    extra={"plugin": outcome.plugin},
                )
                continue
            applied = Adjustment(
                outcome.plugin, proposed.code, proposed.label, money(proposed.amount)
            )
            if proposed.line_no is None:
                priced.adjustments.append(applied)
            else:
                by_no[proposed.line_no].adjustments.append(applied)


def _problem(proposed: object, by_no: dict[int, PricedLine], priced: PricedLines) -> str | None:
    """Why a plugin's adjustment cannot be applied, or ``None`` when it can."""
    if not isinstance(proposed, PriceAdjustment):
        return f"not a PriceAdjustment: {type(proposed).__name__}"
    if not isinstance(proposed.amount, Decimal) or not proposed.amount.is_finite():
        return f"{proposed.code}: amount {proposed.amount!r} is not a finite Decimal"
    if not isinstance(proposed.label, str) or not proposed.label.strip():
        return f"{proposed.code}: an adjustment needs a label the dealer can read"
    amount = money(proposed.amount)
    if proposed.line_no is None:
        if priced.subtotal + priced.adjustments_total + amount < 0:
            return f"{proposed.code}: would take the order below zero"
        return None
    line = by_no.get(proposed.line_no)
    if line is None:
        return f"{proposed.code}: there is no line {proposed.line_no}"
    if line.net + amount < 0:
        return f"{proposed.code}: would take line {proposed.line_no} below zero"
    return None


def _apply_tax(priced: PricedLines) -> None:
    """VAT per line; order-level adjustments are spread over the lines by their net amount."""
    rate = priced.tax_rate
    goods = sum((line.net for line in priced.lines), Decimal("0"))
    order_adjustment = sum((a.amount for a in priced.adjustments), Decimal("0"))
    for line in priced.lines:
        share = order_adjustment * line.net / goods if goods else Decimal("0")
        taxable = line.net + share
        if priced.prices_include_tax:
            line.tax = money(taxable - taxable / (1 + rate))
        else:
            line.tax = money(taxable * rate)
