"""The console's product pages: the list (search, filters, pages), create and edit.

Every read and change goes through :mod:`dinghuo.core.catalog.service`, which
authorises the actor and owns every catalog rule; these views only turn forms
into service calls and service errors into messages next to the fields. The
edit page's other parts (SKUs, specs, images, relations, visibility) are in
:mod:`dinghuo.admin_ui.views.catalog_console_parts`; categories, brands and
tags in :mod:`dinghuo.admin_ui.views.catalog_console_taxonomy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui import catalog_tree, queries
from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.catalog_forms import (
    RELATION_LABELS,
    STATUS_LABELS,
    ImageUploadForm,
    ProductForm,
    RelationForm,
    SkuTableForm,
    VariantAxesForm,
    VisibilityForm,
    spec_form_class,
)
from dinghuo.admin_ui.forms import attach_errors
from dinghuo.admin_ui.guards import console_page
from dinghuo.admin_ui.logo import storage
from dinghuo.core.catalog import images
from dinghuo.core.catalog import service as catalog
from dinghuo.core.catalog.models import (
    Product,
    ProductImage,
    ProductStatus,
    SpecAttribute,
    VisibilityScope,
)
from dinghuo.core.crm import service as crm
from dinghuo.errors import Conflict, NotFound, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.platform.storage import StoredFileNotFound
from dinghuo.web import db_session

PAGE_SIZE = 25
MAX_CHOICES = 200
"""Brands, tags and dealer groups offered in a select box (the service pages at 200)."""


@dataclass(frozen=True)
class ProductRow:
    product: Product
    main_image: ProductImage | None
    sku_count: int


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _status_arg() -> ProductStatus | None:
    try:
        return ProductStatus(request.args.get("status", ""))
    except ValueError:
        return None


def _filters() -> dict[str, Any]:
    status = _status_arg()
    return {
        "q": request.args.get("q", "").strip()[:100],
        "category_id": _int_arg("category_id"),
        "brand_id": _int_arg("brand_id"),
        "status": status.value if status else "",
        "tag_id": _int_arg("tag_id"),
    }


def _list_url(**args: Any) -> str:
    return url_for("ui.catalog_products", **{k: v for k, v in args.items() if v})


def brand_options() -> list[tuple[int, str]]:
    page = catalog.list_brands(db_session(), tenant_principal(), limit=MAX_CHOICES)
    return [(brand.id, f"{brand.code} · {brand.name}") for brand in page.items]


def tag_options() -> list[tuple[int, str]]:
    page = catalog.list_tags(db_session(), tenant_principal(), limit=MAX_CHOICES)
    return [(tag.id, tag.name) for tag in page.items]


def category_nodes() -> list[catalog_tree.TreeNode]:
    return catalog_tree.flatten(catalog.category_tree(db_session(), tenant_principal()))


@bp.get("/console/catalog/products")
@console_page
@requires(Permission.CATALOG_READ)
def catalog_products():
    """Products of the brand; search by name, code, model number or barcode; filter; page."""
    session = db_session()
    principal = tenant_principal()
    filters = _filters()
    page = catalog.list_products(
        session,
        principal,
        q=filters["q"] or None,
        category_id=filters["category_id"],
        brand_id=filters["brand_id"],
        status=ProductStatus(filters["status"]) if filters["status"] else None,
        tag_id=filters["tag_id"],
        limit=PAGE_SIZE,
        cursor=request.args.get("cursor") or None,
    )
    rows = [ProductRow(p, p.images[0] if p.images else None, len(p.skus)) for p in page.items]
    return render_template(
        "ui/console/catalog/products.html",
        rows=rows,
        filters=filters,
        next_url=_list_url(cursor=page.next_cursor, **filters) if page.next_cursor else None,
        first_url=_list_url(**filters) if request.args.get("cursor") else None,
        can_manage=principal.can(Permission.CATALOG_MANAGE),
        categories=catalog_tree.options(category_nodes()),
        brands=brand_options(),
        tags=tag_options(),
        statuses=[(s.value, str(label)) for s, label in STATUS_LABELS.items()],
        status_labels=STATUS_LABELS,
    )


def _product_form(product: Product | None = None, *, submitted: bool = False) -> ProductForm:
    """The form as submitted, or filled from ``product`` (empty for a new one)."""
    if submitted or product is None:
        form = ProductForm()
    else:
        form = ProductForm(formdata=None, obj=product)
        form.brand_id.data = product.brand_id or 0
        form.category_id.data = product.category_id or 0
        form.status.data = product.status.value
        form.tag_ids.data = [tag.id for tag in product.tags]
    form.set_choices(brand_options(), catalog_tree.options(category_nodes()), tag_options())
    return form


@bp.route("/console/catalog/products/new", methods=["GET", "POST"])
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_new():
    """A new product; its SKUs, specs and images are added on its page once it exists."""
    form = _product_form()
    status = 200
    if form.validate_on_submit():
        try:
            product = catalog.create_product(db_session(), tenant_principal(), **form.changes())
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, _fields_of(error))
        else:
            flash(
                _("Product %(code)s created. Now add its variants.", code=product.code), "success"
            )
            return redirect(url_for("ui.catalog_product_edit", product_id=product.id))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "ui/console/catalog/product_form.html", form=form, product=None, status_labels=STATUS_LABELS
    ), status


def _fields_of(error: ValidationFailed | Conflict) -> dict[str, Any]:
    """A service error's fields, or its message as a form-wide error."""
    return error.fields or {"": [error.message]}


def spec_template(product_id: int) -> list[SpecAttribute]:
    """The attributes of the product's category and its ancestors, in order."""
    return [
        line.attribute for line in catalog.get_specs(db_session(), tenant_principal(), product_id)
    ]


def _spec_form(product: Product) -> Any:
    """The specs form of the product's template, filled with its values (None: no template)."""
    lines = catalog.get_specs(db_session(), tenant_principal(), product.id)
    if not lines:
        return None
    form = spec_form_class([line.attribute for line in lines])(formdata=None)
    for line in lines:
        form._fields[f"spec_{line.attribute.id}"].data = line.value
    return form


def visibility_form(product: Product, *, submitted: bool = False) -> VisibilityForm:
    """The visibility form with this tenant's groups and dealers, filled from the rules."""
    session = db_session()
    principal = tenant_principal()
    form = VisibilityForm() if submitted else VisibilityForm(formdata=None)
    groups = crm.list_groups(session, principal, limit=MAX_CHOICES).items
    form.set_choices(
        [(g.id, f"{g.code} · {g.name}") for g in groups], queries.dealer_choices(session)
    )
    if not submitted:
        rules = catalog.list_visibility(session, principal, product.id)
        form.tiers.data = ", ".join(r.value for r in rules if r.scope == VisibilityScope.TIER)
        form.group_ids.data = [int(r.value) for r in rules if r.scope == VisibilityScope.GROUP]
        form.dealer_ids.data = [int(r.value) for r in rules if r.scope == VisibilityScope.DEALER]
    return form


def variant_values(product: Product) -> dict[str, list[str]]:
    """Each axis of the product with the values its SKUs have, in first-seen order."""
    values: dict[str, list[str]] = {axis: [] for axis in product.variant_axes}
    for sku in product.skus:
        for axis, value in sku.variant.items():
            if axis in values and value not in values[axis]:
                values[axis].append(value)
    return values


def edit_page(product_id: int, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The product's page with every part's form, those given in ``forms`` as submitted."""
    session = db_session()
    principal = tenant_principal()
    product = catalog.get_product(session, principal, product_id)
    axes_form = forms.get("axes_form")
    if axes_form is None:
        axes_form = VariantAxesForm(formdata=None)
        axes_form.fill(variant_values(product))
    context = {
        "form": forms.get("form") or _product_form(product),
        "axes_form": axes_form,
        "sku_form": forms.get("sku_form") or SkuTableForm.for_skus(product.skus),
        "spec_form": forms["spec_form"] if "spec_form" in forms else _spec_form(product),
        "image_form": forms.get("image_form") or ImageUploadForm(formdata=None),
        "relation_form": forms.get("relation_form") or RelationForm(formdata=None),
        "visibility_form": forms.get("visibility_form") or visibility_form(product),
    }
    return render_template(
        "ui/console/catalog/product_form.html",
        product=product,
        skus_by_id={sku.id: sku for sku in product.skus},
        relations=catalog.list_relations(session, principal, product_id),
        status_labels=STATUS_LABELS,
        relation_labels=RELATION_LABELS,
        **context,
    ), status


@bp.route("/console/catalog/products/<int:product_id>", methods=["GET", "POST"])
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_edit(product_id: int):
    """A product's page: its details here, every other part through its own form."""
    if request.method == "GET":
        return edit_page(product_id)
    session = db_session()
    product = catalog.get_product(session, tenant_principal(), product_id)
    form = _product_form(product, submitted=True)
    if form.validate_on_submit():
        try:
            catalog.update_product(session, tenant_principal(), product_id, **form.changes())
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, _fields_of(error))
        else:
            flash(_("Product %(code)s saved.", code=product.code), "success")
            return redirect(url_for("ui.catalog_product_edit", product_id=product_id))
    return edit_page(product_id, 422, form=form)


@bp.get("/console/catalog/products/<int:product_id>/images/<int:image_id>/file")
@console_page
@requires(Permission.CATALOG_READ)
def catalog_image_file(product_id: int, image_id: int):
    """A picture of a product of this tenant (another tenant's id is 404 like a missing one)."""
    image = images.get_image(db_session(), tenant_principal(), product_id, image_id)
    try:
        data = images.read_image(storage(), image)
    except StoredFileNotFound:
        raise NotFound("No such image.") from None
    response = Response(data, mimetype=image.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
