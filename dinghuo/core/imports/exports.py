"""Exports of products, prices and stock in the import's own columns, and blank templates.

An export uses the same column keys as the import of its kind and writes
every value as text in the form the import reads back (``5999.00``,
``颜色=雅丹黑;内存=12+256G``), so re-importing an export changes nothing.
CSV is streamed row by row (UTF-8 with a BOM, which Excel needs to show
Chinese); XLSX is built with openpyxl's write-only mode, cells as text so
Excel keeps barcodes' digits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import select

from dinghuo.core.catalog.models import Brand, Category, Product, Sku
from dinghuo.core.imports.handlers import handler_for
from dinghuo.core.imports.handlers.products import format_variant
from dinghuo.core.imports.models import ImportKind
from dinghuo.core.inventory.models import StockLevel, Warehouse
from dinghuo.core.pricing.models import PriceList, PriceListItem
from dinghuo.db import TenantSession
from dinghuo.errors import PermissionDenied, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

EXPORT_PERMISSIONS = {
    ImportKind.PRODUCTS: Permission.CATALOG_MANAGE,
    ImportKind.PRICES: Permission.PRICES_READ,
    ImportKind.STOCK: Permission.INVENTORY_READ,
}
FORMATS = ("csv", "xlsx")
BATCH = 2000


def exportable_kind(value: Any) -> ImportKind:
    try:
        kind = ImportKind(value)
    except ValueError:
        kind = None
    if kind not in EXPORT_PERMISSIONS:
        allowed = ", ".join(k.value for k in EXPORT_PERMISSIONS)
        raise ValidationFailed.field("kind", f"Use one of: {allowed}.")
    return kind


def headers_of(kind: ImportKind) -> list[str]:
    return [column.key for column in handler_for(kind).spec.columns]


RowSource = Callable[[TenantSession], Iterator[list[str]]]


def export_source(actor: Principal | None, kind: ImportKind) -> tuple[list[str], RowSource]:
    """The header of an export of ``kind`` and the function reading its rows from a session.

    The permission is checked here, before any row is read; the rows are read
    by the caller from a session of its own (a streamed response outlives the
    request's session).
    """
    permission = EXPORT_PERMISSIONS[kind]
    if actor is not None and not actor.can(permission):
        raise PermissionDenied(f"This needs the permission: {permission.value}.")
    sources: dict[ImportKind, RowSource] = {
        ImportKind.PRODUCTS: _products,
        ImportKind.PRICES: _prices,
        ImportKind.STOCK: _stock,
    }
    return headers_of(kind), sources[kind]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _products(session: TenantSession) -> Iterator[list[str]]:
    query = (
        select(Product, Sku, Brand.code, Category.code)
        .join(Sku, Sku.product_id == Product.id)
        .outerjoin(Brand, Brand.id == Product.brand_id)
        .outerjoin(Category, Category.id == Product.category_id)
        .order_by(Product.code, Sku.position, Sku.code)
        .execution_options(yield_per=BATCH)
    )
    for product, sku, brand_code, category_code in session.execute(query):
        yield [
            product.code,
            product.name_zh,
            product.name_en,
            brand_code or "",
            category_code or "",
            product.model_number,
            product.status.value,
            sku.code,
            sku.barcode,
            format_variant(sku.variant),
            sku.status.value,
            str(sku.moq),
            str(sku.order_multiple),
            _text(sku.weight_g),
            _text(sku.length_mm),
            _text(sku.width_mm),
            _text(sku.height_mm),
            str(sku.msrp),
            str(sku.base_price),
        ]


def _prices(session: TenantSession) -> Iterator[list[str]]:
    query = (
        select(PriceList.code, Sku.code, PriceListItem.min_qty, PriceListItem.price)
        .join(PriceList, PriceList.id == PriceListItem.price_list_id)
        .join(Sku, Sku.id == PriceListItem.sku_id)
        .order_by(PriceList.code, Sku.code, PriceListItem.min_qty)
        .execution_options(yield_per=BATCH)
    )
    for list_code, sku_code, min_qty, price in session.execute(query):
        yield [list_code, sku_code, str(min_qty), str(price)]


def _stock(session: TenantSession) -> Iterator[list[str]]:
    query = (
        select(Warehouse.code, Sku.code, StockLevel.on_hand)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(Sku, Sku.id == StockLevel.sku_id)
        .order_by(Warehouse.code, Sku.code)
        .execution_options(yield_per=BATCH)
    )
    for warehouse_code, sku_code, on_hand in session.execute(query):
        yield [warehouse_code, sku_code, str(on_hand)]


# --- file formats --------------------------------------------------------------------------


def csv_stream(headers: list[str], rows: Iterable[list[str]]) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM, a chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers)
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % 500 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(
    headers: list[str], rows: Iterable[list[str]], *, notes: list[list[str]] | None = None
) -> bytes:
    """A workbook whose first sheet holds the table (cells as text); ``notes`` a second sheet."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if notes:
        help_sheet = workbook.create_sheet("columns")
        for line in notes:
            help_sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_notes(kind: ImportKind) -> list[list[str]]:
    """The columns of ``kind``: key, English and Chinese names, required, example, notes."""
    lines = [["column", "English", "中文", "required", "example", "notes"]]
    for column in handler_for(kind).spec.columns:
        lines.append(
            [
                column.key,
                column.en,
                column.zh,
                "yes" if column.required else "",
                column.example,
                column.help,
            ]
        )
    return lines
