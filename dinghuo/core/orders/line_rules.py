"""What makes a line (a SKU and a quantity) orderable by a dealer.

One set of rules for every place lines come from — cart, quick order, upload,
saved lists, checkout — so the cart warns about exactly what submission would
refuse. The cart shows the problems next to the lines; submission refuses
with all of them at once (one field per line, :meth:`LineProblem.path`).

A SKU the dealer may not see is reported exactly like one that does not
exist ("unknown SKU"): hidden products must not leak through ordering.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from dinghuo.core.catalog.models import Product, ProductStatus, Sku
from dinghuo.core.catalog.visibility import visible_to
from dinghuo.core.crm.models import Dealer
from dinghuo.db import TenantSession
from dinghuo.errors import ValidationFailed

MAX_LINE_QUANTITY = 100_000
"""Units of one SKU on one line; more is a typo (an extra zero), not an order."""
MAX_ORDER_LINES = 2000
"""Lines in one cart or order; keeps pricing and reservation within a request."""

UNKNOWN_SKU = "unknown_sku"
NOT_ORDERABLE = "not_orderable"
BAD_QUANTITY = "bad_quantity"
TOO_MANY = "too_many"
BELOW_MOQ = "below_moq"
NOT_MULTIPLE = "not_multiple"


@dataclass(frozen=True)
class LineProblem:
    """Why one line cannot be ordered as it stands.

    ``line_no`` counts from 1 in the order the lines were given; ``field`` is
    ``sku_id`` or ``quantity``; ``code`` is one of the module's constants, for
    programs; ``message`` is for people.
    """

    line_no: int
    sku_id: int | None
    sku_code: str
    field: str
    code: str
    message: str

    @property
    def path(self) -> str:
        """The error field naming this line in a request body: ``lines.<index>.<field>``."""
        return f"lines.{self.line_no - 1}.{self.field}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "sku_id": self.sku_id,
            "sku_code": self.sku_code,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class _SkuFacts:
    code: str
    sku_status: ProductStatus
    product_status: ProductStatus
    visible: bool
    moq: int
    order_multiple: int


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _among(
    session: TenantSession, column: InstrumentedAttribute[int], ids: set[int]
) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one parameter however many ids
    (a 2,000-line order would otherwise compile and send 2,000 placeholders)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", sorted(ids), type_=ARRAY(Integer), unique=True))
    return column.in_(ids)


def _sku_facts(session: TenantSession, dealer: Dealer, sku_ids: set[int]) -> dict[int, _SkuFacts]:
    """What the rules need of each SKU, in one query (visibility computed in SQL)."""
    if not sku_ids:
        return {}
    rows = session.execute(
        select(
            Sku.id,
            Sku.code,
            Sku.status,
            Product.status,
            visible_to(dealer).label("visible"),
            Sku.moq,
            Sku.order_multiple,
        )
        .join(Product, Product.id == Sku.product_id)
        .where(_among(session, Sku.id, sku_ids))
    )
    return {row[0]: _SkuFacts(row[1], row[2], row[3], bool(row[4]), row[5], row[6]) for row in rows}


def validate_lines(
    session: TenantSession, dealer: Dealer, lines: Sequence[tuple[Any, Any]]
) -> list[LineProblem]:
    """Every problem of every ``(sku_id, quantity)`` line for ``dealer``, in line order.

    At most one problem per line: the SKU first (nothing else matters when it
    cannot be ordered), then the quantity. More than :data:`MAX_ORDER_LINES`
    lines is a bad request, not a line problem.
    """
    if len(lines) > MAX_ORDER_LINES:
        raise ValidationFailed.field("lines", f"Use at most {MAX_ORDER_LINES} lines.")
    facts = _sku_facts(session, dealer, {sku_id for sku_id, _quantity in lines if _is_id(sku_id)})
    problems: list[LineProblem] = []
    for line_no, (sku_id, quantity) in enumerate(lines, start=1):
        problem = _line_problem(
            line_no, sku_id, quantity, facts.get(sku_id) if _is_id(sku_id) else None
        )
        if problem is not None:
            problems.append(problem)
    return problems


def _line_problem(
    line_no: int, sku_id: Any, quantity: Any, sku: _SkuFacts | None
) -> LineProblem | None:
    if sku is None or not sku.visible or sku.product_status == ProductStatus.DRAFT:
        return LineProblem(
            line_no, sku_id if _is_id(sku_id) else None, "", "sku_id", UNKNOWN_SKU, "Unknown SKU."
        )

    def problem(field: str, code: str, message: str) -> LineProblem:
        return LineProblem(line_no, sku_id, sku.code, field, code, message)

    if sku.sku_status != ProductStatus.ACTIVE or sku.product_status != ProductStatus.ACTIVE:
        return problem("sku_id", NOT_ORDERABLE, f"{sku.code} is no longer sold.")
    if not _is_id(quantity):
        return problem("quantity", BAD_QUANTITY, "Quantity must be a whole number above zero.")
    if quantity > MAX_LINE_QUANTITY:
        return problem("quantity", TOO_MANY, f"Order at most {MAX_LINE_QUANTITY} units a line.")
    if quantity < sku.moq:
        return problem("quantity", BELOW_MOQ, f"{sku.code} is sold in at least {sku.moq} units.")
    if quantity % sku.order_multiple:
        return problem(
            "quantity", NOT_MULTIPLE, f"{sku.code} is sold in multiples of {sku.order_multiple}."
        )
    return None


def raise_for(problems: Sequence[LineProblem]) -> None:
    """Refuse with every problem at once, one error field per line (nothing is written)."""
    if not problems:
        return
    fields: dict[str, list[str]] = {}
    for item in problems:
        fields.setdefault(item.path, []).append(item.message)
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise ValidationFailed(f"Line {first.line_no}: {first.message}{more}", fields=fields)
