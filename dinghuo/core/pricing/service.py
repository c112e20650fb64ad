"""Wholesale prices: which price a dealer pays, and the rules for changing price lists.

:func:`resolve_prices` is THE price of a SKU for a dealer; portal pages, search
results, carts and orders all call it, so a dealer sees the price it will be
charged. The rest of the module creates and changes price lists, their
assignments and their items (staff with ``prices:manage``; reading needs
``prices:read``). Dealers never see lists, only their own resolved prices.

A missing id and another tenant's id raise the same :class:`NotFound`. Bad
input raises :class:`ValidationFailed` naming the field, before anything is
written. Every change writes an audit entry and a ``price_list.updated`` event
in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from dinghuo.core.catalog.models import Sku
from dinghuo.core.crm.models import Dealer, DealerGroupMember
from dinghuo.core.pricing.models import (
    AssignmentScope,
    PriceList,
    PriceListAssignment,
    PriceListItem,
    PriceListKind,
)
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import ValidationFailed
from dinghuo.platform.tenants.models import Tenant

SOURCES = ("contract", "dealer", "group", "tier", "base")
"""Where a resolved price came from, most specific first."""

_LEVEL = {name: rank for rank, name in enumerate(SOURCES)}


@dataclass(frozen=True)
class PriceBreak:
    """From ``min_qty`` units up, each unit costs ``unit_price``."""

    min_qty: int
    unit_price: Decimal


@dataclass(frozen=True)
class ResolvedPrice:
    """The unit price a dealer pays for ``quantity`` of a SKU, and where it came from.

    ``price_list_id``/``price_list_code`` are ``None`` and ``breaks`` is empty
    when the base price applies; otherwise ``breaks`` are the winning list's
    quantity breaks for this SKU, smallest ``min_qty`` first (for display).
    """

    sku_id: int
    quantity: int
    unit_price: Decimal
    base_price: Decimal
    msrp: Decimal
    source: str
    price_list_id: int | None
    price_list_code: str | None
    breaks: tuple[PriceBreak, ...]


def tenant_today(session: TenantSession) -> dt.date:
    """Today's date in the bound tenant's time zone (validity dates are in that zone)."""
    tenant = session.get(Tenant, session.tenant_id)
    zone = ZoneInfo(tenant.timezone if tenant is not None else "UTC")
    return utcnow().astimezone(zone).date()


def _assignment_source(kind: PriceListKind, scope: AssignmentScope) -> str:
    if scope == AssignmentScope.DEALER:
        return "contract" if kind == PriceListKind.CONTRACT else "dealer"
    return scope.value


@dataclass
class _Candidate:
    """One price list that prices one SKU for the dealer, with all its breaks."""

    price_list_id: int
    code: str
    priority: int
    level: int
    breaks: list[PriceBreak]


def resolve_prices(
    session: TenantSession,
    dealer: Dealer,
    quantities: Mapping[int, int],
    *,
    on: dt.date | None = None,
) -> dict[int, ResolvedPrice]:
    """The unit price ``dealer`` pays for each SKU id of ``quantities`` (id → quantity).

    Candidates are the price lists that are active, valid on ``on`` (default:
    today in the tenant's time zone; ``valid_from``/``valid_to`` are inclusive
    and open when empty), assigned to this dealer, and that contain the SKU.
    Precedence, first match wins:

    1. ``contract`` — a contract list assigned to the dealer;
    2. ``dealer`` — a (non-contract) list assigned to the dealer;
    3. ``group`` — a list assigned to one of the dealer's groups;
    4. ``tier`` — a list assigned to the dealer's tier;
    5. ``base`` — the SKU's base price.

    A list assigned at several levels counts at its most specific one. Within
    one level the lower ``priority`` number wins, then the lower unit price
    (for this quantity), then the lower list id, so the answer never depends
    on row order. Within a list, the quantity break with the greatest
    ``min_qty`` ≤ ``quantity`` applies; when ``quantity`` is below the list's
    smallest ``min_qty`` for that SKU, the list is skipped and the next
    candidate is tried (ultimately the base price).

    It runs a constant number of queries whatever the number of SKUs. SKU ids
    that do not exist in the bound tenant are absent from the result.
    Visibility of products is the catalog's business, not checked here.
    """
    for sku_id, quantity in quantities.items():
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise ValidationFailed.field("quantity", f"Must be at least 1 (SKU {sku_id}).")
    if not quantities:
        return {}
    day = on if on is not None else tenant_today(session)
    sku_ids = list(quantities)

    group_ids = [
        str(group_id)
        for group_id in session.scalars(
            select(DealerGroupMember.group_id).where(DealerGroupMember.dealer_id == dealer.id)
        )
    ]
    skus = {
        row.id: row
        for row in session.execute(
            select(Sku.id, Sku.base_price, Sku.msrp).where(Sku.id.in_(sku_ids))
        )
    }

    matches = [
        and_(
            PriceListAssignment.scope == AssignmentScope.DEALER,
            PriceListAssignment.value == str(dealer.id),
        ),
        and_(
            PriceListAssignment.scope == AssignmentScope.TIER,
            PriceListAssignment.value == dealer.tier,
        ),
    ]
    if group_ids:
        matches.append(
            and_(
                PriceListAssignment.scope == AssignmentScope.GROUP,
                PriceListAssignment.value.in_(group_ids),
            )
        )
    rows = session.execute(
        select(
            PriceListItem.sku_id,
            PriceListItem.min_qty,
            PriceListItem.price,
            PriceList.id,
            PriceList.code,
            PriceList.kind,
            PriceList.priority,
            PriceListAssignment.scope,
        )
        .join(PriceList, PriceList.id == PriceListItem.price_list_id)
        .join(PriceListAssignment, PriceListAssignment.price_list_id == PriceList.id)
        .where(
            PriceListItem.sku_id.in_(sku_ids),
            PriceList.is_active.is_(True),
            or_(PriceList.valid_from.is_(None), PriceList.valid_from <= day),
            or_(PriceList.valid_to.is_(None), PriceList.valid_to >= day),
            or_(*matches),
        )
    )

    # (sku, list) → candidate; a row per (item, matching assignment), so dedupe both.
    candidates: dict[tuple[int, int], _Candidate] = {}
    seen_breaks: set[tuple[int, int, int]] = set()
    for sku_id, min_qty, price, list_id, code, kind, priority, scope in rows:
        level = _LEVEL[_assignment_source(kind, scope)]
        candidate = candidates.setdefault(
            (sku_id, list_id), _Candidate(list_id, code, priority, level, [])
        )
        candidate.level = min(candidate.level, level)
        if (sku_id, list_id, min_qty) not in seen_breaks:
            seen_breaks.add((sku_id, list_id, min_qty))
            candidate.breaks.append(PriceBreak(min_qty, price))

    by_sku: dict[int, list[_Candidate]] = {}
    for (sku_id, _list_id), candidate in candidates.items():
        by_sku.setdefault(sku_id, []).append(candidate)

    resolved: dict[int, ResolvedPrice] = {}
    for sku_id, quantity in quantities.items():
        sku = skus.get(sku_id)
        if sku is None:
            continue
        best: tuple[tuple[int, int, Decimal, int], _Candidate, Decimal] | None = None
        for candidate in by_sku.get(sku_id, []):
            applicable = [b for b in candidate.breaks if b.min_qty <= quantity]
            if not applicable:
                continue
            unit_price = max(applicable, key=lambda b: b.min_qty).unit_price
            key = (candidate.level, candidate.priority, unit_price, candidate.price_list_id)
            if best is None or key < best[0]:
                best = (key, candidate, unit_price)
        if best is None:
            resolved[sku_id] = ResolvedPrice(
                sku_id=sku_id,
                quantity=quantity,
                unit_price=sku.base_price,
                base_price=sku.base_price,
                msrp=sku.msrp,
                source="base",
                price_list_id=None,
                price_list_code=None,
                breaks=(),
            )
            continue
        _key, winner, unit_price = best
        resolved[sku_id] = ResolvedPrice(
            sku_id=sku_id,
            quantity=quantity,
            unit_price=unit_price,
            base_price=sku.base_price,
            msrp=sku.msrp,
            source=SOURCES[winner.level],
            price_list_id=winner.price_list_id,
            price_list_code=winner.code,
            breaks=tuple(sorted(winner.breaks, key=lambda b: b.min_qty)),
        )
    return resolved
