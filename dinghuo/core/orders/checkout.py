"""Checkout: where an order can go and how, before it is submitted.

Delivery options are always ``pickup`` (自提: the dealer collects, no freight)
plus whatever the tenant's enabled carrier plugins quote through
``dinghuo_freight_quotes``, each as ``<plugin>:<service>``. Quotes depend on
the destination, the goods' weight and value, so the same function serves the
checkout page, ``GET /checkout/delivery-options`` and submission (which
accepts only an option quoted now, at the freight quoted now).

A carrier that fails or times out is left out (and logged by the host); a
quote that is not a :class:`~dinghuo.plugins.FreightQuote` with a finite
amount of zero or more is dropped and logged, never offered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.checks import load
from dinghuo.core.crm.models import AddressKind, Dealer, DealerAddress, PaymentTerms
from dinghuo.core.orders import cart, credit
from dinghuo.core.orders.cart import CartView
from dinghuo.core.orders.pricing import PricedLines, dealer_ref, money, price_lines
from dinghuo.db import TenantSession
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.plugins.manager import host_for
from dinghuo.plugins.service import tenant_plugins
from dinghuo.plugins.types import Address, FreightQuote, FreightRequest, Parcel

log = logging.getLogger(__name__)

PICKUP = "pickup"
PICKUP_LABEL = "自提"
PLUGIN_TIMEOUT = 3.0
"""Seconds a carrier may take to quote; checkout waits for it, so a slow one is left out."""
_SERVICE = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")


@dataclass(frozen=True)
class DeliveryOption:
    """One way to get the goods to the dealer, with its freight."""

    code: str
    label: str
    freight: Decimal
    estimated_days: int | None = None


def ship_to_address(session: TenantSession, dealer: Dealer, address_id: Any) -> DealerAddress:
    """One of ``dealer``'s ship-to addresses, or 422 naming ``ship_to_address_id``."""
    address = load(session, DealerAddress, address_id)
    if address is None or address.dealer_id != dealer.id or address.kind != AddressKind.SHIP_TO:
        raise ValidationFailed.field(
            "ship_to_address_id", "Choose one of the dealer's ship-to addresses."
        )
    return address


def ship_to_addresses(session: TenantSession, dealer: Dealer) -> list[DealerAddress]:
    """The dealer's ship-to addresses, the default first."""
    return list(
        session.scalars(
            select(DealerAddress)
            .where(DealerAddress.dealer_id == dealer.id, DealerAddress.kind == AddressKind.SHIP_TO)
            .order_by(DealerAddress.is_default.desc(), DealerAddress.id)
        )
    )


def address_snapshot(address: DealerAddress) -> dict[str, str]:
    """The address as frozen on an order (the dealer may edit or delete it later)."""
    return {
        "label": address.label,
        "recipient": address.recipient,
        "phone": address.phone,
        "province": address.province,
        "city": address.city,
        "district": address.district,
        "street": address.street,
        "postal_code": address.postal_code,
    }


def _weight_grams(session: TenantSession, priced: PricedLines) -> int:
    weights = dict(
        session.execute(
            select(Sku.id, Sku.weight_g).where(Sku.id.in_([line.sku.id for line in priced.lines]))
        ).all()
    )
    return sum((weights.get(line.sku.id) or 0) * line.quantity for line in priced.lines)


def quote_options(
    session: TenantSession, dealer: Dealer, address: DealerAddress, priced: PricedLines
) -> list[DeliveryOption]:
    """``pickup`` and every enabled carrier's quotes for these goods to ``address``."""
    options = [DeliveryOption(PICKUP, PICKUP_LABEL, Decimal("0.00"))]
    plugins = tenant_plugins(session, host_for(session))
    if not plugins.enabled:
        return options
    request = FreightRequest(
        tenant=plugins.tenant,
        dealer=dealer_ref(session, dealer),
        destination=Address(
            recipient=address.recipient,
            phone=address.phone,
            province=address.province,
            city=address.city,
            street=address.street,
            district=address.district,
            postal_code=address.postal_code,
        ),
        parcels=(Parcel(weight_grams=_weight_grams(session, priced)),),
        declared_value=priced.total(),
        currency=priced.currency,
    )
    for outcome in plugins.call_each(
        "dinghuo_freight_quotes", request=request, timeout=PLUGIN_TIMEOUT
    ):
        if outcome.error is not None:
            continue
        for quote in outcome.result or []:
            problem = _quote_problem(quote, priced.currency)
            if problem:
                log.warning(
                    "carrier plugin %s: quote dropped: %s",
                    outcome.plugin,
                    problem,
                    extra={"plugin": outcome.plugin},
                )
                continue
            options.append(
                DeliveryOption(
                    f"{outcome.plugin}:{quote.service}",
                    quote.label.strip(),
                    money(quote.amount),
                    quote.estimated_days,
                )
            )
    return options


def _quote_problem(quote: object, currency: str) -> str | None:
    if not isinstance(quote, FreightQuote):
        return f"not a FreightQuote: {type(quote).__name__}"
    if not isinstance(quote.service, str) or not _SERVICE.match(quote.service):
        return f"service {quote.service!r} is not a code (letters, digits, _ . -)"
    if not isinstance(quote.amount, Decimal) or not quote.amount.is_finite() or quote.amount < 0:
        return f"{quote.service}: amount {quote.amount!r} is not a Decimal of zero or more"
    if not isinstance(quote.label, str) or not quote.label.strip():
        return f"{quote.service}: a quote needs a label the dealer can read"
    if quote.currency != currency:
        return f"{quote.service}: quoted in {quote.currency}, the order is in {currency}"
    return None


def delivery_options(
    session: TenantSession,
    actor: Principal,
    dealer_id: Any = None,
    address_id: Any = None,
    lines: Sequence[tuple[int, int]] | None = None,
) -> list[DeliveryOption]:
    """The options for ``lines`` (default: the actor's cart) to one of the dealer's addresses.

    Lines with problems are left out of the quote (submission refuses them anyway).
    """
    dealer = cart.cart_dealer(session, actor, dealer_id)
    address = ship_to_address(session, dealer, address_id)
    if lines is None:
        view = cart.get_cart(session, actor, dealer.id)
        priced = view.priced
    else:
        priced = price_lines(session, dealer, lines)
    return quote_options(session, dealer, address, priced)


def payment_choices(dealer: Dealer) -> list[str]:
    """The terms a dealer may order on: its own (on account when granted) and prepayment."""
    own = dealer.payment_terms.value
    return [own] if own == PaymentTerms.PREPAID.value else [own, PaymentTerms.PREPAID.value]


@dataclass
class Checkout:
    """Everything the checkout page shows for the actor's cart."""

    dealer: Dealer
    cart: CartView
    addresses: list[DealerAddress]
    address: DealerAddress | None
    options: list[DeliveryOption]
    payment_terms: list[str]
    credit: credit.CreditStanding
    needs_dealer_approval: bool


def needs_dealer_approval(actor: Principal, dealer: Dealer, total: Decimal) -> bool:
    """A buyer's order over the dealer's own limit waits for a dealer admin (staff's never)."""
    return (
        actor.dealer_id is not None
        and not actor.can(Permission.OWN_ORDERS_APPROVE)
        and dealer.buyer_approval_limit is not None
        and total > dealer.buyer_approval_limit
    )


def prepare_checkout(
    session: TenantSession, actor: Principal, dealer_id: Any = None, address_id: Any = None
) -> Checkout:
    """The actor's cart priced, the dealer's addresses, the options to the chosen (or default) one."""
    view = cart.get_cart(session, actor, dealer_id)
    dealer = view.dealer
    addresses = ship_to_addresses(session, dealer)
    chosen = next((a for a in addresses if a.id == address_id), addresses[0] if addresses else None)
    options = quote_options(session, dealer, chosen, view.priced) if chosen and view.lines else []
    return Checkout(
        dealer=dealer,
        cart=view,
        addresses=addresses,
        address=chosen,
        options=options,
        payment_terms=payment_choices(dealer),
        credit=credit.credit_standing(session, dealer),
        needs_dealer_approval=needs_dealer_approval(actor, dealer, view.total),
    )
