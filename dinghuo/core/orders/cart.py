"""The cart: what a user means to order for one dealer, priced live.

A dealer's user has one cart for their own dealer; a sales rep (``orders:manage``)
has one per dealer they order for, so working on behalf of a dealer never
touches the dealer's own users' carts. Lines are stored as SKU and quantity
only; prices are computed on every view by the same pipeline that prices the
order at submission (:func:`dinghuo.core.orders.pricing.price_lines`), so the
cart shows what the dealer will be charged.

Writes refuse what can never be ordered (a SKU the dealer cannot see or that
is no longer sold, a quantity that is not a whole number, too many units or
lines) and accept what the user can fix in the cart (under the MOQ, not a
multiple): those are shown as problems, and submission refuses them.

Each line keeps the unit price the user saw when they last wrote it
(``seen_unit_price``); a view whose live price differs flags the line stale
until the user acknowledges it (:func:`mark_seen`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import joinedload

from dinghuo.core.catalog.models import DealerSkuCode, Sku
from dinghuo.core.checks import load, require
from dinghuo.core.crm.models import Dealer
from dinghuo.core.crm.service import get_dealer
from dinghuo.core.inventory.service import available_by_sku
from dinghuo.core.orders import line_rules
from dinghuo.core.orders.line_rules import LineProblem
from dinghuo.core.orders.models import Cart, CartLine, Order
from dinghuo.core.orders.pricing import PricedLine, PricedLines, price_lines
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

REFUSED = frozenset(
    {line_rules.UNKNOWN_SKU, line_rules.NOT_ORDERABLE, line_rules.BAD_QUANTITY, line_rules.TOO_MANY}
)
"""Line problems a write refuses; the others (MOQ, multiple) the user fixes in the cart."""


def cart_dealer(session: TenantSession, actor: Principal, dealer_id: Any = None) -> Dealer:
    """Whose cart this is: a dealer's user orders for their own dealer (another dealer's
    id is a 404); staff with ``orders:manage`` order on behalf of the ``dealer_id`` given."""
    if actor.dealer_id is not None:
        require(actor, Permission.ORDERS_PLACE)
        if dealer_id is not None and dealer_id != actor.dealer_id:
            raise NotFound("No such dealer.")
        return get_dealer(session, actor.dealer_id, actor)
    require(actor, Permission.ORDERS_MANAGE)
    if dealer_id is None:
        raise ValidationFailed.field("dealer_id", "Choose the dealer to order for.")
    if isinstance(dealer_id, bool) or not isinstance(dealer_id, int):
        raise ValidationFailed.field("dealer_id", "Must be a dealer id.")
    return get_dealer(session, dealer_id, actor)


def _user_id(actor: Principal) -> int:
    if actor.user_id is None:
        raise PermissionDenied("A cart belongs to a signed-in user.")
    return actor.user_id


def _find_cart(session: TenantSession, actor: Principal, dealer: Dealer) -> Cart | None:
    return session.scalar(
        select(Cart).where(Cart.user_id == _user_id(actor), Cart.dealer_id == dealer.id)
    )


def _cart(session: TenantSession, actor: Principal, dealer: Dealer) -> Cart:
    cart = _find_cart(session, actor, dealer)
    if cart is None:
        cart = Cart(user_id=_user_id(actor), dealer_id=dealer.id)
        session.add(cart)
        session.flush()
    return cart


def _lines(session: TenantSession, cart: Cart | None) -> list[CartLine]:
    if cart is None:
        return []
    return list(
        session.scalars(
            select(CartLine)
            .where(CartLine.cart_id == cart.id)
            .order_by(CartLine.position, CartLine.id)
        )
    )


@dataclass
class CartLineView:
    """One line as the user sees it: the SKU, live price, stock and what is wrong with it."""

    sku: Sku | None
    sku_id: int
    quantity: int
    available: int
    priced: PricedLine | None
    problem: LineProblem | None
    seen_unit_price: Decimal | None

    @property
    def stale(self) -> bool:
        """The price changed since the user last wrote or acknowledged this line."""
        return (
            self.priced is not None
            and self.seen_unit_price is not None
            and self.seen_unit_price != self.priced.unit_price
        )

    @property
    def short(self) -> int:
        """Units the warehouses cannot cover now (0 when in stock)."""
        return max(self.quantity - self.available, 0)


@dataclass
class CartView:
    dealer: Dealer
    lines: list[CartLineView]
    priced: PricedLines
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def stale(self) -> bool:
        return any(line.stale for line in self.lines)

    @property
    def total(self) -> Decimal:
        return self.priced.total()


def skus_with_products(session: TenantSession, sku_ids: Iterable[int]) -> dict[int, Sku]:
    """SKUs with their products (for names), in one query."""
    ids = set(sku_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Sku).options(joinedload(Sku.product)).where(Sku.id.in_(ids)))
    return {sku.id: sku for sku in rows}


def _cart_skus(session: TenantSession, cart_id: int) -> dict[int, Sku]:
    """The cart's SKUs with their products, selected through the cart (no list of ids to
    send: a 200-line cart is one short statement)."""
    rows = session.scalars(
        select(Sku)
        .join(CartLine, CartLine.sku_id == Sku.id)
        .options(joinedload(Sku.product))
        .where(CartLine.cart_id == cart_id)
    )
    return {sku.id: sku for sku in rows}


def get_cart(session: TenantSession, actor: Principal, dealer_id: Any = None) -> CartView:
    """The cart priced now, with stock and problems per line.

    A constant number of queries whatever the number of lines: the lines, the
    SKUs, the rules' facts, stock and the pricing pipeline each run once.
    Lines whose SKU can no longer be ordered stay in the cart, unpriced, with
    their problem, so the user sees why and removes them.
    """
    dealer = cart_dealer(session, actor, dealer_id)
    lines = _lines(session, _find_cart(session, actor, dealer))
    return _view(session, dealer, lines)


def _view(session: TenantSession, dealer: Dealer, lines: list[CartLine]) -> CartView:
    pairs = [(line.sku_id, line.quantity) for line in lines]
    problems = line_rules.validate_lines(session, dealer, pairs)
    by_no = {problem.line_no: problem for problem in problems}
    skus = _cart_skus(session, lines[0].cart_id) if lines else {}
    priceable = [
        (line.sku_id, line.quantity)
        for no, line in enumerate(lines, start=1)
        if no not in by_no or by_no[no].field != "sku_id"
    ]
    priced = price_lines(session, dealer, priceable)
    priced_by_sku = {item.sku.id: item for item in priced.lines}
    stock = available_by_sku(session, [line.sku_id for line in lines])
    views = [
        CartLineView(
            sku=skus.get(line.sku_id),
            sku_id=line.sku_id,
            quantity=line.quantity,
            available=stock.get(line.sku_id, 0),
            priced=priced_by_sku.get(line.sku_id),
            problem=by_no.get(no),
            seen_unit_price=line.seen_unit_price,
        )
        for no, line in enumerate(lines, start=1)
    ]
    return CartView(dealer=dealer, lines=views, priced=priced, problems=problems)


def cart_quantities(
    session: TenantSession, actor: Principal, dealer_id: Any = None
) -> list[tuple[int, int]]:
    """The cart's ``(sku_id, quantity)`` lines in display order (what submission orders)."""
    dealer = cart_dealer(session, actor, dealer_id)
    return [
        (line.sku_id, line.quantity) for line in _lines(session, _find_cart(session, actor, dealer))
    ]


def _refuse(problems: Sequence[LineProblem], prefix: str) -> None:
    """Refuse a write with every refusing problem, named ``<prefix>.<index>.<field>``."""
    refused = [problem for problem in problems if problem.code in REFUSED]
    if not refused:
        return
    fields: dict[str, list[str]] = {}
    for problem in refused:
        fields.setdefault(f"{prefix}.{problem.line_no - 1}.{problem.field}", []).append(
            problem.message
        )
    first = refused[0]
    raise ValidationFailed(
        f"Line {first.line_no}: {first.message}"
        + (f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""),
        fields=fields,
    )


def _write(
    session: TenantSession,
    dealer: Dealer,
    cart: Cart,
    quantities: Mapping[int, int],
    *,
    add: bool,
) -> None:
    """Set (or, with ``add``, increase) lines' quantities; 0 removes a line. Checked first."""
    existing = {line.sku_id: line for line in _lines(session, cart)}
    target: dict[int, int] = {}
    for sku_id, quantity in quantities.items():
        current = existing[sku_id].quantity if add and sku_id in existing else 0
        target[sku_id] = current + quantity
    kept = {sku_id: qty for sku_id, qty in target.items() if qty != 0}
    removed = set(target) - set(kept)
    if len((set(existing) | set(kept)) - removed) > line_rules.MAX_ORDER_LINES:
        raise ValidationFailed.field(
            "items", f"A cart holds at most {line_rules.MAX_ORDER_LINES} lines."
        )
    priced = price_lines(session, dealer, list(kept.items())) if kept else None
    prices = {item.sku.id: item.unit_price for item in priced.lines} if priced else {}
    position = max((line.position for line in existing.values()), default=-1)
    for sku_id, quantity in target.items():
        line = existing.get(sku_id)
        if quantity == 0:
            if line is not None:
                session.delete(line)
            continue
        if line is None:
            position += 1
            line = CartLine(cart_id=cart.id, sku_id=sku_id, position=position, quantity=quantity)
            session.add(line)
        line.quantity = quantity
        line.seen_unit_price = prices[sku_id]
    session.flush()


def _is_removal(pair: tuple[Any, Any]) -> bool:
    """A quantity of 0 removes the line, whatever its SKU has become."""
    quantity = pair[1]
    return isinstance(quantity, int) and not isinstance(quantity, bool) and quantity == 0


def set_lines(
    session: TenantSession,
    actor: Principal,
    lines: Sequence[Mapping[str, Any]],
    dealer_id: Any = None,
) -> CartView:
    """Set the quantity of each ``{"sku_id", "quantity"}`` given (0 removes the line);
    other lines are left alone. All or nothing: a refused line writes nothing."""
    dealer = cart_dealer(session, actor, dealer_id)
    pairs = [(item.get("sku_id"), item.get("quantity")) for item in lines]
    problems = line_rules.validate_lines(session, dealer, pairs)
    _refuse([p for p in problems if not _is_removal(pairs[p.line_no - 1])], "lines")
    cart = _cart(session, actor, dealer)
    checked = cast(list[tuple[int, int]], pairs)  # refused above unless ids and whole numbers
    _write(session, dealer, cart, dict(checked), add=False)
    return get_cart(session, actor, dealer.id)


def _known_sku(session: TenantSession, sku_id: int) -> None:
    """A SKU id that is not the tenant's is a 404 before anything else is asked (which
    dealer, which cart): the answer must not depend on another tenant's ids."""
    if session.scalar(select(Sku.id).where(Sku.id == sku_id)) is None:
        raise NotFound("That SKU is not in the cart.")


def set_quantity(
    session: TenantSession, actor: Principal, sku_id: int, quantity: Any, dealer_id: Any = None
) -> CartView:
    """Change one line's quantity; a SKU not in the cart is a 404."""
    _known_sku(session, sku_id)
    dealer = cart_dealer(session, actor, dealer_id)
    cart = _find_cart(session, actor, dealer)
    if cart is None or not any(line.sku_id == sku_id for line in _lines(session, cart)):
        raise NotFound("That SKU is not in the cart.")
    if not _is_removal((sku_id, quantity)):
        _refuse(line_rules.validate_lines(session, dealer, [(sku_id, quantity)]), "lines")
    _write(session, dealer, cart, {sku_id: quantity}, add=False)
    return get_cart(session, actor, dealer.id)


def remove_line(
    session: TenantSession, actor: Principal, sku_id: int, dealer_id: Any = None
) -> None:
    """Take a SKU out of the cart; not in the cart is a 404."""
    _known_sku(session, sku_id)
    dealer = cart_dealer(session, actor, dealer_id)
    cart = _find_cart(session, actor, dealer)
    deleted = 0
    if cart is not None:
        result = session.execute(
            delete(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku_id == sku_id)
        )
        deleted = cast(CursorResult[Any], result).rowcount
    if not deleted:
        raise NotFound("That SKU is not in the cart.")


def remove_skus(
    session: TenantSession, actor: Principal, sku_ids: Iterable[int], dealer_id: Any = None
) -> None:
    """Take these SKUs out of the cart if there (after an order was submitted from it)."""
    dealer = cart_dealer(session, actor, dealer_id)
    cart = _find_cart(session, actor, dealer)
    ids = list(sku_ids)
    if cart is not None and ids:
        session.execute(
            delete(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku_id.in_(ids))
        )


def clear(session: TenantSession, actor: Principal, dealer_id: Any = None) -> None:
    """Empty the cart."""
    dealer = cart_dealer(session, actor, dealer_id)
    cart = _find_cart(session, actor, dealer)
    if cart is not None:
        session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))


def mark_seen(session: TenantSession, actor: Principal, dealer_id: Any = None) -> CartView:
    """The user accepts the current prices: stale flags clear."""
    dealer = cart_dealer(session, actor, dealer_id)
    lines = _lines(session, _find_cart(session, actor, dealer))
    view = _view(session, dealer, lines)
    by_sku = {line.sku_id: line for line in lines}
    for line_view in view.lines:
        if line_view.priced is not None:
            by_sku[line_view.sku_id].seen_unit_price = line_view.priced.unit_price
            line_view.seen_unit_price = line_view.priced.unit_price
    session.flush()
    return view


def skus_for_codes(session: TenantSession, dealer: Dealer, codes: Iterable[str]) -> dict[str, int]:
    """Typed code (upper-cased) → SKU id: the brand's SKU code, a barcode, or the dealer's
    own code, in that precedence; three queries whatever the number of codes."""
    wanted = {code.strip().upper() for code in codes if code and code.strip()}
    found: dict[str, int] = {}
    if not wanted:
        return found
    for code, sku_id in session.execute(select(Sku.code, Sku.id).where(Sku.code.in_(wanted))):
        found[code] = sku_id
    digits = [code for code in wanted - set(found) if code.isdigit()]
    if digits:
        for barcode, sku_id in session.execute(
            select(Sku.barcode, Sku.id).where(Sku.barcode.in_(digits)).order_by(Sku.id.desc())
        ):
            found[barcode] = sku_id
    rest = wanted - set(found)
    if rest:
        for code, sku_id in session.execute(
            select(DealerSkuCode.code, DealerSkuCode.sku_id).where(
                DealerSkuCode.dealer_id == dealer.id, DealerSkuCode.code.in_(rest)
            )
        ):
            found[code] = sku_id
    return found


@dataclass(frozen=True)
class ItemProblem:
    """Why one typed, pasted or uploaded row was refused (``row`` counts from 1)."""

    row: int
    code: str
    field: str
    message: str


def resolve_items(
    session: TenantSession,
    dealer: Dealer,
    items: Sequence[Mapping[str, Any]],
    prefix: str = "items",
) -> dict[int, int]:
    """``{"code" or "sku_id", "quantity"}`` items as SKU id → quantity (repeats summed).

    A missing quantity means the SKU's minimum order quantity. Every refused
    item is reported at once as ``<prefix>.<index>.code|sku_id|quantity``; a
    code the dealer may not see reads exactly like one that does not exist.
    """
    if not items:
        raise ValidationFailed.field(prefix, "Add at least one item.")
    if len(items) > line_rules.MAX_ORDER_LINES:
        raise ValidationFailed.field(prefix, f"Use at most {line_rules.MAX_ORDER_LINES} items.")
    typed = [item.get("code") if isinstance(item.get("code"), str) else None for item in items]
    codes = skus_for_codes(session, dealer, (code for code in typed if code))
    fields: dict[str, list[str]] = {}
    resolved: list[tuple[Any, Any]] = []
    for index, item in enumerate(items):
        sku_id = item.get("sku_id")
        code = (typed[index] or "").strip()
        if sku_id is None and code:
            sku_id = codes.get(code.upper())
        if sku_id is None:
            reason = f"Unknown code: {code}." if code else "Give a SKU code."
            fields[f"{prefix}.{index}.code"] = [reason]
        resolved.append((sku_id, item.get("quantity")))
    moq = _moq(session, [sku_id for sku_id, _qty in resolved if isinstance(sku_id, int)])
    resolved = [
        (sku_id, moq.get(sku_id, 1) if quantity is None else quantity)
        for sku_id, quantity in resolved
    ]
    for problem in line_rules.validate_lines(session, dealer, resolved):
        index = problem.line_no - 1
        if problem.code not in REFUSED or f"{prefix}.{index}.code" in fields:
            continue
        code = (typed[index] or "").strip()
        if code and problem.field == "sku_id":
            message = (
                f"Unknown code: {code}."
                if problem.code == line_rules.UNKNOWN_SKU
                else problem.message
            )
            fields[f"{prefix}.{index}.code"] = [message]
        else:
            fields[f"{prefix}.{index}.{problem.field}"] = [problem.message]
    if fields:
        name, reasons = next(iter(fields.items()))
        more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
        raise ValidationFailed(f"{name}: {reasons[0]}{more}", fields=fields)
    merged: dict[int, int] = {}
    for sku_id, quantity in resolved:
        merged[sku_id] = merged.get(sku_id, 0) + quantity
    return merged


def add_items(
    session: TenantSession,
    actor: Principal,
    items: Sequence[Mapping[str, Any]],
    dealer_id: Any = None,
) -> CartView:
    """Add items (quick order, paste, upload, variant grid) to the cart; see :func:`resolve_items`.

    A quantity adds to the line already in the cart. All or nothing: when any
    item is refused, nothing is added.
    """
    dealer = cart_dealer(session, actor, dealer_id)
    merged = resolve_items(session, dealer, items)
    cart = _cart(session, actor, dealer)
    existing = {line.sku_id: line.quantity for line in _lines(session, cart)}
    if any(
        existing.get(sku_id, 0) + qty > line_rules.MAX_LINE_QUANTITY
        for sku_id, qty in merged.items()
    ):
        raise ValidationFailed.field(
            "items", f"Order at most {line_rules.MAX_LINE_QUANTITY} units of one SKU."
        )
    _write(session, dealer, cart, merged, add=True)
    return get_cart(session, actor, dealer.id)


def _moq(session: TenantSession, sku_ids: list[int]) -> dict[int, int]:
    if not sku_ids:
        return {}
    return dict(session.execute(select(Sku.id, Sku.moq).where(Sku.id.in_(set(sku_ids)))).all())


@dataclass
class AddedFrom:
    """What a reorder or a saved list put in the cart, and what it left out and why."""

    cart: CartView
    added: int
    skipped: list[LineProblem]


def add_orderable(
    session: TenantSession,
    actor: Principal,
    dealer: Dealer,
    pairs: Sequence[tuple[int, int]],
) -> AddedFrom:
    """Add the lines that can still be ordered; skip (and report) those that cannot."""
    problems = line_rules.validate_lines(session, dealer, pairs)
    skipped = [problem for problem in problems if problem.code in REFUSED]
    skipped_nos = {problem.line_no for problem in skipped}
    merged: dict[int, int] = {}
    for no, (sku_id, quantity) in enumerate(pairs, start=1):
        if no not in skipped_nos:
            merged[sku_id] = merged.get(sku_id, 0) + quantity
    cart = _cart(session, actor, dealer)
    existing = {line.sku_id: line.quantity for line in _lines(session, cart)}
    merged = {
        sku_id: min(qty, line_rules.MAX_LINE_QUANTITY - existing.get(sku_id, 0))
        for sku_id, qty in merged.items()
    }
    merged = {sku_id: qty for sku_id, qty in merged.items() if qty > 0}
    if merged:
        _write(session, dealer, cart, merged, add=True)
    return AddedFrom(get_cart(session, actor, dealer.id), len(merged), skipped)


def reorder(session: TenantSession, actor: Principal, order_id: int) -> AddedFrom:
    """Put a past order's lines in the cart for its dealer, skipping the ones no longer sold."""
    order = load(session, Order, order_id)
    if order is None or (actor.dealer_id is not None and order.dealer_id != actor.dealer_id):
        raise NotFound("No such order.")
    dealer = cart_dealer(session, actor, order.dealer_id)
    pairs = [
        (line.sku_id, line.quantity) for line in sorted(order.lines, key=lambda line: line.line_no)
    ]
    return add_orderable(session, actor, dealer, pairs)
