"""Requisition lists: a dealer's saved SKUs and quantities for orders they place again and again.

A list belongs to the dealer, not to the user who made it: every buyer of the
dealer sees and uses it, and a sales rep (``orders:manage``) can keep lists
for the dealers they order for. Adding a list to the cart skips (and reports)
the SKUs that can no longer be ordered, as a reorder does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.catalog.models import Sku
from dinghuo.core.checks import load, reject_unknown, require, text
from dinghuo.core.crm.models import Dealer
from dinghuo.core.orders import cart as carts
from dinghuo.core.orders.line_rules import LineProblem, validate_lines
from dinghuo.core.orders.models import RequisitionList, RequisitionListItem
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

MAX_LISTS = 200
"""Lists per dealer; more is a sign lists are being used as orders."""
EDITABLE = frozenset({"name", "items"})


@dataclass
class ListItemView:
    sku_id: int
    sku: Sku | None
    quantity: int
    problem: LineProblem | None


@dataclass
class ListView:
    """A list with its items and what is wrong with each now (discontinued, hidden, MOQ)."""

    requisition_list: RequisitionList
    items: list[ListItemView]


def _get(session: TenantSession, actor: Principal, list_id: int) -> RequisitionList:
    """The list if the actor may use it: their own dealer's, or any dealer's for staff who
    order on behalf; anything else (missing, another dealer's, another tenant's) is a 404."""
    row = load(session, RequisitionList, list_id)
    if actor.dealer_id is not None:
        require(actor, Permission.ORDERS_PLACE)
        if row is not None and row.dealer_id != actor.dealer_id:
            row = None
    else:
        require(actor, Permission.ORDERS_MANAGE)
    if row is None:
        raise NotFound("No such requisition list.")
    return row


def _dealer(session: TenantSession, row: RequisitionList) -> Dealer:
    dealer = load(session, Dealer, row.dealer_id)
    if dealer is None:
        raise NotFound("No such dealer.")
    return dealer


def list_lists(
    session: TenantSession,
    actor: Principal,
    dealer_id: Any = None,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """The dealer's lists, by name (or ``-updated_at``: most recently changed first)."""
    dealer = carts.cart_dealer(session, actor, dealer_id)
    return paginate(
        session,
        select(RequisitionList).where(RequisitionList.dealer_id == dealer.id),
        id_column=RequisitionList.id,
        sortable={"name": RequisitionList.name, "updated_at": RequisitionList.updated_at},
        default_sort="name",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def item_counts(session: TenantSession, list_ids: list[int]) -> dict[int, int]:
    """Items per list, for a page of lists (one query)."""
    if not list_ids:
        return {}
    rows = session.execute(
        select(RequisitionListItem.list_id, func.count())
        .where(RequisitionListItem.list_id.in_(list_ids))
        .group_by(RequisitionListItem.list_id)
    )
    return {list_id: count for list_id, count in rows}


def get_list(session: TenantSession, actor: Principal, list_id: int) -> ListView:
    row = _get(session, actor, list_id)
    return _view(session, row)


def _view(session: TenantSession, row: RequisitionList) -> ListView:
    dealer = _dealer(session, row)
    pairs = [(item.sku_id, item.quantity) for item in row.items]
    problems = {problem.line_no: problem for problem in validate_lines(session, dealer, pairs)}
    skus = carts.skus_with_products(session, (item.sku_id for item in row.items))
    return ListView(
        requisition_list=row,
        items=[
            ListItemView(
                sku_id=item.sku_id,
                sku=skus.get(item.sku_id),
                quantity=item.quantity,
                problem=problems.get(no),
            )
            for no, item in enumerate(row.items, start=1)
        ],
    )


def _name(session: TenantSession, dealer_id: int, value: Any, list_id: int | None = None) -> str:
    name = text("name", value, 100, required=True)
    clash = session.scalar(
        select(RequisitionList.id).where(
            RequisitionList.dealer_id == dealer_id, RequisitionList.name == name
        )
    )
    if clash is not None and clash != list_id:
        raise ValidationFailed.field("name", "There is already a list with this name.")
    return name


def _set_items(session: TenantSession, row: RequisitionList, dealer: Dealer, items: Any) -> None:
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ValidationFailed.field("items", "Must be a list of items.")
    quantities = carts.resolve_items(session, dealer, items) if items else {}
    existing = {item.sku_id: item for item in row.items}
    for position, (sku_id, quantity) in enumerate(quantities.items()):
        item = existing.pop(sku_id, None)
        if item is None:
            item = RequisitionListItem(sku_id=sku_id, quantity=quantity)
            row.items.append(item)
        item.quantity = quantity
        item.position = position
    for item in existing.values():
        row.items.remove(item)


def create_list(
    session: TenantSession,
    actor: Principal,
    *,
    name: Any,
    items: Sequence[Mapping[str, Any]] = (),
    dealer_id: Any = None,
) -> ListView:
    """A new list for the dealer, from ``{"code" or "sku_id", "quantity"}`` items."""
    dealer = carts.cart_dealer(session, actor, dealer_id)
    count = session.scalar(
        select(RequisitionList.id)
        .where(RequisitionList.dealer_id == dealer.id)
        .offset(MAX_LISTS - 1)
        .limit(1)
    )
    if count is not None:
        raise ValidationFailed.field("name", f"A dealer keeps at most {MAX_LISTS} lists.")
    row = RequisitionList(
        dealer_id=dealer.id, name=_name(session, dealer.id, name), created_by_id=actor.user_id
    )
    _set_items(session, row, dealer, list(items))
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "requisition_list.create",
        "requisition_list",
        row.id,
        {"dealer_id": dealer.id, "name": row.name, "items": len(row.items)},
    )
    return _view(session, row)


def save_cart_as_list(
    session: TenantSession, actor: Principal, *, name: Any, dealer_id: Any = None
) -> ListView:
    """The cart's lines as a new list (the cart is left as it is)."""
    lines = carts.cart_quantities(session, actor, dealer_id)
    if not lines:
        raise ValidationFailed.field("items", "The cart is empty.")
    items = [{"sku_id": sku_id, "quantity": quantity} for sku_id, quantity in lines]
    return create_list(session, actor, name=name, items=items, dealer_id=dealer_id)


def update_list(
    session: TenantSession, actor: Principal, list_id: int, changes: Mapping[str, Any]
) -> ListView:
    """Rename and/or replace the items (``items`` given = the whole new content)."""
    row = _get(session, actor, list_id)
    reject_unknown(changes, EDITABLE)
    dealer = _dealer(session, row)
    if "name" in changes:
        row.name = _name(session, row.dealer_id, changes["name"], row.id)
    if "items" in changes:
        _set_items(session, row, dealer, changes["items"])
    session.flush()
    record(
        session,
        actor,
        "requisition_list.update",
        "requisition_list",
        row.id,
        {"changed": sorted(changes)},
    )
    return _view(session, row)


def delete_list(session: TenantSession, actor: Principal, list_id: int) -> None:
    row = _get(session, actor, list_id)
    record(
        session,
        actor,
        "requisition_list.delete",
        "requisition_list",
        row.id,
        {"dealer_id": row.dealer_id, "name": row.name},
    )
    session.delete(row)
    session.flush()


def add_list_to_cart(session: TenantSession, actor: Principal, list_id: int) -> carts.AddedFrom:
    """Add the list's items to the actor's cart for the list's dealer, skipping what can no
    longer be ordered (reported in ``skipped``)."""
    row = _get(session, actor, list_id)
    dealer = carts.cart_dealer(session, actor, row.dealer_id)
    pairs = [(item.sku_id, item.quantity) for item in row.items]
    return carts.add_orderable(session, actor, dealer, pairs)
