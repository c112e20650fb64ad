"""Dealer (channel) stock: what dealers hold and sell, and who is overstocked.

The brand once kept shipping to a dealer already sitting on months of stock.
Dealers now report, per SKU, the units on hand and the units sold over a
period; :class:`ChannelStock` keeps the latest report per dealer × SKU and
:class:`ChannelStockReport` the history. Days of cover = on hand ÷ average
daily sales; a dealer holding more days of cover of a SKU than the tenant's
``overstock_days_of_cover`` is overstocked on it. Stock on hand with nothing
sold is infinite cover, so it is overstocked too (any stock that does not
move is exactly what the brand must stop shipping); no stock is never
overstocked.

Reading is for staff (``channel_stock:read``); reporting for a dealer's own
users (``channel_stock:report``), and only for their own dealer: another
dealer's id is a 404. ``actor=None`` is the system (imports, jobs) that has
already authorised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, cast, func, literal, or_, select
from sqlalchemy.orm import column_property, selectinload

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.catalog.models import DealerSkuCode, Product, ProductStatus, Sku
from dinghuo.core.catalog.visibility import visible_to
from dinghuo.core.checks import require
from dinghuo.core.crm.models import Dealer
from dinghuo.core.crm.service import get_dealer
from dinghuo.core.inventory.models import ChannelStock, ChannelStockReport
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import NotFound, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit
from dinghuo.platform.tenants.business import business_settings

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 365
MAX_QUANTITY = 1_000_000_000
"""Far above any real stock, well inside the integer column."""
CHUNK = 500
"""Ids per ``IN (...)`` so a large upload stays under every database's parameter limit."""

SOURCES = frozenset({"form", "api", "import"})

ChannelStock.row_key = column_property(  # type: ignore[attr-defined]
    cast(ChannelStock.dealer_id, BigInteger) * literal(2**31, BigInteger) + ChannelStock.sku_id
)
"""One integer per dealer × SKU (the composite key), so the one keyset pagination can page
the snapshots; appended to the declarative class, as SQLAlchemy allows, beside the code
that pages them."""
_ROW_KEY = ChannelStock.row_key  # type: ignore[attr-defined]

STOCK_SORTS = {
    "dealer_id": ChannelStock.dealer_id,
    "sku_id": ChannelStock.sku_id,
    "on_hand": ChannelStock.on_hand,
    "sold_qty": ChannelStock.sold_qty,
    "reported_at": ChannelStock.reported_at,
}
SKU_SORTS = {"code": Sku.code, "id": Sku.id}


@dataclass(frozen=True)
class ChannelStockLine:
    """One SKU of a dealer's report: units on hand now, units sold over ``period_days``."""

    sku_id: int
    on_hand: int
    sold_qty: int
    period_days: int = DEFAULT_PERIOD_DAYS


@dataclass(frozen=True)
class OverstockWarning:
    """A dealer holding more days of cover of a SKU than the threshold.

    ``days_of_cover`` is None when nothing sold (infinite cover). The dealer
    fields are filled by the listings that span dealers.
    """

    sku_id: int
    sku_code: str
    on_hand: int
    days_of_cover: Decimal | None
    threshold: int
    dealer_id: int | None = None
    dealer_code: str = ""
    dealer_name: str = ""

    @property
    def message(self) -> str:
        cover = "∞" if self.days_of_cover is None else f"{self.days_of_cover:f}"
        who = self.dealer_name or self.dealer_code or "the dealer"
        return (
            f"{who} holds {cover} days of cover of {self.sku_code} "
            f"({self.on_hand} on hand; threshold {self.threshold})"
        )


@dataclass(frozen=True)
class ChannelStockRow:
    """A dealer's latest report of a SKU, with what staff read from it."""

    dealer_id: int
    dealer_code: str
    dealer_name: str
    sku_id: int
    sku_code: str
    sku_name: str
    own_code: str
    on_hand: int
    sold_qty: int
    period_days: int
    avg_daily_sales: Decimal
    days_of_cover: Decimal | None
    overstocked: bool
    reported_at: dt.datetime


@dataclass(frozen=True)
class SkuChannelTotal:
    """One SKU's stock across every reporting dealer."""

    sku_id: int
    sku_code: str
    sku_name: str
    dealers: int
    on_hand: int
    avg_daily_sales: Decimal
    days_of_cover: Decimal | None
    overstocked_dealers: int


# --- the rule ------------------------------------------------------------------------------


def is_overstocked(on_hand: int, sold_qty: int, period_days: int, threshold: int) -> bool:
    """Days of cover (on hand × period ÷ sold) above ``threshold``, compared exactly.

    Nothing sold with stock on hand is infinite cover; no stock never is.
    """
    if on_hand <= 0:
        return False
    if sold_qty <= 0:
        return True
    return on_hand * period_days > threshold * sold_qty


def overstocked_clause(threshold: int) -> ColumnElement[bool]:
    """:func:`is_overstocked` as SQL over :class:`ChannelStock`, in 64-bit integers.

    (A billion units over 365 days overflows PostgreSQL's 32-bit ``integer``.)
    """
    return and_(
        ChannelStock.on_hand > 0,
        or_(
            ChannelStock.sold_qty <= 0,
            cast(ChannelStock.on_hand, BigInteger) * ChannelStock.period_days
            > cast(ChannelStock.sold_qty, BigInteger) * threshold,
        ),
    )


def cover_days(on_hand: int, daily: Decimal) -> Decimal | None:
    """On hand ÷ daily sales to a tenth of a day; None (infinite) when nothing sells."""
    if daily <= 0:
        return None
    return (Decimal(on_hand) / daily).quantize(Decimal("0.1"))


def threshold_of(session: TenantSession) -> int:
    """The tenant's overstock threshold in days of cover."""
    return business_settings(session).overstock_days_of_cover


# --- authorisation -------------------------------------------------------------------------


def _reporting_dealer(session: TenantSession, actor: Principal | None, dealer_id: int) -> Dealer:
    """The dealer ``actor`` may report for: only their own (another's id is NotFound)."""
    require(actor, Permission.CHANNEL_STOCK_REPORT)
    if actor is not None and actor.dealer_id != dealer_id:
        raise NotFound("No such dealer.")
    return get_dealer(session, dealer_id)


def own_dealer_id(actor: Principal) -> int:
    """The dealer a dealer user reports for; staff belong to none."""
    require(actor, Permission.CHANNEL_STOCK_REPORT)
    if actor.dealer_id is None:
        raise NotFound("You do not belong to a dealer.")
    return actor.dealer_id


# --- SKUs a dealer may report --------------------------------------------------------------


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def reportable_criterion(dealer: Dealer) -> ColumnElement[bool]:
    """SKUs (joined to Product) a dealer may report: visible to it and not drafts.

    Discontinued SKUs stay reportable: dealers still hold them, and that stock
    is exactly what overstock is about.
    """
    return and_(
        visible_to(dealer),
        Product.status != ProductStatus.DRAFT,
        Sku.status != ProductStatus.DRAFT,
    )


def reportable_sku_ids(session: TenantSession, dealer: Dealer, sku_ids: Iterable[int]) -> set[int]:
    """Those of ``sku_ids`` the dealer may report."""
    wanted = sorted(set(sku_ids))
    found: set[int] = set()
    for chunk in _chunks(wanted):
        query = (
            select(Sku.id)
            .join(Product, Product.id == Sku.product_id)
            .where(Sku.id.in_(chunk), reportable_criterion(dealer))
        )
        found.update(session.scalars(query))
    return found


def resolve_sku_codes(
    session: TenantSession, dealer_id: int, codes: Iterable[str]
) -> dict[str, int]:
    """SKU ids by code, where a code is the brand's SKU code or the dealer's own code.

    The brand's code wins when both match. Codes compare case-insensitively
    after trimming; unknown codes are absent from the answer.
    """
    wanted = sorted({c.strip().upper() for c in codes if c and c.strip()})
    resolved: dict[str, int] = {}
    for chunk in _chunks(wanted):
        own = select(DealerSkuCode.code, DealerSkuCode.sku_id).where(
            DealerSkuCode.dealer_id == dealer_id, DealerSkuCode.code.in_(chunk)
        )
        resolved.update({code.upper(): sku_id for code, sku_id in session.execute(own)})
        brand = select(Sku.code, Sku.id).where(Sku.code.in_(chunk))
        resolved.update({code.upper(): sku_id for code, sku_id in session.execute(brand)})
    return resolved


def lines_from_entries(
    session: TenantSession, dealer_id: int, entries: Sequence[Mapping[str, Any]]
) -> list[ChannelStockLine]:
    """Report lines from entries naming their SKU by ``sku_id`` or ``sku_code``.

    A code is the brand's SKU code or the dealer's own; an unknown or hidden
    code is refused as ``lines[i].sku_code``, together with every bad number
    of every line, so a form shows all its mistakes at once.
    """
    codes = resolve_sku_codes(
        session, dealer_id, [e["sku_code"] for e in entries if e.get("sku_code")]
    )
    visible = reportable_sku_ids(session, get_dealer(session, dealer_id), codes.values())
    codes = {code: sku_id for code, sku_id in codes.items() if sku_id in visible}
    errors: dict[str, list[str]] = {}
    lines = []
    for index, entry in enumerate(entries):
        sku_id = entry.get("sku_id")
        if sku_id is not None and entry.get("sku_code") is not None:
            errors[f"lines[{index}].sku_code"] = ["Give sku_id or sku_code, not both."]
        elif sku_id is None:
            code = str(entry.get("sku_code") or "").strip().upper()
            if code not in codes:
                errors[f"lines[{index}].sku_code"] = ["Required." if not code else "No such SKU."]
            sku_id = codes.get(code, 0)
        line = ChannelStockLine(
            sku_id=sku_id,
            on_hand=entry.get("on_hand"),  # type: ignore[arg-type]
            sold_qty=entry.get("sold_qty"),  # type: ignore[arg-type]
            period_days=entry.get("period_days", DEFAULT_PERIOD_DAYS),
        )
        errors.update(_number_errors(index, line))
        lines.append(line)
    _raise_all(errors)
    return lines


# --- reporting -----------------------------------------------------------------------------

MAX_REPORTED_ERRORS = 100
"""Enough to fix a form or a request; an upload gets the imports' full report instead."""


def _problem(value: Any, low: int, high: int) -> str | None:
    if value is None:
        return "Required."
    if isinstance(value, bool) or not isinstance(value, int):
        return "Must be a whole number."
    if value < low:
        return f"Must be at least {low}."
    if value > high:
        return f"Must be at most {high}."
    return None


def _number_errors(index: int, line: ChannelStockLine) -> dict[str, list[str]]:
    bounds = {
        "on_hand": (0, MAX_QUANTITY),
        "sold_qty": (0, MAX_QUANTITY),
        "period_days": (1, MAX_PERIOD_DAYS),
    }
    errors = {}
    for name, (low, high) in bounds.items():
        reason = _problem(getattr(line, name), low, high)
        if reason:
            errors[f"lines[{index}].{name}"] = [reason]
    return errors


def _raise_all(errors: dict[str, list[str]]) -> None:
    """One :class:`ValidationFailed` naming every bad line and field (up to a limit)."""
    if not errors:
        return
    kept = dict(list(errors.items())[:MAX_REPORTED_ERRORS])
    name, reasons = next(iter(kept.items()))
    message = f"{name}: {reasons[0]}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    raise ValidationFailed(message, fields=kept)


def _validated(lines: Iterable[ChannelStockLine]) -> list[ChannelStockLine]:
    checked: list[ChannelStockLine] = []
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for index, line in enumerate(lines):
        reason = _problem(line.sku_id, 1, 2**31 - 1)
        if reason is None and line.sku_id in seen:
            reason = "This SKU is already reported above."
        if reason:
            errors[f"lines[{index}].sku_id"] = [reason]
        seen.add(line.sku_id)
        errors.update(_number_errors(index, line))
        checked.append(line)
    if not checked:
        errors["lines"] = ["Report at least one SKU."]
    _raise_all(errors)
    return checked


def report_channel_stock(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    lines: Iterable[ChannelStockLine],
    *,
    source: str,
) -> int:
    """Record a dealer's stock report; returns the number of lines recorded.

    Each line replaces the dealer's latest snapshot of its SKU and is appended
    to the history. Every line is checked before anything is written: numbers
    whole and ≥ 0, period 1-365 days, each SKU once, known and visible to the
    dealer — otherwise :class:`ValidationFailed` names the line and field
    (``lines[3].on_hand``) and nothing changes.
    """
    if source not in SOURCES:
        raise ValidationFailed.field("source", f"Use one of: {', '.join(sorted(SOURCES))}.")
    dealer = _reporting_dealer(session, actor, dealer_id)
    checked = _validated(lines)
    allowed = reportable_sku_ids(session, dealer, (line.sku_id for line in checked))
    _raise_all(
        {
            f"lines[{index}].sku_id": ["No such SKU."]
            for index, line in enumerate(checked)
            if line.sku_id not in allowed
        }
    )

    now = utcnow()
    latest = _latest_by_sku(session, dealer.id, [line.sku_id for line in checked])
    reporter = actor.user_id if actor is not None else None
    threshold = threshold_of(session)
    overstocked: list[int] = []
    for line in checked:
        values = {
            "on_hand": line.on_hand,
            "sold_qty": line.sold_qty,
            "period_days": line.period_days,
        }
        row = latest.get(line.sku_id)
        if row is None:
            session.add(
                ChannelStock(dealer_id=dealer.id, sku_id=line.sku_id, reported_at=now, **values)
            )
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.reported_at = now
        session.add(
            ChannelStockReport(
                dealer_id=dealer.id,
                sku_id=line.sku_id,
                source=source,
                reported_by_id=reporter,
                reported_at=now,
                **values,
            )
        )
        if is_overstocked(line.on_hand, line.sold_qty, line.period_days, threshold):
            overstocked.append(line.sku_id)
    session.flush()
    record(
        session,
        actor,
        "channel_stock.report",
        "dealer",
        dealer.id,
        {"lines": len(checked), "source": source, "overstocked_sku_ids": overstocked[:100]},
    )
    emit(
        session,
        "channel_stock.reported",
        "dealer",
        dealer.id,
        {
            "dealer_id": dealer.id,
            "lines": len(checked),
            "source": source,
            "overstocked_sku_ids": overstocked[:1000],
        },
    )
    return len(checked)


def _latest_by_sku(
    session: TenantSession, dealer_id: int, sku_ids: Sequence[int]
) -> dict[int, ChannelStock]:
    rows: dict[int, ChannelStock] = {}
    for chunk in _chunks(sorted(sku_ids)):
        query = select(ChannelStock).where(
            ChannelStock.dealer_id == dealer_id, ChannelStock.sku_id.in_(chunk)
        )
        rows.update({row.sku_id: row for row in session.scalars(query)})
    return rows


# --- warnings ------------------------------------------------------------------------------


def overstock_warnings(
    session: TenantSession, dealer_id: int, sku_ids: Iterable[int] | None
) -> list[OverstockWarning]:
    """The SKUs of ``sku_ids`` (all when None) on which the dealer is overstocked.

    What ordering's approval screen shows before staff approve more of a SKU
    to that dealer. No actor: the caller has already authorised.
    """
    threshold = threshold_of(session)
    query = (
        select(ChannelStock, Sku.code)
        .join(Sku, Sku.id == ChannelStock.sku_id)
        .where(ChannelStock.dealer_id == dealer_id, overstocked_clause(threshold))
        .order_by(Sku.code)
    )
    if sku_ids is None:
        chunks: Iterable[Sequence[int] | None] = [None]
    else:
        wanted = sorted(set(sku_ids))
        if not wanted:
            return []
        chunks = list(_chunks(wanted))
    warnings: list[OverstockWarning] = []
    for chunk in chunks:
        scoped = query if chunk is None else query.where(ChannelStock.sku_id.in_(chunk))
        for row, code in session.execute(scoped):
            warnings.append(
                OverstockWarning(
                    sku_id=row.sku_id,
                    sku_code=code,
                    on_hand=row.on_hand,
                    days_of_cover=row.days_of_cover,
                    threshold=threshold,
                    dealer_id=row.dealer_id,
                )
            )
    return warnings


@dataclass(frozen=True)
class FormRow:
    """One SKU of the portal's report form, with what the dealer last reported of it."""

    sku_id: int
    sku_code: str
    sku_name: str
    own_code: str
    latest: ChannelStock | None


def report_form_rows(
    session: TenantSession, actor: Principal, *, q: str | None = None, limit: int = 100
) -> list[FormRow]:
    """The SKUs a dealer user's form lists: those they may see, matching ``q``, by code.

    SKUs already reported come first, so the dealer updates what they hold
    without hunting for it; ``q`` matches the brand's code, the dealer's own
    code or the product's names.
    """
    dealer = get_dealer(session, own_dealer_id(actor))
    query = (
        select(Sku)
        .join(Product, Product.id == Sku.product_id)
        .where(reportable_criterion(dealer))
        .options(selectinload(Sku.product))
    )
    if q and q.strip():
        term = q.strip()
        own = select(DealerSkuCode.sku_id).where(
            DealerSkuCode.dealer_id == dealer.id,
            DealerSkuCode.code.icontains(term, autoescape=True),
        )
        query = query.where(
            or_(
                Sku.code.icontains(term, autoescape=True),
                Product.name_zh.icontains(term, autoescape=True),
                Product.name_en.icontains(term, autoescape=True),
                Product.model_number.icontains(term, autoescape=True),
                Sku.id.in_(own),
            )
        )
    reported = select(ChannelStock.sku_id).where(ChannelStock.dealer_id == dealer.id)
    query = query.order_by(Sku.id.in_(reported).desc(), Sku.code).limit(limit)
    skus = list(session.scalars(query))
    latest = _latest_by_sku(session, dealer.id, [sku.id for sku in skus])
    codes = dict(
        session.execute(
            select(DealerSkuCode.sku_id, DealerSkuCode.code).where(
                DealerSkuCode.dealer_id == dealer.id,
                DealerSkuCode.sku_id.in_([sku.id for sku in skus]),
            )
        ).all()
    )
    return [
        FormRow(
            sku_id=sku.id,
            sku_code=sku.code,
            sku_name=sku.display_name,
            own_code=codes.get(sku.id, ""),
            latest=latest.get(sku.id),
        )
        for sku in skus
    ]


# --- reading (staff, and a dealer its own) -------------------------------------------------


def _stock_query(
    *, dealer_id: int | None, sku_id: int | None, overstocked: bool | None, threshold: int
) -> Any:
    query = select(ChannelStock)
    if dealer_id is not None:
        query = query.where(ChannelStock.dealer_id == dealer_id)
    if sku_id is not None:
        query = query.where(ChannelStock.sku_id == sku_id)
    if overstocked is True:
        query = query.where(overstocked_clause(threshold))
    elif overstocked is False:
        query = query.where(~overstocked_clause(threshold))
    return query


def _rows(
    session: TenantSession, stocks: Sequence[ChannelStock], threshold: int
) -> list[ChannelStockRow]:
    """Rows for display, with dealer and SKU names loaded in two queries, not one per row."""
    dealer_ids = {s.dealer_id for s in stocks}
    sku_ids = {s.sku_id for s in stocks}
    dealers = (
        {d.id: d for d in session.scalars(select(Dealer).where(Dealer.id.in_(dealer_ids)))}
        if dealer_ids
        else {}
    )
    skus = (
        {
            s.id: s
            for s in session.scalars(
                select(Sku).where(Sku.id.in_(sku_ids)).options(selectinload(Sku.product))
            )
        }
        if sku_ids
        else {}
    )
    own_codes: dict[tuple[int, int], str] = {}
    if dealer_ids and sku_ids:
        query = select(DealerSkuCode).where(
            DealerSkuCode.dealer_id.in_(dealer_ids), DealerSkuCode.sku_id.in_(sku_ids)
        )
        own_codes = {(c.dealer_id, c.sku_id): c.code for c in session.scalars(query)}
    rows = []
    for stock in stocks:
        dealer, sku = dealers[stock.dealer_id], skus[stock.sku_id]
        rows.append(
            ChannelStockRow(
                dealer_id=dealer.id,
                dealer_code=dealer.code,
                dealer_name=dealer.display_name,
                sku_id=sku.id,
                sku_code=sku.code,
                sku_name=sku.display_name,
                own_code=own_codes.get((dealer.id, sku.id), ""),
                on_hand=stock.on_hand,
                sold_qty=stock.sold_qty,
                period_days=stock.period_days,
                avg_daily_sales=stock.avg_daily_sales.quantize(Decimal("0.01")),
                days_of_cover=stock.days_of_cover,
                overstocked=is_overstocked(
                    stock.on_hand, stock.sold_qty, stock.period_days, threshold
                ),
                reported_at=stock.reported_at,
            )
        )
    return rows


def list_channel_stock(
    session: TenantSession,
    actor: Principal | None,
    *,
    dealer_id: int | None = None,
    sku_id: int | None = None,
    overstocked: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of the latest stock per dealer × SKU (staff), as :class:`ChannelStockRow`."""
    require(actor, Permission.CHANNEL_STOCK_READ)
    threshold = threshold_of(session)
    page = paginate(
        session,
        _stock_query(
            dealer_id=dealer_id, sku_id=sku_id, overstocked=overstocked, threshold=threshold
        ),
        id_column=_ROW_KEY,
        sortable=STOCK_SORTS,
        default_sort="dealer_id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    return Page(items=_rows(session, page.items, threshold), next_cursor=page.next_cursor)


def list_own_channel_stock(
    session: TenantSession,
    actor: Principal,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of a dealer user's own latest reports (never another dealer's)."""
    dealer_id = own_dealer_id(actor)
    threshold = threshold_of(session)
    page = paginate(
        session,
        _stock_query(dealer_id=dealer_id, sku_id=None, overstocked=None, threshold=threshold),
        id_column=_ROW_KEY,
        sortable=STOCK_SORTS,
        default_sort="sku_id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    return Page(items=_rows(session, page.items, threshold), next_cursor=page.next_cursor)


def latest_for_dealer(
    session: TenantSession, dealer_id: int, sku_ids: Iterable[int]
) -> dict[int, ChannelStock]:
    """A dealer's latest snapshot of each of ``sku_ids`` (those it reported)."""
    return _latest_by_sku(session, dealer_id, sorted(set(sku_ids)))


def list_by_sku(
    session: TenantSession,
    actor: Principal | None,
    *,
    sku_id: int | None = None,
    overstocked: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of SKUs with channel stock, totalled across dealers (staff).

    A SKU's days of cover = its dealers' stock ÷ the sum of their average
    daily sales; ``overstocked=True`` keeps SKUs with at least one
    overstocked dealer.
    """
    require(actor, Permission.CHANNEL_STOCK_READ)
    threshold = threshold_of(session)
    reported = select(ChannelStock.sku_id)
    if overstocked:
        reported = reported.where(overstocked_clause(threshold))
    query = select(Sku).where(Sku.id.in_(reported)).options(selectinload(Sku.product))
    if sku_id is not None:
        query = query.where(Sku.id == sku_id)
    page = paginate(
        session,
        query,
        id_column=Sku.id,
        sortable=SKU_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    skus: list[Sku] = page.items
    stocks: dict[int, list[ChannelStock]] = {sku.id: [] for sku in skus}
    if skus:
        for stock in session.scalars(select(ChannelStock).where(ChannelStock.sku_id.in_(stocks))):
            stocks[stock.sku_id].append(stock)
    totals = [_total(sku, stocks[sku.id], threshold) for sku in skus]
    return Page(items=totals, next_cursor=page.next_cursor)


def _total(sku: Sku, stocks: Sequence[ChannelStock], threshold: int) -> SkuChannelTotal:
    on_hand = sum(s.on_hand for s in stocks)
    daily = sum((s.avg_daily_sales for s in stocks), Decimal(0))
    return SkuChannelTotal(
        sku_id=sku.id,
        sku_code=sku.code,
        sku_name=sku.display_name,
        dealers=len(stocks),
        on_hand=on_hand,
        avg_daily_sales=daily.quantize(Decimal("0.01")),
        days_of_cover=cover_days(on_hand, daily) if on_hand else Decimal("0.0"),
        overstocked_dealers=sum(
            is_overstocked(s.on_hand, s.sold_qty, s.period_days, threshold) for s in stocks
        ),
    )


def list_warnings(
    session: TenantSession,
    actor: Principal | None,
    *,
    dealer_id: int | None = None,
    sku_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of overstock warnings across dealers (staff), as :class:`OverstockWarning`."""
    page = list_channel_stock(
        session,
        actor,
        dealer_id=dealer_id,
        sku_id=sku_id,
        overstocked=True,
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    threshold = threshold_of(session)
    warnings = [
        OverstockWarning(
            sku_id=row.sku_id,
            sku_code=row.sku_code,
            on_hand=row.on_hand,
            days_of_cover=row.days_of_cover,
            threshold=threshold,
            dealer_id=row.dealer_id,
            dealer_code=row.dealer_code,
            dealer_name=row.dealer_name,
        )
        for row in page.items
    ]
    return Page(items=warnings, next_cursor=page.next_cursor)


def count_overstocked(session: TenantSession, actor: Principal | None) -> int:
    """How many dealer × SKU pairs are overstocked now (staff)."""
    require(actor, Permission.CHANNEL_STOCK_READ)
    query = (
        select(func.count())
        .select_from(ChannelStock)
        .where(overstocked_clause(threshold_of(session)))
    )
    return session.scalar(query) or 0


def dealer_summary(
    session: TenantSession, actor: Principal | None, dealer_id: int
) -> dict[str, Any]:
    """What the console's dealer page shows: SKUs reported, units held, overstock warnings."""
    require(actor, Permission.CHANNEL_STOCK_READ)
    threshold = threshold_of(session)
    stocks = list(session.scalars(select(ChannelStock).where(ChannelStock.dealer_id == dealer_id)))
    warnings = overstock_warnings(session, dealer_id, None)
    return {
        "skus": len(stocks),
        "on_hand": sum(s.on_hand for s in stocks),
        "last_reported_at": max((s.reported_at for s in stocks), default=None),
        "threshold": threshold,
        "warnings": warnings,
    }


__all__ = [
    "ChannelStockLine",
    "ChannelStockRow",
    "OverstockWarning",
    "SkuChannelTotal",
    "dealer_summary",
    "is_overstocked",
    "latest_for_dealer",
    "list_by_sku",
    "list_channel_stock",
    "list_own_channel_stock",
    "list_warnings",
    "overstock_warnings",
    "report_channel_stock",
    "resolve_sku_codes",
]
