"""Products and SKUs: one row per SKU, products created or updated by code.

Product columns (names, brand, category, model number, status) repeat on each
SKU row of the product; they must agree (the first row of a product wins and
a differing later row is reported). A column left out of the file keeps the
stored values; a column present with an empty cell sets the field to empty
(or its default). Rows whose values equal the stored ones write nothing, so
re-importing an export changes nothing.

Writes are bulk statements (multi-row ``INSERT`` and ``executemany``
``UPDATE``) of only the new and changed rows, then one call to the search
indexer for every product touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from dinghuo.core.catalog import rules
from dinghuo.core.catalog.models import Brand, Category, Product, ProductStatus, Sku
from dinghuo.core.catalog.search_index import index_products
from dinghuo.core.imports.columns import CellError, Column, Spec
from dinghuo.core.imports.handlers.base import (
    ImportContext,
    Progress,
    Report,
    Row,
    bulk_insert,
    bulk_update,
    chunks,
    first_seen,
)
from dinghuo.db import TenantSession
from dinghuo.platform.auth.principal import Principal

PRODUCT_KEYS = (
    "name_zh",
    "name_en",
    "brand_code",
    "category_code",
    "model_number",
    "product_status",
)
SKU_KEYS = (
    "barcode",
    "variant",
    "sku_status",
    "moq",
    "order_multiple",
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "msrp",
    "base_price",
)
_SKU_FIELD = {"sku_status": "status"}
_PRODUCT_FIELD = {
    "product_status": "status",
    "brand_code": "brand_id",
    "category_code": "category_id",
}

SPEC = Spec(
    (
        Column("product_code", "Product code", "产品编码", True, ("spu", "product"), "MATE60PRO"),
        Column("name_zh", "Name (Chinese)", "产品名称", True, ("name", "名称"), "华为 Mate 60 Pro"),
        Column("name_en", "Name (English)", "英文名称", example="HUAWEI Mate 60 Pro"),
        Column("brand_code", "Brand code", "品牌编码", aliases=("brand", "品牌"), example="HUAWEI"),
        Column(
            "category_code",
            "Category code",
            "分类编码",
            aliases=("category", "分类"),
            example="PHONE",
        ),
        Column("model_number", "Model number", "型号", aliases=("model",), example="ALN-AL00"),
        Column(
            "product_status",
            "Product status",
            "产品状态",
            example="active",
            help="draft, active or discontinued",
        ),
        Column("sku_code", "SKU code", "SKU编码", True, ("sku",), "MATE60PRO-12-512-BLK"),
        Column(
            "barcode",
            "Barcode",
            "条码",
            aliases=("ean", "条形码"),
            example="6901234567892",
            help="EAN-8, UPC-A or EAN-13 with its check digit",
        ),
        Column(
            "variant",
            "Variant",
            "规格",
            aliases=("变体",),
            example="颜色=雅丹黑;内存=12+512G",
            help="axis=value pairs separated by ;",
        ),
        Column("sku_status", "SKU status", "SKU状态", example="active"),
        Column("moq", "MOQ", "起订量", aliases=("最小起订量",), example="1"),
        Column(
            "order_multiple",
            "Order multiple",
            "订货倍数",
            aliases=("pack size", "包装数"),
            example="1",
        ),
        Column("weight_g", "Weight (g)", "重量(克)", aliases=("weight", "重量"), example="225"),
        Column("length_mm", "Length (mm)", "长(毫米)", aliases=("length", "长"), example="163"),
        Column("width_mm", "Width (mm)", "宽(毫米)", aliases=("width", "宽"), example="79"),
        Column("height_mm", "Height (mm)", "高(毫米)", aliases=("height", "高"), example="8"),
        Column("msrp", "MSRP", "建议零售价", aliases=("零售价",), example="6999.00"),
        Column(
            "base_price",
            "Base price",
            "批发价",
            aliases=("基础价", "wholesale price"),
            example="5999.00",
        ),
    )
)

_PAIR_SPLIT = re.compile(r"[;；|]")
_KV_SPLIT = re.compile(r"[=:：]")


def parse_variant(value: str) -> dict[str, str]:
    """``颜色=雅丹黑;内存=12+512G`` as an ordered mapping of axis to value."""
    variant: dict[str, str] = {}
    for pair in _PAIR_SPLIT.split(value):
        if not pair.strip():
            continue
        parts = _KV_SPLIT.split(pair, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise CellError("Write variants as axis=value pairs separated by ';'.")
        axis = rules.name("variant", parts[0].strip(), 40)
        if axis in variant:
            raise CellError(f"The axis {axis} appears twice.")
        variant[axis] = rules.name("variant", parts[1].strip(), 60)
    if len(variant) > rules.MAX_AXES:
        raise CellError(f"At most {rules.MAX_AXES} axes.")
    return variant


def format_variant(variant: dict[str, Any]) -> str:
    return ";".join(f"{axis}={value}" for axis, value in variant.items())


def _barcode(value: str) -> str:
    if "e+" in value.lower():
        raise CellError(
            "Excel turned this barcode into a rounded number (e.g. 6.9E+12); "
            "format the column as text and type the full barcode."
        )
    return rules.validate_barcode(value)


def _status(value: str, default: ProductStatus) -> ProductStatus:
    return rules.validate_status(value) if value else default


def _int(value: str) -> int:
    """Excel's ``12.0`` is the whole number 12."""
    return value[:-2] if value.endswith(".0") else value  # type: ignore[return-value]


def _money(field_name: str, value: str) -> Decimal:
    return rules.validate_money(field_name, value.replace(",", "")) if value else Decimal("0.00")


_SKU_PARSERS: dict[str, Any] = {
    "barcode": _barcode,
    "variant": parse_variant,
    "sku_status": lambda v: _status(v, ProductStatus.ACTIVE),
    "moq": lambda v: rules.validate_moq(_int(v)) if v else 1,
    "order_multiple": lambda v: rules.validate_order_multiple(_int(v)) if v else 1,
    "weight_g": lambda v: rules.validate_measure("weight_g", _int(v)),
    "length_mm": lambda v: rules.validate_measure("length_mm", _int(v)),
    "width_mm": lambda v: rules.validate_measure("width_mm", _int(v)),
    "height_mm": lambda v: rules.validate_measure("height_mm", _int(v)),
    "msrp": lambda v: _money("msrp", v),
    "base_price": lambda v: _money("base_price", v),
}


@dataclass
class ProductPlan:
    """Validated values by code, with the stored rows they change (if any)."""

    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    skus: dict[str, dict[str, Any]] = field(default_factory=dict)
    existing_products: dict[str, dict[str, Any]] = field(default_factory=dict)
    existing_skus: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants_given: bool = False


def _lookup(session: TenantSession, column: Any, codes: set[str], *selected: Any) -> list[Any]:
    found: list[Any] = []
    for chunk in chunks(sorted(codes)):
        found.extend(session.execute(select(*selected).where(column.in_(chunk))).all())
    return found


class ProductsHandler:
    spec = SPEC

    def validate(
        self, session: TenantSession, rows: list[Row], report: Report, context: ImportContext
    ) -> ProductPlan:
        present = set(rows[0].cells) if rows else set()
        plan = ProductPlan(variants_given="variant" in present)
        product_rows: dict[str, int] = {}
        sku_rows: dict[str, int] = {}
        barcode_rows: dict[str, int] = {}
        parsed: list[tuple[Row, str | None, str | None, dict[str, Any], dict[str, Any]]] = []
        for row in rows:
            product_code = report.check(row, "product_code", rules.validate_product_code)
            sku_code = report.check(row, "sku_code", rules.validate_sku_code)
            if sku_code is not None and not first_seen(report, row, "sku_code", sku_code, sku_rows):
                sku_code = None
            product = self._product_values(row, report, present)
            sku = {
                key: report.check(row, key, _SKU_PARSERS[key]) for key in SKU_KEYS if key in present
            }
            barcode = sku.get("barcode")
            if barcode:
                first_seen(report, row, "barcode", barcode, barcode_rows)
            if {"moq", "order_multiple"} <= present and sku["moq"] and sku["order_multiple"]:
                report.check(
                    row,
                    "moq",
                    lambda _, s=sku: rules.validate_moq_and_multiple(s["moq"], s["order_multiple"]),
                )
            parsed.append((row, product_code, sku_code, product, sku))

        brands = dict(
            _lookup(
                session,
                Brand.code,
                {p["brand_code"] for _, _, _, p, _ in parsed if p.get("brand_code")},
                Brand.code,
                Brand.id,
            )
        )
        categories = dict(
            _lookup(
                session,
                Category.code,
                {p["category_code"] for _, _, _, p, _ in parsed if p.get("category_code")},
                Category.code,
                Category.id,
            )
        )
        product_columns = [
            c
            for c in Product.__table__.c
            if c.key not in ("tenant_id", "description", "created_at", "updated_at")
        ]
        for stored in _lookup(
            session, Product.code, {c for _, c, _, _, _ in parsed if c}, *product_columns
        ):
            plan.existing_products[stored.code] = dict(stored._mapping)
        sku_columns = [
            c for c in Sku.__table__.c if c.key not in ("tenant_id", "created_at", "sales_qty")
        ]
        for stored in _lookup(
            session, Sku.code, {c for _, _, c, _, _ in parsed if c}, *sku_columns
        ):
            plan.existing_skus[stored.code] = dict(stored._mapping)
        codes_by_product_id = {p["id"]: code for code, p in plan.existing_products.items()}
        if plan.existing_skus:
            unknown_ids = {s["product_id"] for s in plan.existing_skus.values()} - set(
                codes_by_product_id
            )
            for chunk in chunks(sorted(unknown_ids)):
                codes_by_product_id.update(
                    session.execute(
                        select(Product.id, Product.code).where(Product.id.in_(chunk))
                    ).all()
                )

        for row, product_code, sku_code, product, sku in parsed:
            for key, lookup in (("brand_code", brands), ("category_code", categories)):
                value = product.get(key)
                if value and value not in lookup:
                    noun = "brand" if key == "brand_code" else "category"
                    report.add(row, key, f"Unknown {noun} code.")
                elif key in product:
                    product[key] = lookup.get(value) if value else None
            if product_code is None or sku_code is None:
                continue
            stored_sku = plan.existing_skus.get(sku_code)
            if stored_sku is not None:
                owner = codes_by_product_id.get(stored_sku["product_id"])
                if owner != product_code:
                    report.add(row, "sku_code", f"This SKU belongs to the product {owner}.")
                    continue
            if product_code in plan.products:
                self._agree(
                    row, report, plan.products[product_code], product, product_rows[product_code]
                )
            else:
                product_rows[product_code] = row.number
                plan.products[product_code] = {**product, "axes": list(sku.get("variant") or {})}
            axes = plan.products[product_code]["axes"]
            if "variant" in sku and sku["variant"] is not None and list(sku["variant"]) != axes:
                report.check(
                    row, "variant", lambda _, a=axes, v=sku["variant"]: rules.validate_variant(a, v)
                )
            plan.skus[sku_code] = {**sku, "product_code": product_code}
        self._positions(plan)
        return plan

    @staticmethod
    def _product_values(row: Row, report: Report, present: set[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "name_zh" in present:
            values["name_zh"] = report.check(
                row, "name_zh", lambda v: rules.name("name_zh", v, 200)
            )
        if "name_en" in present:
            values["name_en"] = report.check(
                row, "name_en", lambda v: rules.name("name_en", v, 200, required=False)
            )
        if "model_number" in present:
            values["model_number"] = report.check(
                row, "model_number", lambda v: rules.name("model_number", v, 100, required=False)
            )
        if "brand_code" in present:
            values["brand_code"] = report.check(
                row, "brand_code", lambda v: rules.validate_brand_code(v) if v else ""
            )
        if "category_code" in present:
            values["category_code"] = report.check(
                row, "category_code", lambda v: rules.validate_category_code(v) if v else ""
            )
        if "product_status" in present:
            values["product_status"] = report.check(
                row, "product_status", lambda v: _status(v, ProductStatus.DRAFT)
            )
        return values

    @staticmethod
    def _agree(
        row: Row, report: Report, first: dict[str, Any], values: dict[str, Any], first_row: int
    ) -> None:
        for key, value in values.items():
            if value is not None and first.get(key) is not None and value != first[key]:
                report.add(row, key, f"Differs from row {first_row} of the same product.")

    @staticmethod
    def _positions(plan: ProductPlan) -> None:
        counters: dict[str, int] = {}
        for sku in plan.skus.values():
            code = sku["product_code"]
            sku["position"] = counters.get(code, 0)
            counters[code] = sku["position"] + 1

    def apply(
        self,
        session: TenantSession,
        actor: Principal | None,
        plan: ProductPlan,
        context: ImportContext,
        progress: Progress,
    ) -> dict[str, int]:
        tenant_id = session.tenant_id
        product_ids = {code: stored["id"] for code, stored in plan.existing_products.items()}
        new_products: list[dict[str, Any]] = []
        changed_products: list[dict[str, Any]] = []
        for code, values in plan.products.items():
            row = {_PRODUCT_FIELD.get(k, k): v for k, v in values.items() if k != "axes"}
            if plan.variants_given:
                row["variant_axes"] = values["axes"]
            stored = plan.existing_products.get(code)
            if stored is None:
                new_products.append({"tenant_id": tenant_id, "code": code, **row})
            elif any(stored[k] != v for k, v in row.items()):
                changed_products.append({"b_id": stored["id"], **row})
        table = Product.__table__
        for chunk in chunks(new_products):
            result = session.execute(insert(table).returning(table.c.id, table.c.code), list(chunk))
            product_ids.update({code: pid for pid, code in result})
        bulk_update(session, table, changed_products)

        new_skus: list[dict[str, Any]] = []
        changed_skus: list[dict[str, Any]] = []
        touched: set[int] = {
            product_ids[c] for c in plan.products if c not in plan.existing_products
        }
        touched.update(r["b_id"] for r in changed_products)
        for code, values in plan.skus.items():
            row = {
                _SKU_FIELD.get(k, k): v
                for k, v in values.items()
                if k not in ("product_code", "position")
            }
            stored = plan.existing_skus.get(code)
            if stored is None:
                new_skus.append(
                    {
                        "tenant_id": tenant_id,
                        "code": code,
                        "product_id": product_ids[values["product_code"]],
                        "position": values["position"],
                        **row,
                    }
                )
                touched.add(product_ids[values["product_code"]])
            elif any(stored[k] != v for k, v in row.items()):
                changed_skus.append({"b_id": stored["id"], **row})
                touched.add(stored["product_id"])
        bulk_insert(session, Sku.__table__, new_skus, progress)
        bulk_update(session, Sku.__table__, changed_skus)
        progress(len(plan.skus))
        if touched:
            index_products(session, sorted(touched))
        return {
            "products_created": len(new_products),
            "products_updated": len(changed_products),
            "skus_created": len(new_skus),
            "skus_updated": len(changed_skus),
        }
