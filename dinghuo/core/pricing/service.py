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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.catalog import rules
from dinghuo.core.catalog.models import Product, ProductStatus, Sku
from dinghuo.core.catalog.visibility import browsable_by
from dinghuo.core.checks import reject_unknown, require
from dinghuo.core.crm.models import Dealer, DealerGroup, DealerGroupMember
from dinghuo.core.crm.service import get_dealer
from dinghuo.core.pricing.models import (
    AssignmentScope,
    PriceList,
    PriceListAssignment,
    PriceListItem,
    PriceListKind,
)
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit
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


# --- previews: what a dealer pays -----------------------------------------------------------

MAX_PREVIEW_SKUS = 200


def _quantity(value: Any, field: str = "quantity") -> int:
    return rules.integer(field, value, minimum=1, maximum=rules.MAX_QUANTITY)


def _sku_ids(value: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(value))
    if not ids:
        raise ValidationFailed.field("sku_id", "Name at least one SKU.")
    if len(ids) > MAX_PREVIEW_SKUS:
        raise ValidationFailed.field("sku_id", f"At most {MAX_PREVIEW_SKUS} SKUs at once.")
    return ids


def _priced(
    session: TenantSession,
    dealer: Dealer,
    sku_ids: list[int],
    quantity: int,
    on: dt.date | None,
) -> list[ResolvedPrice]:
    resolved = resolve_prices(session, dealer, dict.fromkeys(sku_ids, quantity), on=on)
    missing = [i for i in sku_ids if i not in resolved]
    if missing:
        raise ValidationFailed.field("sku_id", f"No such SKU: {missing[0]}.")
    return [resolved[i] for i in sku_ids]


def preview_prices(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    sku_ids: Sequence[int],
    quantity: int = 1,
    *,
    on: dt.date | None = None,
) -> list[ResolvedPrice]:
    """What ``dealer_id`` would pay for ``quantity`` of each SKU (staff, ``prices:read``).

    Staff see every SKU of the tenant, hidden or not, to check a price before
    publishing; an unknown SKU is refused naming ``sku_id``.
    """
    require(actor, Permission.PRICES_READ)
    dealer = get_dealer(session, dealer_id)
    return _priced(session, dealer, _sku_ids(sku_ids), _quantity(quantity), on)


def my_prices(
    session: TenantSession, actor: Principal, sku_ids: Sequence[int], quantity: int = 1
) -> list[ResolvedPrice]:
    """The signed-in dealer user's own prices, today, for SKUs its dealer may browse.

    A SKU the dealer may not see (hidden, inactive, another tenant's) is
    refused exactly like an unknown one, so hidden products leak nothing.
    """
    require(actor, Permission.CATALOG_BROWSE)
    if actor.dealer_id is None:
        raise NotFound("You do not belong to a dealer.")
    dealer = get_dealer(session, actor.dealer_id)
    ids = _sku_ids(sku_ids)
    quantity = _quantity(quantity)
    browsable = set(
        session.scalars(
            select(Sku.id)
            .join(Product, Sku.product_id == Product.id)
            .where(Sku.id.in_(ids), Sku.status == ProductStatus.ACTIVE, browsable_by(dealer))
        )
    )
    hidden = [i for i in ids if i not in browsable]
    if hidden:
        raise ValidationFailed.field("sku_id", f"No such SKU: {hidden[0]}.")
    return _priced(session, dealer, ids, quantity, None)


# --- price lists ----------------------------------------------------------------------------

LIST_FIELDS = frozenset({"code", "name", "kind", "priority", "valid_from", "valid_to", "is_active"})
LIST_SORTS = {
    "code": PriceList.code,
    "name": PriceList.name,
    "priority": PriceList.priority,
    "created_at": PriceList.created_at,
}
ITEM_SORTS = {"id": PriceListItem.id, "sku_id": PriceListItem.sku_id}
CODE_MAX = 40
MAX_PRIORITY = 1_000_000
MAX_ASSIGNMENTS = 500
MAX_BULK_ITEMS = 5000


def _changed_event(
    session: TenantSession, price_list: PriceList, change: str, **details: Any
) -> None:
    """Tell listeners (search index, ERP, caches) that prices of this list changed."""
    emit(
        session,
        "price_list.updated",
        "price_list",
        price_list.id,
        {"code": price_list.code, "change": change, **details},
    )


def _date(field: str, value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ValidationFailed.field(field, "Must be a date (YYYY-MM-DD).")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationFailed.field(field, "Must be a date (YYYY-MM-DD).") from exc
    return value


def _kind(value: Any) -> PriceListKind:
    try:
        return PriceListKind(value)
    except ValueError as exc:
        allowed = ", ".join(k.value for k in PriceListKind)
        raise ValidationFailed.field("kind", f"Use one of: {allowed}.") from exc


def _list_values(
    session: TenantSession, changes: Mapping[str, Any], current: PriceList | None
) -> dict[str, Any]:
    """Validate and normalise price-list fields; nothing is written until all pass."""
    reject_unknown(changes, LIST_FIELDS)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "code":
            values[name] = rules.code("code", value, CODE_MAX)
            existing = session.scalar(select(PriceList.id).where(PriceList.code == values[name]))
            if existing is not None and (current is None or existing != current.id):
                raise ValidationFailed.field("code", "A price list with this code already exists.")
        elif name == "name":
            values[name] = rules.name("name", value, 200)
        elif name == "kind":
            values[name] = _kind(value)
        elif name == "priority":
            values[name] = rules.integer("priority", value, minimum=0, maximum=MAX_PRIORITY)
        elif name in ("valid_from", "valid_to"):
            values[name] = _date(name, value)
        elif name == "is_active":
            if not isinstance(value, bool):
                raise ValidationFailed.field("is_active", "Must be true or false.")
            values[name] = value
    start = values.get("valid_from", current.valid_from if current else None)
    end = values.get("valid_to", current.valid_to if current else None)
    if start is not None and end is not None and start > end:
        raise ValidationFailed.field("valid_to", "Must not be before valid_from.")
    return values


def get_price_list(
    session: TenantSession, actor: Principal | None, price_list_id: int
) -> PriceList:
    """One price list of the bound tenant (staff with ``prices:read``), or NotFound."""
    require(actor, Permission.PRICES_READ)
    price_list = session.scalar(
        select(PriceList)
        .where(PriceList.id == price_list_id)
        .options(selectinload(PriceList.assignments))
    )
    if price_list is None:
        raise NotFound("No such price list.")
    return price_list


def _managed_list(session: TenantSession, actor: Principal | None, price_list_id: int) -> PriceList:
    require(actor, Permission.PRICES_MANAGE)
    return get_price_list(session, actor, price_list_id)


def list_price_lists(
    session: TenantSession,
    actor: Principal | None,
    *,
    kind: PriceListKind | None = None,
    is_active: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of the tenant's price lists (staff), by code unless ``sort`` says otherwise."""
    require(actor, Permission.PRICES_READ)
    query = select(PriceList).options(selectinload(PriceList.assignments))
    if kind is not None:
        query = query.where(PriceList.kind == kind)
    if is_active is not None:
        query = query.where(PriceList.is_active.is_(is_active))
    if q and q.strip():
        term = q.strip()
        query = query.where(
            or_(
                PriceList.code.icontains(term, autoescape=True),
                PriceList.name.icontains(term, autoescape=True),
            )
        )
    return paginate(
        session,
        query,
        id_column=PriceList.id,
        sortable=LIST_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def create_price_list(
    session: TenantSession,
    actor: Principal | None,
    *,
    code: str,
    name: str,
    kind: PriceListKind | str = PriceListKind.LIST,
    priority: int = 100,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    is_active: bool = True,
) -> PriceList:
    """Create a price list (code upper-cased and unique per tenant); it has no items yet."""
    require(actor, Permission.PRICES_MANAGE)
    values = _list_values(
        session,
        {
            "code": code,
            "name": name,
            "kind": kind,
            "priority": priority,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "is_active": is_active,
        },
        None,
    )
    price_list = PriceList(**values)
    session.add(price_list)
    session.flush()
    record(
        session,
        actor,
        "price_list.create",
        "price_list",
        price_list.id,
        {name: value for name, value in values.items() if name != "name"},
    )
    _changed_event(session, price_list, "created")
    return price_list


def update_price_list(
    session: TenantSession, actor: Principal | None, price_list_id: int, **changes: Any
) -> PriceList:
    """Change some fields (:data:`LIST_FIELDS`); a contract list keeps at most one dealer."""
    price_list = _managed_list(session, actor, price_list_id)
    values = _list_values(session, changes, price_list)
    if values.get("kind") == PriceListKind.CONTRACT:
        _check_contract([(a.scope, a.value) for a in price_list.assignments])
    changed = {n: v for n, v in values.items() if getattr(price_list, n) != v}
    for name, value in changed.items():
        setattr(price_list, name, value)
    if changed:
        session.flush()
        record(session, actor, "price_list.update", "price_list", price_list.id, changed)
        _changed_event(session, price_list, "updated", fields=sorted(changed))
    return price_list


def delete_price_list(session: TenantSession, actor: Principal | None, price_list_id: int) -> None:
    """Delete a price list with its assignments and items; its dealers fall back to others."""
    price_list = _managed_list(session, actor, price_list_id)
    _changed_event(session, price_list, "deleted")
    record(
        session, actor, "price_list.delete", "price_list", price_list.id, {"code": price_list.code}
    )
    session.delete(price_list)
    session.flush()


# --- assignments ----------------------------------------------------------------------------


def _check_contract(assignments: Sequence[tuple[AssignmentScope, str]]) -> None:
    if len(assignments) > 1 or any(s != AssignmentScope.DEALER for s, _ in assignments):
        raise ValidationFailed.field(
            "assignments", "A contract price list is assigned to exactly one dealer."
        )


def _assignments(
    session: TenantSession, kind: PriceListKind, entries: Iterable[Mapping[str, Any]]
) -> list[tuple[AssignmentScope, str]]:
    """Validated, de-duplicated (scope, value) pairs; groups and dealers must exist here."""
    pairs: list[tuple[AssignmentScope, str]] = []
    wanted: dict[AssignmentScope, list[int]] = {
        AssignmentScope.GROUP: [],
        AssignmentScope.DEALER: [],
    }
    for index, entry in enumerate(entries):
        if index >= MAX_ASSIGNMENTS:
            raise ValidationFailed.field("assignments", f"At most {MAX_ASSIGNMENTS} assignments.")
        try:
            scope = AssignmentScope(entry.get("scope"))
        except ValueError as exc:
            raise ValidationFailed.field(
                f"assignments.{index}.scope", "Use tier, group or dealer."
            ) from exc
        raw = entry.get("value")
        field = f"assignments.{index}.value"
        if scope == AssignmentScope.TIER:
            value = rules.validate_tier(raw, field)
        else:
            object_id = rules.integer(field, raw, minimum=1, maximum=2**31 - 1)
            wanted[scope].append(object_id)
            value = str(object_id)
        if (scope, value) not in pairs:
            pairs.append((scope, value))
    for scope, model, noun in (
        (AssignmentScope.GROUP, DealerGroup, "dealer group"),
        (AssignmentScope.DEALER, Dealer, "dealer"),
    ):
        ids = wanted[scope]
        if ids:
            found = set(session.scalars(select(model.id).where(model.id.in_(ids))))
            missing = [i for i in ids if i not in found]
            if missing:
                index = next(
                    i for i, (s, v) in enumerate(pairs) if s == scope and v == str(missing[0])
                )
                raise ValidationFailed.field(
                    f"assignments.{index}.value", f"No such {noun}: {missing[0]}."
                )
    if kind == PriceListKind.CONTRACT:
        if not pairs:
            raise ValidationFailed.field(
                "assignments", "A contract price list is assigned to exactly one dealer."
            )
        _check_contract(pairs)
    return pairs


def set_assignments(
    session: TenantSession,
    actor: Principal | None,
    price_list_id: int,
    assignments: Iterable[Mapping[str, Any]],
) -> PriceList:
    """Replace who the list applies to: tiers (codes), dealer groups and dealers (ids).

    A contract list must name exactly one dealer; a list may have none (it
    then prices nobody until assigned).
    """
    price_list = _managed_list(session, actor, price_list_id)
    pairs = _assignments(session, price_list.kind, assignments)
    before = sorted((a.scope.value, a.value) for a in price_list.assignments)
    after = sorted((s.value, v) for s, v in pairs)
    if before == after:
        return price_list
    keep = set(pairs)
    price_list.assignments = [a for a in price_list.assignments if (a.scope, a.value) in keep]
    present = {(a.scope, a.value) for a in price_list.assignments}
    for scope, value in pairs:
        if (scope, value) not in present:
            price_list.assignments.append(PriceListAssignment(scope=scope, value=value))
    session.flush()
    record(
        session,
        actor,
        "price_list.assignments",
        "price_list",
        price_list.id,
        {"assignments": [f"{s}:{v}" for s, v in after]},
    )
    _changed_event(session, price_list, "assignments")
    return price_list


def assignment_label(session: TenantSession, price_lists: Iterable[PriceList]) -> dict[str, str]:
    """Display names of the groups and dealers the lists are assigned to (``scope:value``)."""
    ids: dict[AssignmentScope, set[int]] = {
        AssignmentScope.GROUP: set(),
        AssignmentScope.DEALER: set(),
    }
    for price_list in price_lists:
        for a in price_list.assignments:
            if a.scope != AssignmentScope.TIER:
                ids[a.scope].add(int(a.value))
    labels: dict[str, str] = {}
    if ids[AssignmentScope.GROUP]:
        for group in session.scalars(
            select(DealerGroup).where(DealerGroup.id.in_(ids[AssignmentScope.GROUP]))
        ):
            labels[f"group:{group.id}"] = f"{group.code} {group.name}"
    if ids[AssignmentScope.DEALER]:
        for dealer in session.scalars(
            select(Dealer).where(Dealer.id.in_(ids[AssignmentScope.DEALER]))
        ):
            labels[f"dealer:{dealer.id}"] = f"{dealer.code} {dealer.display_name}"
    return labels


# --- items ----------------------------------------------------------------------------------

ITEM_FIELDS = frozenset({"sku_id", "sku_code", "min_qty", "price"})


def _item_values(
    session: TenantSession, changes: Mapping[str, Any], prefix: str = ""
) -> dict[str, Any]:
    """Validate an item's fields; ``sku_code`` is turned into ``sku_id``."""
    reject_unknown(changes, ITEM_FIELDS)
    values: dict[str, Any] = {}
    if "sku_id" in changes and "sku_code" in changes:
        raise ValidationFailed.field(f"{prefix}sku_id", "Give sku_id or sku_code, not both.")
    if "sku_id" in changes:
        sku_id = rules.integer(f"{prefix}sku_id", changes["sku_id"], minimum=1, maximum=2**31 - 1)
        if session.scalar(select(Sku.id).where(Sku.id == sku_id)) is None:
            raise ValidationFailed.field(f"{prefix}sku_id", f"No such SKU: {sku_id}.")
        values["sku_id"] = sku_id
    if "sku_code" in changes:
        code = rules.validate_sku_code(changes["sku_code"], f"{prefix}sku_code")
        sku_id = session.scalar(select(Sku.id).where(Sku.code == code))
        if sku_id is None:
            raise ValidationFailed.field(f"{prefix}sku_code", f"No such SKU: {code}.")
        values["sku_id"] = sku_id
    if "min_qty" in changes:
        values["min_qty"] = _quantity(changes["min_qty"], f"{prefix}min_qty")
    if "price" in changes:
        values["price"] = rules.validate_money(f"{prefix}price", changes["price"])
    return values


def _duplicate_break(
    session: TenantSession, price_list_id: int, sku_id: int, min_qty: int, own_id: int | None
) -> None:
    existing = session.scalar(
        select(PriceListItem.id).where(
            PriceListItem.price_list_id == price_list_id,
            PriceListItem.sku_id == sku_id,
            PriceListItem.min_qty == min_qty,
        )
    )
    if existing is not None and existing != own_id:
        raise ValidationFailed.field(
            "min_qty", "This SKU already has a price from this quantity in this list."
        )


def list_items(
    session: TenantSession,
    actor: Principal | None,
    price_list_id: int,
    *,
    sku_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of a list's items (quantity breaks), by SKU unless ``sort`` says otherwise."""
    price_list = get_price_list(session, actor, price_list_id)
    query = (
        select(PriceListItem)
        .where(PriceListItem.price_list_id == price_list.id)
        .options(selectinload(PriceListItem.sku))
    )
    if sku_id is not None:
        query = query.where(PriceListItem.sku_id == sku_id)
    return paginate(
        session,
        query,
        id_column=PriceListItem.id,
        sortable=ITEM_SORTS,
        default_sort="sku_id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def get_item(
    session: TenantSession, actor: Principal | None, price_list_id: int, item_id: int
) -> PriceListItem:
    """One item of a price list, or NotFound (also when it belongs to another list)."""
    price_list = get_price_list(session, actor, price_list_id)
    item = session.scalar(
        select(PriceListItem).where(
            PriceListItem.id == item_id, PriceListItem.price_list_id == price_list.id
        )
    )
    if item is None:
        raise NotFound("No such price list item.")
    return item


def add_item(
    session: TenantSession, actor: Principal | None, price_list_id: int, **fields: Any
) -> PriceListItem:
    """Add a SKU's price from ``min_qty`` (default 1) up; by ``sku_id`` or ``sku_code``."""
    price_list = _managed_list(session, actor, price_list_id)
    values = _item_values(session, {"min_qty": 1, **fields})
    if "sku_id" not in values:
        raise ValidationFailed.field("sku_id", "Required.")
    if "price" not in values:
        raise ValidationFailed.field("price", "Required.")
    _duplicate_break(session, price_list.id, values["sku_id"], values["min_qty"], None)
    item = PriceListItem(price_list_id=price_list.id, **values)
    session.add(item)
    session.flush()
    record(
        session,
        actor,
        "price_list.item.create",
        "price_list_item",
        item.id,
        {"price_list_id": price_list.id, **values},
    )
    _changed_event(session, price_list, "items", sku_ids=[item.sku_id])
    return item


def update_item(
    session: TenantSession,
    actor: Principal | None,
    price_list_id: int,
    item_id: int,
    **changes: Any,
) -> PriceListItem:
    """Change an item's ``min_qty`` or ``price`` (its SKU stays; delete and add to move)."""
    require(actor, Permission.PRICES_MANAGE)
    item = get_item(session, actor, price_list_id, item_id)
    if "sku_id" in changes or "sku_code" in changes:
        raise ValidationFailed.field("sku_id", "An item's SKU cannot change; add a new item.")
    values = _item_values(session, changes)
    changed = {n: v for n, v in values.items() if getattr(item, n) != v}
    if "min_qty" in changed:
        _duplicate_break(session, item.price_list_id, item.sku_id, changed["min_qty"], item.id)
    for name, value in changed.items():
        setattr(item, name, value)
    if changed:
        session.flush()
        record(
            session,
            actor,
            "price_list.item.update",
            "price_list_item",
            item.id,
            {"price_list_id": item.price_list_id, **changed},
        )
        _changed_event(session, item.price_list, "items", sku_ids=[item.sku_id])
    return item


def delete_item(
    session: TenantSession, actor: Principal | None, price_list_id: int, item_id: int
) -> None:
    """Remove one quantity break of a SKU from a list."""
    require(actor, Permission.PRICES_MANAGE)
    item = get_item(session, actor, price_list_id, item_id)
    price_list = item.price_list
    record(
        session,
        actor,
        "price_list.item.delete",
        "price_list_item",
        item.id,
        {"price_list_id": price_list.id, "sku_id": item.sku_id, "min_qty": item.min_qty},
    )
    _changed_event(session, price_list, "items", sku_ids=[item.sku_id])
    session.delete(item)
    session.flush()


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


def upsert_items(
    session: TenantSession,
    actor: Principal | None,
    price_list_id: int,
    rows: Sequence[Mapping[str, Any]],
) -> UpsertResult:
    """Set many prices at once, keyed by (SKU, ``min_qty``): new keys are added, others updated.

    Every row is validated before anything is written; an error names the row
    (``items.3.price``). SKUs go by ``sku_id`` or ``sku_code``; ``min_qty``
    defaults to 1. Rows repeating a key are refused.
    """
    price_list = _managed_list(session, actor, price_list_id)
    if len(rows) > MAX_BULK_ITEMS:
        raise ValidationFailed.field("items", f"At most {MAX_BULK_ITEMS} rows at once.")
    codes = {
        rules.validate_sku_code(row["sku_code"], f"items.{i}.sku_code")
        for i, row in enumerate(rows)
        if isinstance(row, Mapping) and "sku_code" in row
    }
    ids_by_code = (
        {
            code: sku_id
            for code, sku_id in session.execute(select(Sku.code, Sku.id).where(Sku.code.in_(codes)))
        }
        if codes
        else {}
    )
    wanted_ids = {
        row["sku_id"]
        for row in rows
        if isinstance(row, Mapping) and isinstance(row.get("sku_id"), int)
    }
    known_ids = (
        set(session.scalars(select(Sku.id).where(Sku.id.in_(wanted_ids)))) if wanted_ids else set()
    )
    parsed: dict[tuple[int, int], Decimal] = {}
    for index, row in enumerate(rows):
        prefix = f"items.{index}."
        if not isinstance(row, Mapping):
            raise ValidationFailed.field(f"items.{index}", "Must be an object.")
        for name in row:
            if name not in ITEM_FIELDS:
                raise ValidationFailed.field(f"{prefix}{name}", "Unknown field.")
        if ("sku_id" in row) == ("sku_code" in row):
            raise ValidationFailed.field(f"{prefix}sku_id", "Give sku_id or sku_code.")
        if "sku_code" in row:
            code = rules.validate_sku_code(row["sku_code"], f"{prefix}sku_code")
            if code not in ids_by_code:
                raise ValidationFailed.field(f"{prefix}sku_code", f"No such SKU: {code}.")
            sku_id = ids_by_code[code]
        else:
            sku_id = rules.integer(f"{prefix}sku_id", row["sku_id"], minimum=1, maximum=2**31 - 1)
            if sku_id not in known_ids:
                raise ValidationFailed.field(f"{prefix}sku_id", f"No such SKU: {sku_id}.")
        min_qty = _quantity(row.get("min_qty", 1), f"{prefix}min_qty")
        if "price" not in row:
            raise ValidationFailed.field(f"{prefix}price", "Required.")
        price = rules.validate_money(f"{prefix}price", row["price"])
        if (sku_id, min_qty) in parsed:
            raise ValidationFailed.field(
                f"{prefix}min_qty", "Repeats an earlier row's SKU and minimum quantity."
            )
        parsed[(sku_id, min_qty)] = price
    sku_ids = {sku_id for sku_id, _ in parsed}
    existing = (
        {
            (item.sku_id, item.min_qty): item
            for item in session.scalars(
                select(PriceListItem).where(
                    PriceListItem.price_list_id == price_list.id, PriceListItem.sku_id.in_(sku_ids)
                )
            )
        }
        if sku_ids
        else {}
    )
    created = updated = unchanged = 0
    for (sku_id, min_qty), price in parsed.items():
        item = existing.get((sku_id, min_qty))
        if item is None:
            session.add(
                PriceListItem(
                    price_list_id=price_list.id, sku_id=sku_id, min_qty=min_qty, price=price
                )
            )
            created += 1
        elif item.price != price:
            item.price = price
            updated += 1
        else:
            unchanged += 1
    result = UpsertResult(created, updated, unchanged)
    if created or updated:
        session.flush()
        record(
            session,
            actor,
            "price_list.items.upsert",
            "price_list",
            price_list.id,
            {"created": created, "updated": updated},
        )
        _changed_event(session, price_list, "items", sku_ids=sorted(sku_ids))
    return result


# --- lookups by code (the console types codes, the API passes ids) ---------------------------


def _codes(field: str, text: str, limit: int) -> list[str]:
    """Codes separated by commas, spaces or new lines, upper-cased, de-duplicated."""
    codes = list(dict.fromkeys(c.upper() for c in text.replace(",", " ").split() if c))
    if len(codes) > limit:
        raise ValidationFailed.field(field, f"At most {limit} codes.")
    return codes


def dealer_ids_for_codes(session: TenantSession, field: str, text: str) -> list[int]:
    """The ids of the dealers whose codes ``text`` lists; an unknown code names ``field``."""
    codes = _codes(field, text, MAX_ASSIGNMENTS)
    found = dict(
        session.execute(select(Dealer.code, Dealer.id).where(Dealer.code.in_(codes))).all()
    )
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed.field(field, f"No such dealer: {missing[0]}.")
    return [found[c] for c in codes]


def sku_ids_for_codes(session: TenantSession, field: str, text: str) -> list[int]:
    """The ids of the SKUs whose codes ``text`` lists; an unknown code names ``field``."""
    codes = _codes(field, text, MAX_PREVIEW_SKUS)
    found = dict(session.execute(select(Sku.code, Sku.id).where(Sku.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed.field(field, f"No such SKU: {missing[0]}.")
    return [found[c] for c in codes]


def skus_by_id(session: TenantSession, sku_ids: Iterable[int]) -> dict[int, Sku]:
    """SKUs with their products, for showing prices beside names (one query each)."""
    ids = list(set(sku_ids))
    if not ids:
        return {}
    query = select(Sku).where(Sku.id.in_(ids)).options(selectinload(Sku.product))
    return {sku.id: sku for sku in session.scalars(query)}
