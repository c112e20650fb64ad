"""Price-list prices: one row per (price list, SKU, minimum quantity).

A row sets the unit price of a SKU in an existing price list from ``min_qty``
units up (a quantity break); rows are created or updated, never deleted (a
list's other prices stay). Equal prices write nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from dinghuo.core.catalog import rules
from dinghuo.core.catalog.models import Sku
from dinghuo.core.imports.columns import Column, Spec, integer, money
from dinghuo.core.imports.handlers.base import (
    ImportContext,
    Progress,
    Report,
    Row,
    bulk_insert,
    bulk_update,
    chunks,
    first_seen,
    lookup_codes,
)
from dinghuo.core.pricing.models import PriceList, PriceListItem
from dinghuo.db import TenantSession
from dinghuo.platform.auth.principal import Principal

SPEC = Spec(
    (
        Column(
            "price_list_code",
            "Price list code",
            "价格表编码",
            True,
            ("price_list", "价格表"),
            "TIER-A",
        ),
        Column("sku_code", "SKU code", "SKU编码", True, ("sku",), "MATE60PRO-12-512-BLK"),
        Column(
            "min_qty",
            "Min quantity",
            "起订数量",
            aliases=("min qty", "最小数量"),
            example="1",
            help="the quantity break; 1 when empty",
        ),
        Column("price", "Price", "价格", True, ("unit price", "单价"), "5799.00"),
    )
)


@dataclass
class PricePlan:
    lines: dict[tuple[int, int, int], Decimal] = field(default_factory=dict)
    existing: dict[tuple[int, int, int], tuple[int, Decimal]] = field(default_factory=dict)


class PricesHandler:
    spec = SPEC

    def validate(
        self, session: TenantSession, rows: list[Row], report: Report, context: ImportContext
    ) -> PricePlan:
        parsed = []
        for row in rows:
            list_code = report.check(row, "price_list_code", rules.validate_product_code)
            sku_code = report.check(row, "sku_code", rules.validate_sku_code)
            min_qty = report.check(row, "min_qty", lambda v: integer(v, minimum=1, default=1))
            price = report.check(row, "price", lambda v: money(v, required=True))
            parsed.append((row, list_code, sku_code, min_qty, price))
        lists = lookup_codes(session, PriceList, {p[1] for p in parsed if p[1]})
        skus = lookup_codes(session, Sku, {p[2] for p in parsed if p[2]})
        plan = PricePlan()
        seen: dict[Any, int] = {}
        for row, list_code, sku_code, min_qty, price in parsed:
            list_id = lists.get(list_code) if list_code else None
            sku_id = skus.get(sku_code) if sku_code else None
            if list_code and list_id is None:
                report.add(row, "price_list_code", "Unknown price list code.")
            if sku_code and sku_id is None:
                report.add(row, "sku_code", "Unknown SKU code.")
            if list_id is None or sku_id is None or min_qty is None or price is None:
                continue
            key = (list_id, sku_id, min_qty)
            if first_seen(report, row, "sku_code", key, seen):
                plan.lines[key] = price
        for chunk in chunks(sorted(set(lists.values()))):
            query = select(
                PriceListItem.price_list_id,
                PriceListItem.sku_id,
                PriceListItem.min_qty,
                PriceListItem.id,
                PriceListItem.price,
            ).where(PriceListItem.price_list_id.in_(chunk))
            for list_id, sku_id, min_qty, item_id, price in session.execute(query):
                plan.existing[(list_id, sku_id, min_qty)] = (item_id, price)
        return plan

    def apply(
        self,
        session: TenantSession,
        actor: Principal | None,
        plan: PricePlan,
        context: ImportContext,
        progress: Progress,
    ) -> dict[str, int]:
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for (list_id, sku_id, min_qty), price in plan.lines.items():
            stored = plan.existing.get((list_id, sku_id, min_qty))
            if stored is None:
                new.append(
                    {
                        "tenant_id": session.tenant_id,
                        "price_list_id": list_id,
                        "sku_id": sku_id,
                        "min_qty": min_qty,
                        "price": price,
                    }
                )
            elif stored[1] != price:
                changed.append({"b_id": stored[0], "price": price})
        table = PriceListItem.__table__
        bulk_insert(session, table, new, progress)
        bulk_update(session, table, changed)
        return {"prices_created": len(new), "prices_updated": len(changed)}
