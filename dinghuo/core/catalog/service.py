"""The catalog's rules: categories, brands, tags, spec templates, products and SKUs.

Plain functions over a tenant-bound session; the API, the console and
imports call the same ones. Staff read with ``catalog:read`` and change with
``catalog:manage``; dealer users (``catalog:browse``) see only active products
their visibility rules let them see (:mod:`dinghuo.core.catalog.visibility`),
and a hidden product is a NotFound exactly like a missing one. ``actor=None``
is the system itself (seeding, imports, jobs that have already authorised).

Bad input raises :class:`ValidationFailed` naming the field before anything
is written; a duplicate code is a :class:`Conflict` naming ``code``. Every
change writes an audit entry; changes to a product emit ``product.created`` /
``product.updated`` through the outbox (ERP plugins listen) and re-index the
product for search in the same transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.orm import selectinload

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.catalog import rules
from dinghuo.core.catalog.models import (
    Brand,
    Category,
    DealerSkuCode,
    Product,
    ProductRelation,
    ProductSpec,
    ProductStatus,
    ProductTag,
    ProductVisibility,
    RelationKind,
    Sku,
    SpecAttribute,
    SpecKind,
    Tag,
    VisibilityScope,
)
from dinghuo.core.catalog.search import index_products
from dinghuo.core.catalog.visibility import browsable_by, product_for_dealer, sku_for_dealer
from dinghuo.core.checks import load, reject_unknown, require
from dinghuo.core.crm.models import Dealer, DealerGroup
from dinghuo.core.crm.service import get_dealer
from dinghuo.db import TenantSession
from dinghuo.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit

MAX_MATRIX_SKUS = 200
MAX_RELATIONS = 50
MAX_VISIBILITY_RULES = 100
MAX_TAGS_PER_PRODUCT = 30

PRODUCT_FIELDS = frozenset(
    {
        "code",
        "name_zh",
        "name_en",
        "model_number",
        "description",
        "brand_id",
        "category_id",
        "status",
        "variant_axes",
        "tag_ids",
    }
)
SKU_FIELDS = frozenset(
    {
        "code",
        "barcode",
        "variant",
        "status",
        "moq",
        "order_multiple",
        "weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "msrp",
        "base_price",
    }
)
MEASURE_FIELDS = ("weight_g", "length_mm", "width_mm", "height_mm")
CATEGORY_FIELDS = frozenset({"code", "name_zh", "name_en"})
ATTRIBUTE_FIELDS = frozenset(
    {"code", "name_zh", "name_en", "kind", "unit", "choices", "filterable", "position"}
)

PRODUCT_SORTS = {
    "code": Product.code,
    "name_zh": Product.name_zh,
    "created_at": Product.created_at,
    "updated_at": Product.updated_at,
}
CATEGORY_SORTS = {"position": Category.position, "code": Category.code, "name_zh": Category.name_zh}
BRAND_SORTS = {"code": Brand.code, "name": Brand.name}
TAG_SORTS = {"name": Tag.name}
CODE_SORTS = {"code": DealerSkuCode.code, "id": DealerSkuCode.id}


# --- shared helpers ------------------------------------------------------------------------


def _duplicate(field: str, message: str) -> Conflict:
    return Conflict(message, fields={field: [message]})


def _viewer_dealer(session: TenantSession, actor: Principal | None) -> Dealer | None:
    """The dealer whose view of the catalog ``actor`` gets; ``None`` for staff and the system."""
    if actor is None or actor.can(Permission.CATALOG_READ):
        return None
    if not actor.can(Permission.CATALOG_BROWSE) or actor.dealer_id is None:
        raise PermissionDenied(f"This needs the permission: {Permission.CATALOG_READ.value}.")
    return get_dealer(session, actor.dealer_id)


def reindex(session: TenantSession, product_ids: Iterable[int]) -> None:
    """Rebuild the search documents of these products (flushes first so it sees the change)."""
    ids = sorted(set(product_ids))
    if ids:
        session.flush()
        index_products(session, ids)


def product_changed(
    session: TenantSession, actor: Principal | None, product: Product, changed: Iterable[str]
) -> None:
    """Record, announce and re-index a change to ``product`` (or to its SKUs, specs, ...)."""
    fields = sorted(set(changed))
    session.flush()
    record(session, actor, "product.update", "product", product.id, {"fields": fields})
    emit(
        session,
        "product.updated",
        "product",
        product.id,
        {"code": product.code, "status": product.status, "fields": fields},
    )
    reindex(session, [product.id])


# --- categories ----------------------------------------------------------------------------


def get_category(session: TenantSession, actor: Principal | None, category_id: int) -> Category:
    """One category of the tenant (anyone who may see the catalog), or NotFound."""
    if actor is not None and not (
        actor.can(Permission.CATALOG_READ) or actor.can(Permission.CATALOG_BROWSE)
    ):
        raise PermissionDenied(f"This needs the permission: {Permission.CATALOG_READ.value}.")
    category = load(session, Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    return category


def list_categories(
    session: TenantSession,
    actor: Principal | None,
    *,
    parent_id: int | None = None,
    roots: bool = False,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of categories; ``parent_id`` lists its children, ``roots`` the top level."""
    require(actor, Permission.CATALOG_READ)
    query = select(Category)
    if parent_id is not None:
        query = query.where(Category.parent_id == parent_id)
    elif roots:
        query = query.where(Category.parent_id.is_(None))
    return paginate(
        session,
        query,
        id_column=Category.id,
        sortable=CATEGORY_SORTS,
        default_sort="position",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


@dataclass
class CategoryNode:
    """A category with its children, in sibling order (the console's tree)."""

    category: Category
    children: list[CategoryNode]
    depth: int


def category_tree(session: TenantSession, actor: Principal | None) -> list[CategoryNode]:
    """The whole tree, roots first, each level in position order (one query)."""
    if actor is not None and not (
        actor.can(Permission.CATALOG_READ) or actor.can(Permission.CATALOG_BROWSE)
    ):
        raise PermissionDenied(f"This needs the permission: {Permission.CATALOG_READ.value}.")
    rows = list(session.scalars(select(Category).order_by(Category.position, Category.id)))
    children: dict[int | None, list[Category]] = {}
    for category in rows:
        children.setdefault(category.parent_id, []).append(category)

    def build(parent_id: int | None, depth: int) -> list[CategoryNode]:
        return [CategoryNode(c, build(c.id, depth + 1), depth) for c in children.get(parent_id, [])]

    return build(None, 0)


def _parents(session: TenantSession) -> dict[int, int | None]:
    return {
        row.id: row.parent_id for row in session.execute(select(Category.id, Category.parent_id))
    }


def ancestor_ids(session: TenantSession, category_id: int) -> list[int]:
    """The category and its ancestors, root first."""
    parents = _parents(session)
    chain: list[int] = []
    current: int | None = category_id
    while current is not None and current in parents and current not in chain:
        chain.append(current)
        current = parents[current]
    return list(reversed(chain))


def descendant_ids(session: TenantSession, category_id: int) -> list[int]:
    """The category and everything under it."""
    children: dict[int | None, list[int]] = {}
    for child, parent in _parents(session).items():
        children.setdefault(parent, []).append(child)
    found, frontier = [category_id], [category_id]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        found.extend(frontier)
    return found


def _sibling_query(parent_id: int | None) -> Select[Any]:
    query = select(Category).order_by(Category.position, Category.id)
    if parent_id is None:
        return query.where(Category.parent_id.is_(None))
    return query.where(Category.parent_id == parent_id)


def _renumber(categories: Sequence[Category]) -> None:
    for position, category in enumerate(categories):
        if category.position != position:
            category.position = position


def _category_values(
    session: TenantSession, changes: Mapping[str, Any], own_id: int | None
) -> dict[str, Any]:
    reject_unknown(changes, CATEGORY_FIELDS)
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "code":
            values[field] = rules.validate_category_code(value)
            existing = session.scalar(select(Category.id).where(Category.code == values[field]))
            if existing is not None and existing != own_id:
                raise _duplicate("code", "A category with this code already exists.")
        elif field == "name_zh":
            values[field] = rules.name(field, value, 100)
        else:
            values[field] = rules.name(field, value, 100, required=False)
    return values


def _parent(session: TenantSession, parent_id: Any) -> Category | None:
    if parent_id is None:
        return None
    parent = load(session, Category, parent_id)
    if parent is None:
        raise ValidationFailed.field("parent_id", "No such category.")
    return parent


def _products_in(session: TenantSession, category_ids: Iterable[int]) -> list[int]:
    ids = list(category_ids)
    if not ids:
        return []
    return list(session.scalars(select(Product.id).where(Product.category_id.in_(ids))))


def create_category(
    session: TenantSession,
    actor: Principal | None,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    parent_id: int | None = None,
) -> Category:
    """Add a category under ``parent_id`` (or at the top), after its last sibling."""
    require(actor, Permission.CATALOG_MANAGE)
    values = _category_values(
        session, {"code": code, "name_zh": name_zh, "name_en": name_en}, own_id=None
    )
    parent = _parent(session, parent_id)
    siblings = list(session.scalars(_sibling_query(parent.id if parent else None)))
    category = Category(parent_id=parent.id if parent else None, position=len(siblings), **values)
    session.add(category)
    session.flush()
    record(
        session,
        actor,
        "category.create",
        "category",
        category.id,
        {"code": category.code, "parent_id": category.parent_id},
    )
    return category


def update_category(
    session: TenantSession, actor: Principal | None, category_id: int, **changes: Any
) -> Category:
    """Rename a category or change its code (products in it are re-indexed)."""
    require(actor, Permission.CATALOG_MANAGE)
    category = get_category(session, actor, category_id)
    values = _category_values(session, changes, own_id=category.id)
    changed = {f: v for f, v in values.items() if getattr(category, f) != v}
    for field, value in changed.items():
        setattr(category, field, value)
    if changed:
        record(session, actor, "category.update", "category", category.id, changed)
        reindex(session, _products_in(session, descendant_ids(session, category.id)))
    return category


def move_category(
    session: TenantSession,
    actor: Principal | None,
    category_id: int,
    *,
    parent_id: int | None,
    position: int | None = None,
) -> Category:
    """Put a category under ``parent_id`` (``None``: the top) at ``position`` among its siblings.

    A category cannot move under itself or one of its descendants (422 on
    ``parent_id``). Without ``position`` it goes last. Moving within the same
    parent reorders the siblings. Spec values its products no longer have an
    attribute for (the template changes with the ancestors) are dropped.
    """
    require(actor, Permission.CATALOG_MANAGE)
    category = get_category(session, actor, category_id)
    parent = _parent(session, parent_id)
    if parent is not None and category.id in ancestor_ids(session, parent.id):
        raise ValidationFailed.field(
            "parent_id", "A category cannot move under itself or one of its descendants."
        )
    if position is not None:
        position = rules.integer("position", position, minimum=0, maximum=100_000)
    old_parent_id = category.parent_id
    new_parent_id = parent.id if parent else None
    siblings = [c for c in session.scalars(_sibling_query(new_parent_id)) if c.id != category.id]
    index = len(siblings) if position is None else min(position, len(siblings))
    siblings.insert(index, category)
    category.parent_id = new_parent_id
    _renumber(siblings)
    if old_parent_id != new_parent_id:
        session.flush()
        _renumber(list(session.scalars(_sibling_query(old_parent_id))))
        product_ids = _products_in(session, descendant_ids(session, category.id))
        _prune_specs(session, product_ids)
        reindex(session, product_ids)
    session.flush()
    record(
        session,
        actor,
        "category.move",
        "category",
        category.id,
        {"from_parent_id": old_parent_id, "parent_id": new_parent_id, "position": index},
    )
    return category


def reorder_categories(
    session: TenantSession,
    actor: Principal | None,
    parent_id: int | None,
    category_ids: Sequence[int],
) -> list[Category]:
    """Give the children of ``parent_id`` the order of ``category_ids`` (all of them, once)."""
    require(actor, Permission.CATALOG_MANAGE)
    parent = _parent(session, parent_id)
    siblings = {c.id: c for c in session.scalars(_sibling_query(parent.id if parent else None))}
    if sorted(category_ids) != sorted(siblings) or len(set(category_ids)) != len(category_ids):
        raise ValidationFailed.field(
            "category_ids", "List every child of this parent exactly once."
        )
    ordered = [siblings[i] for i in category_ids]
    _renumber(ordered)
    record(
        session,
        actor,
        "category.reorder",
        "category",
        parent.id if parent else None,
        {"order": list(category_ids)},
    )
    return ordered


def delete_category(session: TenantSession, actor: Principal | None, category_id: int) -> None:
    """Delete an empty category; one with children or products is refused (409)."""
    require(actor, Permission.CATALOG_MANAGE)
    category = get_category(session, actor, category_id)
    if session.scalar(select(Category.id).where(Category.parent_id == category.id).limit(1)):
        raise Conflict("This category has subcategories; move or delete them first.")
    if session.scalar(select(Product.id).where(Product.category_id == category.id).limit(1)):
        raise Conflict("This category has products; move them to another category first.")
    parent_id = category.parent_id
    session.delete(category)
    session.flush()
    _renumber(list(session.scalars(_sibling_query(parent_id))))
    record(session, actor, "category.delete", "category", category_id, {"code": category.code})


# --- spec attribute templates --------------------------------------------------------------


def template_for(session: TenantSession, category_id: int | None) -> list[SpecAttribute]:
    """A product's spec template: the attributes of its category and its ancestors.

    Root attributes come first, each category's in position order; where a
    descendant redefines an ancestor's code, the descendant's wins.
    """
    if category_id is None:
        return []
    chain = ancestor_ids(session, category_id)
    if not chain:
        return []
    depth = {cid: i for i, cid in enumerate(chain)}
    attributes = sorted(
        session.scalars(select(SpecAttribute).where(SpecAttribute.category_id.in_(chain))),
        key=lambda a: (depth[a.category_id], a.position, a.id),
    )
    deepest = {a.code: a for a in attributes}
    return [a for a in attributes if deepest[a.code] is a]


def list_attributes(
    session: TenantSession, actor: Principal | None, category_id: int, *, inherited: bool = False
) -> list[SpecAttribute]:
    """A category's own attributes, or (``inherited``) its full template."""
    require(actor, Permission.CATALOG_READ)
    category = get_category(session, actor, category_id)
    if inherited:
        return template_for(session, category.id)
    return list(category.spec_attributes)


def get_attribute(
    session: TenantSession, actor: Principal | None, category_id: int, attribute_id: int
) -> SpecAttribute:
    require(actor, Permission.CATALOG_READ)
    category = get_category(session, actor, category_id)
    attribute = load(session, SpecAttribute, attribute_id)
    if attribute is None or attribute.category_id != category.id:
        raise NotFound("No such attribute.")
    return attribute


def _attribute_values(
    session: TenantSession,
    category: Category,
    changes: Mapping[str, Any],
    own: SpecAttribute | None,
) -> dict[str, Any]:
    reject_unknown(changes, ATTRIBUTE_FIELDS)
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "code":
            values[field] = rules.validate_attribute_code(value)
        elif field == "name_zh":
            values[field] = rules.name(field, value, 100)
        elif field == "name_en":
            values[field] = rules.name(field, value, 100, required=False)
        elif field == "unit":
            values[field] = rules.name(field, value, 20, required=False)
        elif field == "kind":
            try:
                values[field] = SpecKind(value)
            except ValueError as exc:
                allowed = ", ".join(k.value for k in SpecKind)
                raise ValidationFailed.field("kind", f"Use one of: {allowed}.") from exc
        elif field == "choices":
            values[field] = rules.validate_choices(value)
        elif field == "filterable":
            if not isinstance(value, bool):
                raise ValidationFailed.field(field, "Must be true or false.")
            values[field] = value
        elif field == "position":
            values[field] = rules.integer(field, value, minimum=0, maximum=10_000)
    kind = values.get("kind", own.kind if own else SpecKind.TEXT)
    choices = values.get("choices", own.choices if own else [])
    if kind == SpecKind.CHOICE and not choices:
        raise ValidationFailed.field("choices", "A choice attribute needs its choices.")
    if kind != SpecKind.CHOICE and "choices" in values and values["choices"]:
        raise ValidationFailed.field("choices", "Only a choice attribute has choices.")
    if kind != SpecKind.CHOICE:
        values["choices"] = []
    if "code" in values and (own is None or own.code != values["code"]):
        related = set(ancestor_ids(session, category.id)) | set(
            descendant_ids(session, category.id)
        )
        clash = session.scalar(
            select(SpecAttribute.id).where(
                SpecAttribute.category_id.in_(related), SpecAttribute.code == values["code"]
            )
        )
        if clash is not None:
            raise _duplicate(
                "code", "This category or one above or below it already has this attribute."
            )
    return values


def _products_with_values(session: TenantSession, attribute_id: int) -> list[int]:
    query = select(ProductSpec.product_id).where(ProductSpec.attribute_id == attribute_id)
    return list(session.scalars(query))


def create_attribute(
    session: TenantSession, actor: Principal | None, category_id: int, **fields: Any
) -> SpecAttribute:
    """Add a line to a category's spec template (last unless ``position`` is given)."""
    require(actor, Permission.CATALOG_MANAGE)
    category = get_category(session, actor, category_id)
    for required in ("code", "name_zh"):
        if required not in fields:
            raise ValidationFailed.field(required, "Required.")
    values = _attribute_values(session, category, fields, own=None)
    values.setdefault("position", len(category.spec_attributes))
    attribute = SpecAttribute(category_id=category.id, **values)
    session.add(attribute)
    session.flush()
    record(
        session,
        actor,
        "spec_attribute.create",
        "spec_attribute",
        attribute.id,
        {"category_id": category.id, "code": attribute.code, "kind": attribute.kind},
    )
    return attribute


def update_attribute(
    session: TenantSession,
    actor: Principal | None,
    category_id: int,
    attribute_id: int,
    **changes: Any,
) -> SpecAttribute:
    """Change an attribute; a new kind or choice list must still accept every product's value."""
    require(actor, Permission.CATALOG_MANAGE)
    attribute = get_attribute(session, actor, category_id, attribute_id)
    values = _attribute_values(session, attribute.category, changes, own=attribute)
    changed = {f: v for f, v in values.items() if getattr(attribute, f) != v}
    if not changed:
        return attribute
    proposed = SpecAttribute(
        code=values.get("code", attribute.code),
        kind=values.get("kind", attribute.kind),
        choices=values.get("choices", attribute.choices),
    )
    specs = list(
        session.scalars(select(ProductSpec).where(ProductSpec.attribute_id == attribute.id))
    )
    for spec in specs:
        try:
            rules.validate_spec_value(proposed, spec.value)
        except ValidationFailed as exc:
            field = "choices" if "choices" in changed else next(iter(changed))
            raise Conflict(
                f"Product {spec.product.code} has the value {spec.value!r}, which the changed "
                "attribute would not accept; change that value first.",
                fields={field: [exc.message]},
            ) from exc
    for field, value in changed.items():
        setattr(attribute, field, value)
    session.flush()
    record(session, actor, "spec_attribute.update", "spec_attribute", attribute.id, changed)
    reindex(session, [s.product_id for s in specs])
    return attribute


def delete_attribute(
    session: TenantSession, actor: Principal | None, category_id: int, attribute_id: int
) -> None:
    """Remove an attribute and every product's value for it."""
    require(actor, Permission.CATALOG_MANAGE)
    attribute = get_attribute(session, actor, category_id, attribute_id)
    product_ids = _products_with_values(session, attribute.id)
    session.execute(delete(ProductSpec).where(ProductSpec.attribute_id == attribute.id))
    attribute.category.spec_attributes.remove(attribute)
    session.flush()
    record(
        session,
        actor,
        "spec_attribute.delete",
        "spec_attribute",
        attribute_id,
        {"category_id": category_id, "code": attribute.code},
    )
    session.expire_all()
    reindex(session, product_ids)


# --- brands and tags -----------------------------------------------------------------------


def get_brand(session: TenantSession, actor: Principal | None, brand_id: int) -> Brand:
    require(actor, Permission.CATALOG_READ)
    brand = load(session, Brand, brand_id)
    if brand is None:
        raise NotFound("No such brand.")
    return brand


def list_brands(
    session: TenantSession,
    actor: Principal | None,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    require(actor, Permission.CATALOG_READ)
    return paginate(
        session,
        select(Brand),
        id_column=Brand.id,
        sortable=BRAND_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def _brand_values(
    session: TenantSession, changes: Mapping[str, Any], own_id: int | None
) -> dict[str, Any]:
    reject_unknown(changes, frozenset({"code", "name"}))
    values: dict[str, Any] = {}
    if "code" in changes:
        values["code"] = rules.validate_brand_code(changes["code"])
        existing = session.scalar(select(Brand.id).where(Brand.code == values["code"]))
        if existing is not None and existing != own_id:
            raise _duplicate("code", "A brand with this code already exists.")
    if "name" in changes:
        values["name"] = rules.name("name", changes["name"], 100)
    return values


def create_brand(session: TenantSession, actor: Principal | None, *, code: str, name: str) -> Brand:
    require(actor, Permission.CATALOG_MANAGE)
    brand = Brand(**_brand_values(session, {"code": code, "name": name}, own_id=None))
    session.add(brand)
    session.flush()
    record(session, actor, "brand.create", "brand", brand.id, {"code": brand.code})
    return brand


def update_brand(
    session: TenantSession, actor: Principal | None, brand_id: int, **changes: Any
) -> Brand:
    """Rename a brand or change its code; its products are re-indexed."""
    require(actor, Permission.CATALOG_MANAGE)
    brand = get_brand(session, actor, brand_id)
    values = _brand_values(session, changes, own_id=brand.id)
    changed = {f: v for f, v in values.items() if getattr(brand, f) != v}
    for field, value in changed.items():
        setattr(brand, field, value)
    if changed:
        record(session, actor, "brand.update", "brand", brand.id, changed)
        reindex(session, session.scalars(select(Product.id).where(Product.brand_id == brand.id)))
    return brand


def delete_brand(session: TenantSession, actor: Principal | None, brand_id: int) -> None:
    """Delete a brand no product uses (409 otherwise)."""
    require(actor, Permission.CATALOG_MANAGE)
    brand = get_brand(session, actor, brand_id)
    if session.scalar(select(Product.id).where(Product.brand_id == brand.id).limit(1)):
        raise Conflict("Products of this brand exist; change their brand first.")
    session.delete(brand)
    record(session, actor, "brand.delete", "brand", brand_id, {"code": brand.code})


def get_tag(session: TenantSession, actor: Principal | None, tag_id: int) -> Tag:
    require(actor, Permission.CATALOG_READ)
    tag = load(session, Tag, tag_id)
    if tag is None:
        raise NotFound("No such tag.")
    return tag


def list_tags(
    session: TenantSession,
    actor: Principal | None,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    require(actor, Permission.CATALOG_READ)
    return paginate(
        session,
        select(Tag),
        id_column=Tag.id,
        sortable=TAG_SORTS,
        default_sort="name",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def _tag_name(session: TenantSession, value: Any, own_id: int | None) -> str:
    tag_name = rules.name("name", value, 50)
    existing = session.scalar(select(Tag.id).where(Tag.name == tag_name))
    if existing is not None and existing != own_id:
        raise _duplicate("name", "A tag with this name already exists.")
    return tag_name


def create_tag(session: TenantSession, actor: Principal | None, *, name: str) -> Tag:
    require(actor, Permission.CATALOG_MANAGE)
    tag = Tag(name=_tag_name(session, name, None))
    session.add(tag)
    session.flush()
    record(session, actor, "tag.create", "tag", tag.id, {"name": tag.name})
    return tag


def _tagged(session: TenantSession, tag_id: int) -> list[int]:
    return list(session.scalars(select(ProductTag.product_id).where(ProductTag.tag_id == tag_id)))


def update_tag(session: TenantSession, actor: Principal | None, tag_id: int, *, name: str) -> Tag:
    """Rename a tag; products carrying it are re-indexed."""
    require(actor, Permission.CATALOG_MANAGE)
    tag = get_tag(session, actor, tag_id)
    new_name = _tag_name(session, name, tag.id)
    if new_name != tag.name:
        record(session, actor, "tag.update", "tag", tag.id, {"name": new_name, "was": tag.name})
        tag.name = new_name
        reindex(session, _tagged(session, tag.id))
    return tag


def delete_tag(session: TenantSession, actor: Principal | None, tag_id: int) -> None:
    """Delete a tag; it is taken off every product."""
    require(actor, Permission.CATALOG_MANAGE)
    tag = get_tag(session, actor, tag_id)
    product_ids = _tagged(session, tag.id)
    session.execute(delete(ProductTag).where(ProductTag.tag_id == tag.id))
    session.delete(tag)
    session.flush()
    session.expire_all()
    record(session, actor, "tag.delete", "tag", tag_id, {"name": tag.name})
    reindex(session, product_ids)


# --- products ------------------------------------------------------------------------------


def product_query(
    *,
    q: str | None = None,
    category_id: int | None = None,
    category_ids: Sequence[int] | None = None,
    brand_id: int | None = None,
    status: ProductStatus | None = None,
    tag_id: int | None = None,
) -> Select[Any]:
    """Products matching every given filter (``q``: code, names or model number contain it)."""
    query = select(Product).options(selectinload(Product.skus))
    if category_ids is not None:
        query = query.where(Product.category_id.in_(list(category_ids)))
    elif category_id is not None:
        query = query.where(Product.category_id == category_id)
    if brand_id is not None:
        query = query.where(Product.brand_id == brand_id)
    if status is not None:
        query = query.where(Product.status == status)
    if tag_id is not None:
        tagged = select(ProductTag.product_id).where(ProductTag.tag_id == tag_id)
        query = query.where(Product.id.in_(tagged))
    if q and q.strip():
        term = q.strip()
        sku_match = select(Sku.product_id).where(
            or_(Sku.code.icontains(term, autoescape=True), Sku.barcode == term)
        )
        query = query.where(
            or_(
                Product.code.icontains(term, autoescape=True),
                Product.name_zh.icontains(term, autoescape=True),
                Product.name_en.icontains(term, autoescape=True),
                Product.model_number.icontains(term, autoescape=True),
                Product.id.in_(sku_match),
            )
        )
    return query


def list_products(
    session: TenantSession,
    actor: Principal | None,
    *,
    q: str | None = None,
    category_id: int | None = None,
    include_subcategories: bool = True,
    brand_id: int | None = None,
    status: ProductStatus | None = None,
    tag_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of products: all of them for staff; for a dealer, those it may browse."""
    dealer = _viewer_dealer(session, actor)
    category_ids = None
    if category_id is not None and include_subcategories:
        category_ids = descendant_ids(session, category_id)
    query = product_query(
        q=q,
        category_id=category_id,
        category_ids=category_ids,
        brand_id=brand_id,
        status=status,
        tag_id=tag_id,
    )
    if dealer is not None:
        query = query.where(browsable_by(dealer))
    return paginate(
        session,
        query,
        id_column=Product.id,
        sortable=PRODUCT_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def get_product(session: TenantSession, actor: Principal | None, product_id: int) -> Product:
    """A product as ``actor`` may see it: any for staff, browsable ones for a dealer."""
    dealer = _viewer_dealer(session, actor)
    if isinstance(product_id, bool) or not isinstance(product_id, int):
        raise NotFound("No such product.")
    if dealer is not None:
        return product_for_dealer(session, dealer, product_id)
    product = load(session, Product, product_id)
    if product is None:
        raise NotFound("No such product.")
    return product


def managed_product(session: TenantSession, actor: Principal | None, product_id: int) -> Product:
    """The product, for a change: ``catalog:manage`` first, then the same NotFound as reads."""
    require(actor, Permission.CATALOG_MANAGE)
    return get_product(session, actor, product_id)


def _unique_product_code(session: TenantSession, code: str, own_id: int | None) -> None:
    existing = session.scalar(select(Product.id).where(Product.code == code))
    if existing is not None and existing != own_id:
        raise _duplicate("code", "A product with this code already exists.")


def _tags(session: TenantSession, value: Any) -> list[Tag]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise ValidationFailed.field("tag_ids", "Must be a list of tag ids.")
    ids = list(dict.fromkeys(value))
    if len(ids) > MAX_TAGS_PER_PRODUCT:
        raise ValidationFailed.field("tag_ids", f"At most {MAX_TAGS_PER_PRODUCT} tags.")
    tags = list(session.scalars(select(Tag).where(Tag.id.in_(ids)))) if ids else []
    found = {t.id for t in tags}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed.field("tag_ids", f"No such tag: {missing[0]}.")
    return sorted(tags, key=lambda t: t.id)


def _product_values(
    session: TenantSession, changes: Mapping[str, Any], own_id: int | None
) -> dict[str, Any]:
    """Validate and normalise product fields; nothing is written until all pass."""
    reject_unknown(changes, PRODUCT_FIELDS)
    values: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "code":
            values[field] = rules.validate_product_code(value)
            _unique_product_code(session, values[field], own_id)
        elif field == "name_zh":
            values[field] = rules.name(field, value, 200)
        elif field == "name_en":
            values[field] = rules.name(field, value, 200, required=False)
        elif field == "model_number":
            values[field] = rules.name(field, value, 100, required=False)
        elif field == "description":
            values[field] = rules.text(field, value, 20_000)
        elif field == "brand_id":
            if value is not None and load(session, Brand, value) is None:
                raise ValidationFailed.field(field, "No such brand.")
            values[field] = value
        elif field == "category_id":
            if value is not None and load(session, Category, value) is None:
                raise ValidationFailed.field(field, "No such category.")
            values[field] = value
        elif field == "status":
            values[field] = rules.validate_status(value)
        elif field == "variant_axes":
            values[field] = rules.validate_variant_axes(value)
        elif field == "tag_ids":
            values[field] = _tags(session, value)
    return values


def _set_tags(product: Product, tags: Iterable[Tag]) -> bool:
    wanted = {t.id: t for t in tags}
    current = {link.tag_id for link in product.tag_links}
    if current == set(wanted):
        return False
    product.tag_links = [link for link in product.tag_links if link.tag_id in wanted]
    for tag_id, tag in wanted.items():
        if tag_id not in current:
            product.tag_links.append(ProductTag(tag_id=tag_id, tag=tag))
    return True


def _sku_values(
    changes: Mapping[str, Any], axes: Sequence[str], own: Sku | None, prefix: str = ""
) -> dict[str, Any]:
    """Validate one SKU's fields; ``prefix`` names it in a list ("skus[2].")."""
    unknown = [f for f in changes if f not in SKU_FIELDS]
    if unknown:
        raise ValidationFailed.field(prefix + unknown[0], "Unknown field.")
    values: dict[str, Any] = {}
    for field, value in changes.items():
        label = prefix + field
        if field == "code":
            values[field] = rules.validate_sku_code(value, label)
        elif field == "barcode":
            values[field] = rules.validate_barcode(value, label)
        elif field == "variant":
            values[field] = rules.validate_variant(axes, value, label)
        elif field == "status":
            values[field] = rules.validate_status(value, label)
        elif field == "moq":
            values[field] = rules.validate_moq(value, label)
        elif field == "order_multiple":
            values[field] = rules.validate_order_multiple(value, label)
        elif field in MEASURE_FIELDS:
            values[field] = rules.validate_measure(label, value)
        elif field in ("msrp", "base_price"):
            values[field] = rules.validate_money(label, value)
    if own is None and "variant" not in values:
        values["variant"] = rules.validate_variant(axes, {}, prefix + "variant")
    moq = values.get("moq", own.moq if own else 1)
    multiple = values.get("order_multiple", own.order_multiple if own else 1)
    try:
        rules.validate_moq_and_multiple(moq, multiple)
    except ValidationFailed as exc:
        raise ValidationFailed.field(prefix + "moq", exc.fields["moq"][0]) from exc
    return values


def _check_sku_uniqueness(
    session: TenantSession, product: Product | None, new: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """Codes and barcodes unique in the tenant (409), variants unique in the product (422).

    ``new`` pairs a field prefix with the validated values of SKUs being
    written (``own`` SKUs keep their id in ``values["id"]``).
    """
    codes: dict[str, str] = {}
    barcodes: dict[str, str] = {}
    for prefix, values in new:
        if "code" in values:
            if values["code"] in codes:
                raise _duplicate(prefix + "code", "Two SKUs have this code.")
            codes[values["code"]] = prefix
        if values.get("barcode"):
            if values["barcode"] in barcodes:
                raise _duplicate(prefix + "barcode", "Two SKUs have this barcode.")
            barcodes[values["barcode"]] = prefix
    own_ids = {values.get("id") for _, values in new}
    if codes:
        for sku_id, code in session.execute(
            select(Sku.id, Sku.code).where(Sku.code.in_(list(codes)))
        ):
            if sku_id not in own_ids:
                raise _duplicate(codes[code] + "code", "A SKU with this code already exists.")
    if barcodes:
        for sku_id, barcode in session.execute(
            select(Sku.id, Sku.barcode).where(Sku.barcode.in_(list(barcodes)))
        ):
            if sku_id not in own_ids:
                raise _duplicate(
                    barcodes[barcode] + "barcode", "A SKU with this barcode already exists."
                )
    variants: dict[tuple[Any, ...], int | None] = {}
    if product is not None:
        for sku in product.skus:
            variants[tuple(sorted(sku.variant.items()))] = sku.id
    for prefix, values in new:
        if "variant" not in values or not values["variant"]:
            continue
        key = tuple(sorted(values["variant"].items()))
        holder = variants.get(key, -1)
        if holder != -1 and holder != values.get("id"):
            raise ValidationFailed.field(prefix + "variant", "Another SKU has this variant.")
        variants[key] = values.get("id")


def expand_matrix(matrix: Any, product_code: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The axes and SKU field sets of a variant matrix (every combination of the axes' values).

    ``matrix`` is ``{"axes": [{"name": "颜色", "values": ["雅丹黑", "白沙银"],
    "codes": ["BLK", "SLV"]}, ...], "code_prefix": "MATE60P", "defaults":
    {"moq": 1, "base_price": "5999.00", ...}}``. Codes are the prefix (the
    product code by default) and each value's ASCII code joined by dashes,
    e.g. ``MATE60P-BLK-12-512G``; see :func:`rules.derive_value_codes`.
    """
    if not isinstance(matrix, Mapping):
        raise ValidationFailed.field("matrix", "Must be an object with axes.")
    for key in matrix:
        if key not in ("axes", "code_prefix", "defaults"):
            raise ValidationFailed.field(f"matrix.{key}", "Unknown field.")
    raw_axes = matrix.get("axes")
    if not isinstance(raw_axes, list | tuple) or not raw_axes:
        raise ValidationFailed.field("matrix.axes", "Give at least one axis with its values.")
    prefix = rules.validate_sku_code(
        matrix.get("code_prefix") or product_code, "matrix.code_prefix"
    )
    names: list[str] = []
    value_lists: list[list[tuple[str, str]]] = []
    for index, axis in enumerate(raw_axes):
        label = f"matrix.axes[{index}]"
        if not isinstance(axis, Mapping):
            raise ValidationFailed.field(label, "Must be an object with name and values.")
        names.append(rules.name(f"{label}.name", axis.get("name"), 40))
        raw_values = axis.get("values")
        if not isinstance(raw_values, list | tuple) or not raw_values:
            raise ValidationFailed.field(f"{label}.values", "Give at least one value.")
        if len(raw_values) > rules.MAX_AXIS_VALUES:
            raise ValidationFailed.field(f"{label}.values", f"At most {rules.MAX_AXIS_VALUES}.")
        values = [rules.name(f"{label}.values", v, 60) for v in raw_values]
        if len(set(values)) != len(values):
            raise ValidationFailed.field(f"{label}.values", "Values must be distinct.")
        codes = rules.derive_value_codes(label, values, axis.get("codes"))
        value_lists.append(list(zip(values, codes, strict=True)))
    axes = rules.validate_variant_axes(names, "matrix.axes")
    total = 1
    for values in value_lists:
        total *= len(values)
    if total > MAX_MATRIX_SKUS:
        raise ValidationFailed.field("matrix.axes", f"At most {MAX_MATRIX_SKUS} SKUs at once.")
    defaults = matrix.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise ValidationFailed.field("matrix.defaults", "Must be an object of SKU fields.")
    for field in ("code", "variant"):
        if field in defaults:
            raise ValidationFailed.field(f"matrix.defaults.{field}", "Derived from the axes.")
    skus = []
    for combination in itertools.product(*value_lists):
        skus.append(
            {
                **defaults,
                "code": "-".join([prefix, *(code for _, code in combination)]),
                "variant": dict(zip(axes, (value for value, _ in combination), strict=True)),
            }
        )
    return axes, skus


def create_product(
    session: TenantSession,
    actor: Principal | None,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    model_number: str = "",
    description: str = "",
    brand_id: int | None = None,
    category_id: int | None = None,
    status: ProductStatus | str = ProductStatus.DRAFT,
    variant_axes: list[str] | None = None,
    tag_ids: list[int] | None = None,
    skus: list[Mapping[str, Any]] | None = None,
    matrix: Mapping[str, Any] | None = None,
    specs: Mapping[str, Any] | None = None,
) -> Product:
    """Create a product (SPU) with its SKUs: listed in ``skus``, or generated from ``matrix``.

    Everything is validated first (product fields, each SKU as ``skus[i].field``,
    spec values by kind), then written at once; a duplicate product or SKU
    code is a 409 naming the field.
    """
    require(actor, Permission.CATALOG_MANAGE)
    if skus is not None and matrix is not None:
        raise ValidationFailed.field("matrix", "Give either skus or matrix, not both.")
    values = _product_values(
        session,
        {
            "code": code,
            "name_zh": name_zh,
            "name_en": name_en,
            "model_number": model_number,
            "description": description,
            "brand_id": brand_id,
            "category_id": category_id,
            "status": status,
            "variant_axes": variant_axes or [],
            "tag_ids": tag_ids or [],
        },
        own_id=None,
    )
    if matrix is not None:
        axes, skus = expand_matrix(matrix, values["code"])
        if variant_axes and values["variant_axes"] != axes:
            raise ValidationFailed.field("variant_axes", "Must match the matrix's axes.")
        values["variant_axes"] = axes
    sku_inputs = list(skus or [])
    if len(sku_inputs) > MAX_MATRIX_SKUS:
        raise ValidationFailed.field("skus", f"At most {MAX_MATRIX_SKUS} SKUs at once.")
    sku_values = []
    for index, sku in enumerate(sku_inputs):
        prefix = f"skus[{index}]."
        if not isinstance(sku, Mapping):
            raise ValidationFailed.field(f"skus[{index}]", "Must be an object of SKU fields.")
        if "code" not in sku:
            raise ValidationFailed.field(prefix + "code", "Required.")
        sku_values.append((prefix, _sku_values(sku, values["variant_axes"], None, prefix)))
    _check_sku_uniqueness(session, None, sku_values)
    template = {a.code: a for a in template_for(session, values["category_id"])}
    spec_values = _validate_specs(template, specs or {})
    tags = values.pop("tag_ids")
    product = Product(**values)
    _set_tags(product, tags)
    for position, (_, sku) in enumerate(sku_values):
        product.skus.append(Sku(position=position, **sku))
    for attribute_code, value in spec_values.items():
        product.specs.append(ProductSpec(attribute_id=template[attribute_code].id, value=value))
    session.add(product)
    session.flush()
    record(
        session,
        actor,
        "product.create",
        "product",
        product.id,
        {"code": product.code, "skus": [s.code for s in product.skus]},
    )
    emit(
        session,
        "product.created",
        "product",
        product.id,
        {
            "code": product.code,
            "name_zh": product.name_zh,
            "status": product.status,
            "skus": [{"id": s.id, "code": s.code, "barcode": s.barcode} for s in product.skus],
        },
    )
    reindex(session, [product.id])
    return product


def update_product(
    session: TenantSession, actor: Principal | None, product_id: int, **changes: Any
) -> Product:
    """Change a product's fields (:data:`PRODUCT_FIELDS`); ``tag_ids`` replaces its tags.

    Its axes can change only while every SKU's variant still fits them; a
    new category drops spec values the new template has no attribute for.
    """
    product = managed_product(session, actor, product_id)
    values = _product_values(session, changes, own_id=product.id)
    changed: set[str] = set()
    if "tag_ids" in values and _set_tags(product, values.pop("tag_ids")):
        changed.add("tag_ids")
    values.pop("tag_ids", None)
    if "variant_axes" in values and values["variant_axes"] != product.variant_axes:
        for sku in product.skus:
            if set(sku.variant) != set(values["variant_axes"]):
                raise ValidationFailed.field(
                    "variant_axes", f"SKU {sku.code} varies over other axes; change it first."
                )
        for sku in product.skus:
            sku.variant = {axis: sku.variant[axis] for axis in values["variant_axes"]}
    for field, value in values.items():
        if getattr(product, field) != value:
            setattr(product, field, value)
            changed.add(field)
    if "category_id" in changed:
        session.flush()
        _prune_specs(session, [product.id])
    if changed:
        product_changed(session, actor, product, changed)
    return product


def _prune_specs(session: TenantSession, product_ids: Sequence[int]) -> None:
    """Drop spec values the products' (new) templates have no attribute for."""
    for product in session.scalars(select(Product).where(Product.id.in_(list(product_ids)))):
        allowed = {a.id for a in template_for(session, product.category_id)}
        product.specs = [s for s in product.specs if s.attribute_id in allowed]
    session.flush()


# --- SKUs ----------------------------------------------------------------------------------


def list_skus(session: TenantSession, actor: Principal | None, product_id: int) -> list[Sku]:
    """A product's SKUs in order; a dealer sees only the active ones."""
    dealer = _viewer_dealer(session, actor)
    product = get_product(session, actor, product_id)
    if dealer is None:
        return list(product.skus)
    return [s for s in product.skus if s.status == ProductStatus.ACTIVE]


def get_sku(session: TenantSession, actor: Principal | None, sku_id: int) -> Sku:
    """One SKU as ``actor`` may see it (a dealer: active, of a product it may browse)."""
    dealer = _viewer_dealer(session, actor)
    if dealer is not None:
        if isinstance(sku_id, bool) or not isinstance(sku_id, int):
            raise NotFound("No such SKU.")
        return sku_for_dealer(session, dealer, sku_id)
    sku = load(session, Sku, sku_id)
    if sku is None:
        raise NotFound("No such SKU.")
    return sku


def add_sku(session: TenantSession, actor: Principal | None, product_id: int, **fields: Any) -> Sku:
    """Add a variant to a product (code required, variant over the product's axes)."""
    product = managed_product(session, actor, product_id)
    if "code" not in fields:
        raise ValidationFailed.field("code", "Required.")
    values = _sku_values(fields, product.variant_axes, None)
    _check_sku_uniqueness(session, product, [("", values)])
    sku = Sku(position=len(product.skus), **values)
    product.skus.append(sku)
    session.flush()
    record(
        session, actor, "sku.create", "sku", sku.id, {"code": sku.code, "product_id": product.id}
    )
    product_changed(session, actor, product, ["skus"])
    return sku


def update_sku(session: TenantSession, actor: Principal | None, sku_id: int, **changes: Any) -> Sku:
    """Change a SKU's fields (:data:`SKU_FIELDS`); the audit entry lists what changed."""
    require(actor, Permission.CATALOG_MANAGE)
    sku = get_sku(session, actor, sku_id)
    product = sku.product
    values = _sku_values(changes, product.variant_axes, sku)
    _check_sku_uniqueness(session, product, [("", {**values, "id": sku.id})])
    changed = {f: v for f, v in values.items() if getattr(sku, f) != v}
    for field, value in changed.items():
        setattr(sku, field, value)
    if changed:
        session.flush()
        record(session, actor, "sku.update", "sku", sku.id, {"code": sku.code, **changed})
        product_changed(session, actor, product, [f"skus.{f}" for f in changed])
    return sku


# --- specifications ------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecLine:
    """One row of a product's spec table: the attribute and the product's value (or "")."""

    attribute: SpecAttribute
    value: str

    @property
    def attribute_id(self) -> int:
        return self.attribute.id


def _validate_specs(template: Mapping[str, SpecAttribute], specs: Any) -> dict[str, str]:
    if not isinstance(specs, Mapping):
        raise ValidationFailed.field("specs", "Must map attribute codes to values.")
    values: dict[str, str] = {}
    for attribute_code, value in specs.items():
        attribute = template.get(attribute_code)
        if attribute is None:
            raise ValidationFailed.field(
                f"specs.{attribute_code}", "Not an attribute of this product's category."
            )
        normalised = rules.validate_spec_value(attribute, value)
        if normalised:
            values[attribute_code] = normalised
    return values


def get_specs(session: TenantSession, actor: Principal | None, product_id: int) -> list[SpecLine]:
    """The product's spec table: every attribute of its template, in order, with its value."""
    product = get_product(session, actor, product_id)
    given = {s.attribute_id: s.value for s in product.specs}
    return [SpecLine(a, given.get(a.id, "")) for a in template_for(session, product.category_id)]


def set_specs(
    session: TenantSession, actor: Principal | None, product_id: int, specs: Mapping[str, Any]
) -> list[SpecLine]:
    """Replace the product's spec values (attribute code -> value; empty or absent: none)."""
    product = managed_product(session, actor, product_id)
    template = {a.code: a for a in template_for(session, product.category_id)}
    values = _validate_specs(template, specs)
    wanted = {template[c].id: v for c, v in values.items()}
    before = {s.attribute_id: s.value for s in product.specs}
    if before != wanted:
        kept = []
        for spec in product.specs:
            if spec.attribute_id in wanted:
                spec.value = wanted[spec.attribute_id]
                kept.append(spec)
        present = {s.attribute_id for s in kept}
        for attribute_id, value in wanted.items():
            if attribute_id not in present:
                kept.append(ProductSpec(attribute_id=attribute_id, value=value))
        product.specs = kept
        product_changed(session, actor, product, ["specs"])
    return get_specs(session, actor, product.id)


# --- relations -----------------------------------------------------------------------------


def list_relations(
    session: TenantSession, actor: Principal | None, product_id: int
) -> list[ProductRelation]:
    """The accessories and replacements of a product; a dealer sees only those it may browse."""
    dealer = _viewer_dealer(session, actor)
    product = get_product(session, actor, product_id)
    query = (
        select(ProductRelation)
        .join(Product, ProductRelation.related_id == Product.id)
        .where(ProductRelation.product_id == product.id)
        .order_by(ProductRelation.kind, Product.code)
    )
    if dealer is not None:
        query = query.where(browsable_by(dealer))
    return list(session.scalars(query))


def set_relations(
    session: TenantSession,
    actor: Principal | None,
    product_id: int,
    relations: Sequence[Mapping[str, Any]],
) -> list[ProductRelation]:
    """Replace a product's relations: ``[{"related_id": 7, "kind": "accessory"}, ...]``."""
    product = managed_product(session, actor, product_id)
    if not isinstance(relations, list | tuple):
        raise ValidationFailed.field("relations", "Must be a list.")
    if len(relations) > MAX_RELATIONS:
        raise ValidationFailed.field("relations", f"At most {MAX_RELATIONS} relations.")
    wanted: set[tuple[int, RelationKind]] = set()
    for index, relation in enumerate(relations):
        label = f"relations[{index}]"
        if not isinstance(relation, Mapping):
            raise ValidationFailed.field(label, "Must be an object with related_id and kind.")
        related_id = relation.get("related_id")
        try:
            kind = RelationKind(relation.get("kind"))
        except ValueError as exc:
            allowed = ", ".join(k.value for k in RelationKind)
            raise ValidationFailed.field(f"{label}.kind", f"Use one of: {allowed}.") from exc
        if related_id == product.id:
            raise ValidationFailed.field(
                f"{label}.related_id", "A product cannot be related to itself."
            )
        if load(session, Product, related_id) is None:
            raise ValidationFailed.field(f"{label}.related_id", "No such product.")
        wanted.add((related_id, kind))
    current = list(
        session.scalars(select(ProductRelation).where(ProductRelation.product_id == product.id))
    )
    existing = {(r.related_id, r.kind) for r in current}
    if existing != wanted:
        for relation in current:
            if (relation.related_id, relation.kind) not in wanted:
                session.delete(relation)
        for related_id, kind in sorted(wanted - existing):
            session.add(ProductRelation(product_id=product.id, related_id=related_id, kind=kind))
        session.flush()
        record(
            session,
            actor,
            "product.relations",
            "product",
            product.id,
            {"relations": [{"related_id": r, "kind": k} for r, k in sorted(wanted)]},
        )
        emit(
            session,
            "product.updated",
            "product",
            product.id,
            {"code": product.code, "status": product.status, "fields": ["relations"]},
        )
    return list_relations(session, actor, product.id)


# --- visibility rules ----------------------------------------------------------------------


def list_visibility(
    session: TenantSession, actor: Principal | None, product_id: int
) -> list[ProductVisibility]:
    """Who may see the product (staff only); no rules means every dealer."""
    require(actor, Permission.CATALOG_READ)
    product = get_product(session, actor, product_id)
    query = (
        select(ProductVisibility)
        .where(ProductVisibility.product_id == product.id)
        .order_by(ProductVisibility.scope, ProductVisibility.value)
    )
    return list(session.scalars(query))


def _visibility_value(
    session: TenantSession, scope: VisibilityScope, value: Any, label: str
) -> str:
    if scope == VisibilityScope.TIER:
        return rules.validate_tier(value, label)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    model = DealerGroup if scope == VisibilityScope.GROUP else Dealer
    if load(session, model, value) is None:
        noun = "dealer group" if scope == VisibilityScope.GROUP else "dealer"
        raise ValidationFailed.field(label, f"No such {noun}.")
    return str(value)


def set_visibility(
    session: TenantSession,
    actor: Principal | None,
    product_id: int,
    rules_: Sequence[Mapping[str, Any]],
) -> list[ProductVisibility]:
    """Replace who may see a product: ``[{"scope": "tier", "value": "A"}, ...]``; ``[]``: all.

    Group and dealer values are ids of this tenant's groups and dealers.
    """
    product = managed_product(session, actor, product_id)
    if not isinstance(rules_, list | tuple):
        raise ValidationFailed.field("rules", "Must be a list.")
    if len(rules_) > MAX_VISIBILITY_RULES:
        raise ValidationFailed.field("rules", f"At most {MAX_VISIBILITY_RULES} rules.")
    wanted: set[tuple[VisibilityScope, str]] = set()
    for index, rule in enumerate(rules_):
        label = f"rules[{index}]"
        if not isinstance(rule, Mapping):
            raise ValidationFailed.field(label, "Must be an object with scope and value.")
        try:
            scope = VisibilityScope(rule.get("scope"))
        except ValueError as exc:
            allowed = ", ".join(s.value for s in VisibilityScope)
            raise ValidationFailed.field(f"{label}.scope", f"Use one of: {allowed}.") from exc
        wanted.add((scope, _visibility_value(session, scope, rule.get("value"), f"{label}.value")))
    current = list_visibility(session, None, product.id)
    if {(r.scope, r.value) for r in current} != wanted:
        session.execute(delete(ProductVisibility).where(ProductVisibility.product_id == product.id))
        for scope, value in sorted(wanted):
            session.add(ProductVisibility(product_id=product.id, scope=scope, value=value))
        session.flush()
        session.expire(product, ["visibility_rules"])
        record(
            session,
            actor,
            "product.visibility",
            "product",
            product.id,
            {"rules": [{"scope": s, "value": v} for s, v in sorted(wanted)]},
        )
        product_changed(session, actor, product, ["visibility"])
    return list_visibility(session, None, product.id)


# --- dealers' own SKU codes ----------------------------------------------------------------


def _own_dealer_id(actor: Principal | None) -> int:
    require(actor, Permission.CATALOG_BROWSE)
    if actor is None or actor.dealer_id is None:
        raise NotFound("You do not belong to a dealer.")
    return actor.dealer_id


def list_my_sku_codes(
    session: TenantSession,
    actor: Principal | None,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """The signed-in dealer's own codes for the brand's SKUs."""
    dealer_id = _own_dealer_id(actor)
    return _codes_page(session, dealer_id, limit=limit, cursor=cursor, sort=sort)


def list_dealer_sku_codes(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """A dealer's own SKU codes, as staff see them."""
    require(actor, Permission.CATALOG_READ)
    dealer = get_dealer(session, dealer_id, actor)
    return _codes_page(session, dealer.id, limit=limit, cursor=cursor, sort=sort)


def _codes_page(
    session: TenantSession, dealer_id: int, *, limit: int, cursor: str | None, sort: str | None
) -> Page:
    query = (
        select(DealerSkuCode)
        .where(DealerSkuCode.dealer_id == dealer_id)
        .options(selectinload(DealerSkuCode.sku).selectinload(Sku.product))
    )
    return paginate(
        session,
        query,
        id_column=DealerSkuCode.id,
        sortable=CODE_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def get_my_sku_code(session: TenantSession, actor: Principal | None, code_id: int) -> DealerSkuCode:
    """One dealer code: the signed-in dealer's own, or any of the tenant's for staff (read only).

    Another dealer's code is a NotFound like a missing one.
    """
    row = load(session, DealerSkuCode, code_id)
    if row is None:
        raise NotFound("No such code.")
    if actor is None or actor.can(Permission.CATALOG_READ):
        return row
    if actor.can(Permission.CATALOG_BROWSE) and actor.dealer_id == row.dealer_id:
        return row
    raise NotFound("No such code.")


def _own_code(session: TenantSession, actor: Principal | None, code_id: int) -> DealerSkuCode:
    row = get_my_sku_code(session, actor, code_id)
    if actor is not None and actor.dealer_id != row.dealer_id:
        raise PermissionDenied("Only the dealer's own users change its codes.")
    return row


def _code_values(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    changes: Mapping[str, Any],
    own_id: int | None,
) -> dict[str, Any]:
    reject_unknown(changes, frozenset({"sku_id", "code"}))
    values: dict[str, Any] = {}
    if "code" in changes:
        values["code"] = rules.validate_dealer_sku_code(changes["code"])
        existing = session.scalar(
            select(DealerSkuCode.id).where(
                DealerSkuCode.dealer_id == dealer_id, DealerSkuCode.code == values["code"]
            )
        )
        if existing is not None and existing != own_id:
            raise _duplicate("code", "You already use this code for another SKU.")
    if "sku_id" in changes:
        try:
            sku = get_sku(session, actor, changes["sku_id"])
        except NotFound as exc:
            raise ValidationFailed.field("sku_id", "No such SKU.") from exc
        existing = session.scalar(
            select(DealerSkuCode.id).where(
                DealerSkuCode.dealer_id == dealer_id, DealerSkuCode.sku_id == sku.id
            )
        )
        if existing is not None and existing != own_id:
            raise _duplicate("sku_id", "You already have a code for this SKU.")
        values["sku_id"] = sku.id
    return values


def create_my_sku_code(
    session: TenantSession, actor: Principal | None, *, sku_id: int, code: str
) -> DealerSkuCode:
    """Record the dealer's own code for a SKU it may see (one code per SKU, unique per dealer)."""
    dealer_id = _own_dealer_id(actor)
    values = _code_values(session, actor, dealer_id, {"sku_id": sku_id, "code": code}, None)
    row = DealerSkuCode(dealer_id=dealer_id, **values)
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "dealer_sku_code.create",
        "dealer_sku_code",
        row.id,
        {"dealer_id": dealer_id, **values},
    )
    return row


def update_my_sku_code(
    session: TenantSession, actor: Principal | None, code_id: int, **changes: Any
) -> DealerSkuCode:
    row = _own_code(session, actor, code_id)
    values = _code_values(session, actor, row.dealer_id, changes, row.id)
    changed = {f: v for f, v in values.items() if getattr(row, f) != v}
    for field, value in changed.items():
        setattr(row, field, value)
    if changed:
        session.flush()
        session.expire(row, ["sku"])
        record(session, actor, "dealer_sku_code.update", "dealer_sku_code", row.id, changed)
    return row


def delete_my_sku_code(session: TenantSession, actor: Principal | None, code_id: int) -> None:
    row = _own_code(session, actor, code_id)
    session.delete(row)
    record(
        session,
        actor,
        "dealer_sku_code.delete",
        "dealer_sku_code",
        code_id,
        {"dealer_id": row.dealer_id, "code": row.code},
    )


def sku_for_code(session: TenantSession, code: str, dealer_id: int | None = None) -> Sku | None:
    """The SKU a typed code means: the brand's SKU code, a barcode, or (given ``dealer_id``)
    that dealer's own code. Visibility is the caller's to check (quick order does)."""
    if not isinstance(code, str) or not code.strip():
        return None
    typed = code.strip()
    sku = session.scalar(select(Sku).where(Sku.code == typed.upper()))
    if sku is None and typed.isdigit():
        sku = session.scalar(select(Sku).where(Sku.barcode == typed).order_by(Sku.id).limit(1))
    if sku is None and dealer_id is not None:
        sku = session.scalar(
            select(Sku)
            .join(DealerSkuCode, DealerSkuCode.sku_id == Sku.id)
            .where(DealerSkuCode.dealer_id == dealer_id, DealerSkuCode.code == typed.upper())
        )
    return sku
