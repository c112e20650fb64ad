"""A dealer's own stock: one row per SKU with on hand, units sold and the period.

The SKU is named by the brand's code or the dealer's own code for it. Rows go
to :func:`dinghuo.core.inventory.channel.report_channel_stock` as one report
(source ``import``), which also checks the dealer may see each SKU.
"""

from __future__ import annotations

from typing import Any

from dinghuo.core.crm.service import get_dealer
from dinghuo.core.imports.columns import CellError, Column, Spec, integer, text
from dinghuo.core.imports.handlers.base import ImportContext, Progress, Report, Row, first_seen
from dinghuo.core.inventory.channel import (
    DEFAULT_PERIOD_DAYS,
    MAX_PERIOD_DAYS,
    ChannelStockLine,
    report_channel_stock,
    reportable_sku_ids,
    resolve_sku_codes,
)
from dinghuo.db import TenantSession
from dinghuo.platform.auth.principal import Principal

SPEC = Spec(
    (
        Column(
            "sku_code",
            "SKU code",
            "SKU编码",
            True,
            ("sku", "own code", "自有编码"),
            "MATE60PRO-12-512-BLK",
            "the brand's SKU code or your own code for it",
        ),
        Column("on_hand", "On hand", "库存数量", True, ("qty", "数量"), "35"),
        Column(
            "sold_qty",
            "Sold",
            "销量",
            aliases=("sold", "销售数量"),
            example="12",
            help="units sold over the period; 0 when empty",
        ),
        Column(
            "period_days",
            "Period (days)",
            "统计天数",
            aliases=("days", "天数"),
            example="30",
            help=f"{DEFAULT_PERIOD_DAYS} when empty",
        ),
    )
)


def _period(value: str) -> int | None:
    days = integer(value, minimum=1, default=DEFAULT_PERIOD_DAYS)
    if days is not None and days > MAX_PERIOD_DAYS:
        raise CellError(f"Must be at most {MAX_PERIOD_DAYS}.")
    return days


class ChannelStockHandler:
    spec = SPEC

    def validate(
        self, session: TenantSession, rows: list[Row], report: Report, context: ImportContext
    ) -> list[ChannelStockLine]:
        dealer_id = context.dealer_id
        assert dealer_id is not None, "a channel-stock import names its dealer"
        parsed = []
        for row in rows:
            code = report.check(row, "sku_code", lambda v: text(v, 60, required=True).upper())
            on_hand = report.check(row, "on_hand", lambda v: integer(v, required=True))
            sold = report.check(row, "sold_qty", lambda v: integer(v, default=0))
            period = report.check(row, "period_days", _period)
            parsed.append((row, code, on_hand, sold, period))
        resolved = resolve_sku_codes(session, dealer_id, {p[1] for p in parsed if p[1]})
        dealer = get_dealer(session, dealer_id)
        allowed = reportable_sku_ids(session, dealer, resolved.values())
        lines: list[ChannelStockLine] = []
        seen: dict[Any, int] = {}
        for row, code, on_hand, sold, period in parsed:
            sku_id = resolved.get(code) if code else None
            if code and (sku_id is None or sku_id not in allowed):
                report.add(row, "sku_code", "Unknown SKU code.")
                continue
            if sku_id is None or on_hand is None or sold is None or period is None:
                continue
            if first_seen(report, row, "sku_code", sku_id, seen):
                lines.append(ChannelStockLine(sku_id, on_hand, sold, period))
        return lines

    def apply(
        self,
        session: TenantSession,
        actor: Principal | None,
        plan: list[ChannelStockLine],
        context: ImportContext,
        progress: Progress,
    ) -> dict[str, int]:
        assert context.dealer_id is not None
        written = report_channel_stock(session, actor, context.dealer_id, plan, source="import")
        progress(written)
        return {"lines_reported": written}
