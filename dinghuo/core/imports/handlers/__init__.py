"""One handler per import kind (columns, row checks, bulk writes)."""

from __future__ import annotations

from dinghuo.core.imports.handlers.base import Handler
from dinghuo.core.imports.handlers.channel_stock import ChannelStockHandler
from dinghuo.core.imports.handlers.prices import PricesHandler
from dinghuo.core.imports.handlers.products import ProductsHandler
from dinghuo.core.imports.handlers.stock import StockHandler
from dinghuo.core.imports.models import ImportKind

HANDLERS: dict[ImportKind, Handler] = {
    ImportKind.PRODUCTS: ProductsHandler(),
    ImportKind.PRICES: PricesHandler(),
    ImportKind.STOCK: StockHandler(),
    ImportKind.CHANNEL_STOCK: ChannelStockHandler(),
}


def handler_for(kind: ImportKind) -> Handler:
    return HANDLERS[kind]
