"""Which products a dealer may see: one criterion every dealer-facing query uses.

A product with no :class:`ProductVisibility` rows is visible to every dealer;
with rules, only to dealers matching at least one (their tier, one of their
groups, or the dealer itself). Hidden products are absent from that dealer's
search, pages and API, so callers filter with :func:`visible_to` in SQL
rather than checking after loading.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select

from dinghuo.core.catalog.models import (
    Product,
    ProductStatus,
    ProductVisibility,
    Sku,
    VisibilityScope,
)
from dinghuo.core.crm.models import Dealer
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound


def _matches(dealer: Dealer) -> ColumnElement[bool]:
    rule = ProductVisibility
    group_ids = [str(m.group_id) for m in dealer.memberships]
    clauses = [
        and_(rule.scope == VisibilityScope.TIER, rule.value == dealer.tier),
        and_(rule.scope == VisibilityScope.DEALER, rule.value == str(dealer.id)),
    ]
    if group_ids:
        clauses.append(and_(rule.scope == VisibilityScope.GROUP, rule.value.in_(group_ids)))
    return or_(*clauses)


def visible_to(dealer: Dealer) -> ColumnElement[bool]:
    """A criterion on :class:`Product`: "this dealer may see it" (status not included)."""
    rule = ProductVisibility
    has_rules = exists().where(rule.product_id == Product.id, rule.tenant_id == Product.tenant_id)
    matching = exists().where(
        rule.product_id == Product.id, rule.tenant_id == Product.tenant_id, _matches(dealer)
    )
    return or_(~has_rules, matching)


def browsable_by(dealer: Dealer) -> ColumnElement[bool]:
    """A criterion on :class:`Product`: active and visible to the dealer (what portals list)."""
    if not dealer.is_active:
        return false()
    return and_(Product.status == ProductStatus.ACTIVE, visible_to(dealer))


def product_for_dealer(session: TenantSession, dealer: Dealer, product_id: int) -> Product:
    """The product if the dealer may see it; NotFound when hidden, not active, or missing."""
    product = session.scalar(select(Product).where(Product.id == product_id, browsable_by(dealer)))
    if product is None:
        raise NotFound("No such product.")
    return product


def sku_for_dealer(session: TenantSession, dealer: Dealer, sku_id: int) -> Sku:
    """The SKU if it is active and its product is browsable by the dealer, else NotFound."""
    sku = session.scalar(
        select(Sku)
        .join(Product, Sku.product_id == Product.id)
        .where(Sku.id == sku_id, Sku.status == ProductStatus.ACTIVE, browsable_by(dealer))
    )
    if sku is None:
        raise NotFound("No such SKU.")
    return sku


def visible_product_ids(
    session: TenantSession, dealer: Dealer, product_ids: list[int] | set[int]
) -> set[int]:
    """Those of ``product_ids`` the dealer may browse (one query)."""
    if not product_ids:
        return set()
    query = select(Product.id).where(Product.id.in_(list(product_ids)), browsable_by(dealer))
    return set(session.scalars(query))
