"""Submitting an order: every check at once, then one order, exactly once.

:func:`submit_order` turns the actor's cart (or the lines given) into an
order in one transaction. Before writing anything it refuses, all problems at
once and each named by its field (422): lines the dealer may not order (MOQ,
multiples, discontinued or unknown SKUs, quantities), stock short of a line
(unless the tenant takes backorders), an address that is not the dealer's, a
delivery method not offered, a date in the past, payment terms the dealer
does not have, an on-account order over the credit limit. A total that is not
the one the user saw (``expected_total``) is a 409 with the new figures: the
user looks again and resubmits.

Idempotency. The caller's key is unique per submitting user
(``UNIQUE (tenant, created_by, idempotency_key)``). A key seen before
answers the order it made when the request is the same (``created=False``),
and a 422 naming ``Idempotency-Key`` when it is not. Two identical requests
racing each other both pass the first look-up; the second's INSERT then
waits for the first's transaction and fails on the unique key, its
savepoint rolls back, and it answers the first's order.

Ordering of locks, so concurrent submissions never deadlock: the dealer row
(on-account credit), the order row, stock levels per SKU in SKU order
(:mod:`.allocation`), and last the per-tenant number sequence. The order row
is written under a placeholder number that is replaced by the real one at
the very end, so the sequence's lock (what keeps numbers gap-free) is held
only for the commit, not while stock is reserved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dinghuo.core.catalog.models import Product
from dinghuo.core.checks import text
from dinghuo.core.crm.models import DealerStatus
from dinghuo.core.inventory.ledger import available_by_sku
from dinghuo.core.orders import allocation, cart, checkout, credit, lifecycle, line_rules, review
from dinghuo.core.orders.models import Order
from dinghuo.core.orders.numbering import next_number
from dinghuo.core.orders.pricing import PricedLines, price_lines
from dinghuo.core.orders.service import frozen_lines, set_totals
from dinghuo.core.orders.states import OrderStatus
from dinghuo.core.pricing.service import tenant_today
from dinghuo.db import TenantSession
from dinghuo.errors import Conflict, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.tenants.business import business_settings

KEY_FIELD = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")
MAX_NOTES = 2000


@dataclass(frozen=True)
class SubmitResult:
    """The order, and whether this call created it (``False``: a replay of an earlier call)."""

    order: Order
    created: bool


def _key(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.field(KEY_FIELD, "Required: a unique key per order you submit.")
    if not _KEY.match(value.strip()):
        raise ValidationFailed.field(
            KEY_FIELD, "Use 1 to 100 printable ASCII characters without spaces."
        )
    return value.strip()


def _fingerprint(content: Mapping[str, Any]) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _existing(session: TenantSession, actor: Principal, key: str) -> Order | None:
    return session.scalar(
        select(Order).where(Order.created_by_id == actor.user_id, Order.idempotency_key == key)
    )


def _replay(order: Order, fingerprint: str) -> SubmitResult:
    if order.request_fingerprint != fingerprint:
        raise ValidationFailed.field(
            KEY_FIELD,
            f"This key already submitted order {order.number} with other content; "
            "use a new key for a new order.",
        )
    return SubmitResult(order, created=False)


def _line_pairs(lines: Sequence[Any]) -> list[tuple[Any, Any]]:
    pairs: list[tuple[Any, Any]] = []
    for index, line in enumerate(lines):
        if isinstance(line, Mapping):
            pairs.append((line.get("sku_id"), line.get("quantity")))
        elif isinstance(line, tuple | list) and len(line) == 2:
            pairs.append((line[0], line[1]))
        else:
            raise ValidationFailed.field(f"lines.{index}", "Give a sku_id and a quantity.")
    return pairs


def _duplicates(pairs: list[tuple[Any, Any]]) -> dict[str, list[str]]:
    seen: set[Any] = set()
    fields: dict[str, list[str]] = {}
    for index, (sku_id, _quantity) in enumerate(pairs):
        if sku_id in seen:
            fields[f"lines.{index}.sku_id"] = [
                "This SKU is on another line; add up the quantities."
            ]
        seen.add(sku_id)
    return fields


def _date(session: TenantSession, value: Any, fields: dict[str, list[str]]) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            fields["requested_delivery_date"] = ["Use a date such as 2026-12-01."]
            return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        fields["requested_delivery_date"] = ["Use a date such as 2026-12-01."]
        return None
    if value < tenant_today(session):
        fields["requested_delivery_date"] = ["The date is in the past."]
    return value


def _availability(
    session: TenantSession, priced: PricedLines, index_of: dict[int, int]
) -> dict[str, list[str]]:
    """Lines wanting more than all active warehouses have now (the reservation decides later)."""
    stock = available_by_sku(session, [line.sku.id for line in priced.lines])
    fields: dict[str, list[str]] = {}
    for line in priced.lines:
        available = stock.get(line.sku.id, 0)
        if line.quantity > available:
            fields[f"lines.{index_of[line.line_no]}.quantity"] = [
                f"Only {max(available, 0)} of {line.sku.code} available; "
                f"this line asks for {line.quantity}."
            ]
    return fields


def _text(name: str, value: Any, max_length: int, fields: dict[str, list[str]]) -> str:
    try:
        return text(name, value, max_length, required=False)
    except ValidationFailed as error:
        fields.update(error.fields)
        return ""


def _refuse(fields: dict[str, list[str]]) -> None:
    if not fields:
        return
    name, reasons = next(iter(fields.items()))
    more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
    raise ValidationFailed(f"{name}: {reasons[0]}{more}", fields=fields)


def _preload_products(session: TenantSession, priced: PricedLines) -> None:
    """Load the lines' products in one query, so freezing names reads no product twice."""
    ids = {line.sku.product_id for line in priced.lines}
    if ids:
        session.scalars(select(Product).where(Product.id.in_(ids))).all()


def submit_order(
    session: TenantSession,
    actor: Principal,
    *,
    dealer_id: Any = None,
    lines: Sequence[Any] | None = None,
    ship_to_address_id: Any,
    delivery_method: Any,
    requested_delivery_date: Any = None,
    po_number: Any = "",
    notes: Any = "",
    payment_terms: Any = None,
    expected_total: Decimal | None = None,
    idempotency_key: Any,
) -> SubmitResult:
    """Submit ``lines`` (``None``: the actor's cart) as an order; see the module doc.

    A dealer's user orders for their own dealer; staff with ``orders:manage``
    order on behalf of ``dealer_id`` (the order records who placed it). A
    buyer's order over the dealer's ``buyer_approval_limit`` waits in
    DEALER_REVIEW for a dealer admin; any other goes to the brand (SUBMITTED):
    stock is reserved when the tenant reserves on submission, and the review
    steps start. Lines ordered from the cart leave the cart.
    """
    dealer = cart.cart_dealer(session, actor, dealer_id)
    if actor.user_id is None:
        raise PermissionDenied("Orders are submitted by a signed-in user, who owns the key.")
    key = _key(idempotency_key)
    from_cart = lines is None
    fields: dict[str, list[str]] = {}
    pairs = cart.cart_quantities(session, actor, dealer.id) if from_cart else _line_pairs(lines)
    content = {
        "dealer_id": dealer.id,
        "lines": "cart" if from_cart else [list(pair) for pair in pairs],
        "ship_to_address_id": ship_to_address_id,
        "delivery_method": delivery_method,
        "requested_delivery_date": requested_delivery_date,
        "po_number": po_number,
        "notes": notes,
        "payment_terms": payment_terms,
    }
    fingerprint = _fingerprint(content)
    earlier = _existing(session, actor, key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    if dealer.status != DealerStatus.ACTIVE:
        raise Conflict(f"Dealer {dealer.code} is suspended and cannot order.")
    if not pairs:
        raise ValidationFailed.field(
            "lines", "The cart is empty." if from_cart else "Give at least one line."
        )
    settings = business_settings(session)

    problems = line_rules.validate_lines(session, dealer, pairs)
    for problem in problems:
        fields.setdefault(problem.path, []).append(problem.message)
    fields.update(_duplicates(pairs))
    orderable = [
        (index, pair)
        for index, pair in enumerate(pairs)
        if not any(name.startswith(f"lines.{index}.") for name in fields)
    ]
    priced = price_lines(session, dealer, [pair for _, pair in orderable])
    index_of = {no: index for no, (index, _) in enumerate(orderable, start=1)}
    if not settings.backorders_allowed:
        fields.update(_availability(session, priced, index_of))

    address = None
    try:
        address = checkout.ship_to_address(session, dealer, ship_to_address_id)
    except ValidationFailed as error:
        fields.update(error.fields)
    option = None
    if address is not None:
        offered = {o.code: o for o in checkout.quote_options(session, dealer, address, priced)}
        option = offered.get(delivery_method) if isinstance(delivery_method, str) else None
        if option is None:
            fields["delivery_method"] = [
                "Choose one of the delivery options offered: " + ", ".join(sorted(offered)) + "."
            ]
    delivery_date = _date(session, requested_delivery_date, fields)
    terms = dealer.payment_terms.value if payment_terms in (None, "") else payment_terms
    if terms not in checkout.payment_choices(dealer):
        fields["payment_terms"] = [
            "Choose one of: " + ", ".join(checkout.payment_choices(dealer)) + "."
        ]
    po = _text("po_number", po_number, 64, fields)
    note = _text("notes", notes, MAX_NOTES, fields)
    _refuse(fields)
    assert address is not None and option is not None

    total = priced.total(option.freight)
    if problem := credit.credit_problem(session, dealer, terms, total):
        raise problem
    if expected_total is not None and Decimal(expected_total) != total:
        raise Conflict(
            f"The total is now {total} (goods {priced.total()}, freight {option.freight}), "
            f"not {expected_total}: prices, promotions or freight changed. Check and submit again.",
            fields={"expected_total": [f"The total is now {total}."]},
        )

    order = Order(
        number=f"~{uuid.uuid4().hex}",
        dealer_id=dealer.id,
        status=OrderStatus.DRAFT,
        created_by_id=actor.user_id,
        placed_by_staff=actor.is_staff,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        po_number=po,
        notes=note,
        requested_delivery_date=delivery_date,
        ship_to_address_id=address.id,
        ship_to=checkout.address_snapshot(address),
        delivery_method=option.code,
        delivery_label=option.label,
        payment_terms=terms,
        currency=priced.currency,
        freight=option.freight,
        needs_dealer_approval=checkout.needs_dealer_approval(actor, dealer, total),
    )
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        earlier = _existing(session, actor, key)
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)

    _preload_products(session, priced)
    order.lines = frozen_lines(priced)
    set_totals(order, priced)
    session.flush()
    target = OrderStatus.DEALER_REVIEW if order.needs_dealer_approval else OrderStatus.SUBMITTED
    if target is OrderStatus.SUBMITTED and settings.reserve_stock_on == "submission":
        allocation.reserve_order(session, order)
    order.number = next_number(session, "order", settings.order_number_prefix)
    reason = (
        f"Over the dealer's approval limit of {dealer.buyer_approval_limit}: "
        "waiting for the dealer admin."
        if order.needs_dealer_approval
        else ""
    )
    lifecycle.transition(session, actor, order, target, reason)
    if target is OrderStatus.SUBMITTED:
        review.start_review(session, order)
    if from_cart:
        cart.remove_skus(session, actor, [line.sku_id for line in order.lines], dealer.id)
    record(
        session,
        actor,
        "order.submit",
        "order",
        order.id,
        {"number": order.number, "dealer_id": dealer.id, "total": str(order.total)},
    )
    return SubmitResult(order, created=True)


def reach_brand(session: TenantSession, actor: Principal | None, order: Order, reason: str) -> None:
    """Move an order from dealer review to the brand: reserve (per setting), SUBMITTED, review."""
    if business_settings(session).reserve_stock_on == "submission":
        allocation.reserve_order(session, order)
    lifecycle.transition(session, actor, order, OrderStatus.SUBMITTED, reason)
    review.start_review(session, order)
