"""What a dealer sees of the catalog: one product at its own prices, and the category tree.

The portal page and the dealer API (:mod:`dinghuo.core.catalog.portal_api`)
show the same view, composed here from the services that own each part:
visibility (:mod:`dinghuo.core.catalog.visibility`), prices
(:func:`dinghuo.core.pricing.service.resolve_prices`) and stock
(:func:`dinghuo.core.inventory.service.available_by_sku`). A product the
dealer may not see is a :class:`NotFound`, exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import selectinload

from dinghuo.core.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductRelation,
    ProductStatus,
    RelationKind,
    Sku,
    SpecAttribute,
)
from dinghuo.core.catalog.visibility import browsable_by, product_for_dealer
from dinghuo.core.crm.models import Dealer
from dinghuo.core.crm.service import get_dealer
from dinghuo.core.inventory.service import available_by_sku
from dinghuo.core.pricing.service import ResolvedPrice, resolve_prices
from dinghuo.db import TenantSession
from dinghuo.errors import NotFound, PermissionDenied
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal

MAX_RELATED = 12


@dataclass(frozen=True)
class SkuOffer:
    """One orderable variant as the dealer sees it: its price at the MOQ and what is available."""

    sku: Sku
    price: ResolvedPrice | None
    available: int

    @property
    def in_stock(self) -> bool:
        return self.available > 0


@dataclass(frozen=True)
class SpecRow:
    attribute: SpecAttribute
    value: str


@dataclass(frozen=True)
class RelatedProduct:
    """An accessory or replacement, with its main image and the lowest price of its SKUs."""

    product: Product
    kind: RelationKind
    image: ProductImage | None
    from_price: ResolvedPrice | None
    in_stock: bool


@dataclass(frozen=True)
class DealerProductView:
    product: Product
    offers: list[SkuOffer]
    specs: list[SpecRow]
    images: list[ProductImage]
    related: list[RelatedProduct]

    @property
    def main_image(self) -> ProductImage | None:
        return self.images[0] if self.images else None

    @property
    def lowest_price(self) -> ResolvedPrice | None:
        return _lowest(offer.price for offer in self.offers)


@dataclass
class CategoryNode:
    """A category with the number of products the dealer may see in it and below it."""

    category: Category
    product_count: int = 0
    children: list[CategoryNode] = field(default_factory=list)


def browsing_dealer(
    session: TenantSession, actor: Principal, dealer_id: int | None = None
) -> Dealer | None:
    """Whose eyes the catalog is seen through: its visibility rules and its prices.

    A dealer's user always browses as its own dealer (``catalog:browse``).
    Staff (``catalog:read``) see every active product at base prices, or, given
    ``dealer_id``, exactly what that dealer sees (to answer a dealer's call).
    """
    if actor.dealer_id is not None and actor.can(Permission.CATALOG_BROWSE):
        return get_dealer(session, dealer_id or actor.dealer_id, actor)
    if actor.is_staff and actor.can(Permission.CATALOG_READ):
        return get_dealer(session, dealer_id, actor) if dealer_id else None
    raise PermissionDenied("This needs the permission: catalog:browse.")


def dealer_product(
    session: TenantSession, actor: Principal, product_id: int, *, dealer_id: int | None = None
) -> DealerProductView:
    """One product as the dealer sees it; hidden, inactive or missing: NotFound."""
    dealer = browsing_dealer(session, actor, dealer_id)
    product = _product(session, dealer, product_id)
    offers_skus = _active_skus(product)
    related = _related(session, dealer, product.id)
    every_sku = [*offers_skus, *(sku for rel, _kind in related for sku in _active_skus(rel))]
    prices = _prices(session, dealer, every_sku)
    stock = available_by_sku(session, [sku.id for sku in every_sku])
    offers = [SkuOffer(sku, prices.get(sku.id), stock.get(sku.id, 0)) for sku in offers_skus]
    specs = sorted(
        (SpecRow(spec.attribute, spec.value) for spec in product.specs if spec.value),
        key=lambda row: (row.attribute.position, row.attribute.id),
    )
    return DealerProductView(
        product=product,
        offers=offers,
        specs=specs,
        images=list(product.images),
        related=[
            RelatedProduct(
                product=rel,
                kind=kind,
                image=rel.images[0] if rel.images else None,
                from_price=_lowest(prices.get(sku.id) for sku in _active_skus(rel)),
                in_stock=any(stock.get(sku.id, 0) > 0 for sku in _active_skus(rel)),
            )
            for rel, kind in related
        ],
    )


def dealer_image(session: TenantSession, actor: Principal, image_id: int) -> ProductImage:
    """A product image, only if the dealer may see its product (else NotFound)."""
    dealer = browsing_dealer(session, actor)
    image = session.scalar(select(ProductImage).where(ProductImage.id == image_id))
    if image is None:
        raise NotFound("Not found.")
    _product(session, dealer, image.product_id)
    return image


def category_tree(
    session: TenantSession, actor: Principal, *, dealer_id: int | None = None
) -> list[CategoryNode]:
    """The whole category tree in sibling order, with counts of products the dealer may see.

    A product counts in its own category and every ancestor, so a parent's
    count is what browsing it would show.
    """
    dealer = browsing_dealer(session, actor, dealer_id)
    categories = session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    direct = dict(
        session.execute(
            select(Product.category_id, func.count(Product.id))
            .where(Product.category_id.is_not(None), _browsable(dealer))
            .group_by(Product.category_id)
        ).all()
    )
    nodes = {category.id: CategoryNode(category) for category in categories}
    roots: list[CategoryNode] = []
    for category in categories:
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent.children if parent else roots).append(nodes[category.id])
    for category in categories:
        count = direct.get(category.id, 0)
        seen: set[int] = set()
        current: Category | None = category
        while current is not None and current.id not in seen and count:
            seen.add(current.id)
            nodes[current.id].product_count += count
            current = nodes[current.parent_id].category if current.parent_id in nodes else None
    return roots


def _browsable(dealer: Dealer | None) -> ColumnElement[bool]:
    """Products the viewer may see: the dealer's browsable ones, or every active one for staff."""
    return browsable_by(dealer) if dealer is not None else Product.status == ProductStatus.ACTIVE


def _product(session: TenantSession, dealer: Dealer | None, product_id: int) -> Product:
    if dealer is not None:
        return product_for_dealer(session, dealer, product_id)
    product = session.scalar(select(Product).where(Product.id == product_id, _browsable(None)))
    if product is None:
        raise NotFound("No such product.")
    return product


def _prices(
    session: TenantSession, dealer: Dealer | None, skus: Iterable[Sku]
) -> dict[int, ResolvedPrice]:
    """Each SKU's price at its MOQ: the dealer's resolved price, or the base price for staff."""
    skus = list(skus)
    if dealer is not None:
        return resolve_prices(session, dealer, {sku.id: sku.moq for sku in skus})
    return {
        sku.id: ResolvedPrice(
            sku_id=sku.id,
            quantity=sku.moq,
            unit_price=sku.base_price,
            base_price=sku.base_price,
            msrp=sku.msrp,
            source="base",
            price_list_id=None,
            price_list_code=None,
            breaks=(),
        )
        for sku in skus
    }


def _related(
    session: TenantSession, dealer: Dealer | None, product_id: int
) -> Sequence[tuple[Product, RelationKind]]:
    """Active related products the dealer may see, accessories first."""
    rows = session.execute(
        select(Product, ProductRelation.kind)
        .join(ProductRelation, ProductRelation.related_id == Product.id)
        .where(ProductRelation.product_id == product_id, _browsable(dealer))
        .options(selectinload(Product.skus), selectinload(Product.images))
        .order_by(ProductRelation.kind, Product.id)
        .limit(MAX_RELATED)
    ).all()
    return [(product, kind) for product, kind in rows]


def _active_skus(product: Product) -> list[Sku]:
    return [sku for sku in product.skus if sku.status == ProductStatus.ACTIVE]


def _lowest(prices: Iterable[ResolvedPrice | None]) -> ResolvedPrice | None:
    known = [price for price in prices if price is not None]
    return min(known, key=lambda price: price.unit_price) if known else None
