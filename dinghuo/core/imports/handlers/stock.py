"""Warehouse stock counts: one row per (warehouse, SKU) with the units on hand.

Applied through :func:`dinghuo.core.inventory.service.apply_stock_counts`, so
every change is a ``stock_count`` movement in the ledger with the import as
its reference. Counts equal to the stored level are left out (no movement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from dinghuo.core.catalog import rules
from dinghuo.core.catalog.models import Sku
from dinghuo.core.imports.columns import Column, Spec, integer
from dinghuo.core.imports.handlers.base import (
    ImportContext,
    Progress,
    Report,
    Row,
    chunks,
    first_seen,
    lookup_codes,
)
from dinghuo.core.inventory.models import StockLevel, Warehouse
from dinghuo.core.inventory.service import apply_stock_counts
from dinghuo.db import TenantSession
from dinghuo.platform.auth.principal import Principal

SPEC = Spec(
    (
        Column("warehouse_code", "Warehouse code", "仓库编码", True, ("warehouse", "仓库"), "SH01"),
        Column("sku_code", "SKU code", "SKU编码", True, ("sku",), "MATE60PRO-12-512-BLK"),
        Column("on_hand", "On hand", "库存数量", True, ("qty", "数量", "在库数量"), "120"),
    )
)


@dataclass
class StockPlan:
    counts: dict[tuple[int, int], int] = field(default_factory=dict)
    stored: dict[tuple[int, int], int] = field(default_factory=dict)


class StockHandler:
    spec = SPEC

    def validate(
        self, session: TenantSession, rows: list[Row], report: Report, context: ImportContext
    ) -> StockPlan:
        parsed = []
        for row in rows:
            warehouse = report.check(
                row, "warehouse_code", lambda v: rules.code("warehouse_code", v, 40)
            )
            sku = report.check(row, "sku_code", rules.validate_sku_code)
            on_hand = report.check(row, "on_hand", lambda v: integer(v, required=True))
            parsed.append((row, warehouse, sku, on_hand))
        warehouses = lookup_codes(session, Warehouse, {p[1] for p in parsed if p[1]})
        skus = lookup_codes(session, Sku, {p[2] for p in parsed if p[2]})
        levels: dict[tuple[int, int], tuple[int, int]] = {}
        for chunk in chunks(sorted(set(skus.values()))):
            query = select(
                StockLevel.warehouse_id, StockLevel.sku_id, StockLevel.on_hand, StockLevel.reserved
            ).where(StockLevel.sku_id.in_(chunk))
            for warehouse_id, sku_id, on_hand, reserved in session.execute(query):
                levels[(warehouse_id, sku_id)] = (on_hand, reserved)
        plan = StockPlan()
        seen: dict[Any, int] = {}
        for row, warehouse_code, sku_code, on_hand in parsed:
            warehouse_id = warehouses.get(warehouse_code) if warehouse_code else None
            sku_id = skus.get(sku_code) if sku_code else None
            if warehouse_code and warehouse_id is None:
                report.add(row, "warehouse_code", "Unknown warehouse code.")
            if sku_code and sku_id is None:
                report.add(row, "sku_code", "Unknown SKU code.")
            if warehouse_id is None or sku_id is None or on_hand is None:
                continue
            key = (warehouse_id, sku_id)
            if not first_seen(report, row, "sku_code", key, seen):
                continue
            stored_on_hand, reserved = levels.get(key, (0, 0))
            if on_hand < reserved:
                report.add(row, "on_hand", f"Below the {reserved} unit(s) reserved for orders.")
                continue
            plan.counts[key] = on_hand
            plan.stored[key] = stored_on_hand
        return plan

    def apply(
        self,
        session: TenantSession,
        actor: Principal | None,
        plan: StockPlan,
        context: ImportContext,
        progress: Progress,
    ) -> dict[str, int]:
        changed = [
            (warehouse_id, sku_id, on_hand)
            for (warehouse_id, sku_id), on_hand in plan.counts.items()
            if plan.stored.get((warehouse_id, sku_id)) != on_hand
        ]
        written = 0
        if changed:
            written = apply_stock_counts(
                session,
                actor,
                changed,
                reason=f"Import #{context.import_id}",
                reference_type="import",
                reference_id=str(context.import_id),
            )
        progress(len(plan.counts))
        return {"stock_levels_changed": written}
