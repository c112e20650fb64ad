"""The parts of a product's console page, each its own form: variants and SKUs, specs,
images, related products, visibility.

Each form posts here, calls one catalog service function and comes back to
the product's page: with a flash message when it worked, or with the form as
typed and the service's reasons next to the fields (422, nothing changed).
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.catalog_forms import (
    ImageUploadForm,
    RelationForm,
    SkuTableForm,
    VariantAxesForm,
    spec_form_class,
    spec_values,
)
from dinghuo.admin_ui.forms import ActionForm, attach_errors
from dinghuo.admin_ui.guards import console_page
from dinghuo.admin_ui.logo import storage
from dinghuo.admin_ui.messages import translate
from dinghuo.admin_ui.views.catalog_console import edit_page, spec_template, visibility_form
from dinghuo.core.catalog import images
from dinghuo.core.catalog import service as catalog
from dinghuo.core.catalog.models import Product, RelationKind
from dinghuo.errors import Conflict, NotFound, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session


def _back(product_id: int, section: str):
    return redirect(url_for("ui.catalog_product_edit", product_id=product_id, _anchor=section))


def _errors(error: ValidationFailed | Conflict) -> dict[str, Any]:
    return error.fields or {"": [error.message]}


@bp.post("/console/catalog/products/<int:product_id>/variants")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_variants(product_id: int):
    """Set the variant axes and add a SKU for every combination not there yet.

    The catalog service expands the axes into SKU codes and variants
    (:func:`expand_matrix`); combinations the product already has are kept as
    they are, so generating again after adding a value adds only the new ones.
    """
    session = db_session()
    principal = tenant_principal()
    product = catalog.get_product(session, principal, product_id)
    form = VariantAxesForm()
    matrix = form.matrix() if form.validate_on_submit() else None
    if matrix is not None:
        try:
            created = _generate(product, matrix)
        except (ValidationFailed, Conflict) as error:
            session.rollback()
            attach_errors(form, {form.field_for(k): v for k, v in _errors(error).items()})
        else:
            flash(_("%(count)d SKUs generated.", count=created), "success")
            return _back(product_id, "variants")
    return edit_page(product_id, 422, axes_form=form)


def _generate(product: Product, matrix: dict[str, Any]) -> int:
    """Add the SKUs of ``matrix`` the product lacks; how many were added."""
    session = db_session()
    principal = tenant_principal()
    axes, skus = catalog.expand_matrix(matrix, product.code)
    if axes != product.variant_axes:
        catalog.update_product(session, principal, product.id, variant_axes=axes)
    existing = {tuple(sorted(sku.variant.items())) for sku in product.skus}
    created = 0
    for fields in skus:
        if tuple(sorted(fields["variant"].items())) in existing:
            continue
        try:
            catalog.add_sku(session, principal, product.id, **fields)
        except (ValidationFailed, Conflict) as error:
            reasons = [str(r) for values in (error.fields or {}).values() for r in values]
            message = f"{fields['code']}: {translate(reasons[0] if reasons else error.message)}"
            raise ValidationFailed.field("", message) from error
        created += 1
    return created


@bp.post("/console/catalog/products/<int:product_id>/skus")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_skus(product_id: int):
    """Save the SKU table: every row or none (a bad row sends the table back, unchanged)."""
    session = db_session()
    principal = tenant_principal()
    own = {sku.id for sku in catalog.get_product(session, principal, product_id).skus}
    form = SkuTableForm()
    if form.validate_on_submit():
        failed = False
        for row in form.skus:
            sku_id = int(row.form.id.data) if (row.form.id.data or "").isdigit() else 0
            if sku_id not in own:
                raise NotFound("No such SKU.")
            try:
                catalog.update_sku(session, principal, sku_id, **row.form.changes())
            except (ValidationFailed, Conflict) as error:
                attach_errors(row.form, _errors(error))
                failed = True
        if not failed:
            flash(_("SKUs saved."), "success")
            return _back(product_id, "variants")
        session.rollback()
    return edit_page(product_id, 422, sku_form=form)


@bp.post("/console/catalog/products/<int:product_id>/specs")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_specs(product_id: int):
    """Save the product's values for its category's attributes (empty clears one)."""
    attributes = spec_template(product_id)
    form = spec_form_class(attributes)()
    if form.validate_on_submit():
        try:
            catalog.set_specs(
                db_session(), tenant_principal(), product_id, spec_values(form, attributes)
            )
        except (ValidationFailed, Conflict) as error:
            by_code = {f"specs.{a.code}": f"spec_{a.id}" for a in attributes}
            attach_errors(form, {by_code.get(k, k): v for k, v in _errors(error).items()})
        else:
            flash(_("Specifications saved."), "success")
            return _back(product_id, "specs")
    return edit_page(product_id, 422, spec_form=form)


@bp.post("/console/catalog/products/<int:product_id>/images")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_images(product_id: int):
    """Upload an image; the first one becomes the main image."""
    form = ImageUploadForm()
    if form.validate_on_submit():
        data = form.image.data.read(images.MAX_IMAGE_BYTES + 1)
        try:
            images.add_image(
                db_session(),
                tenant_principal(),
                product_id,
                data,
                files=storage(),
                alt=form.alt.data or "",
            )
        except (ValidationFailed, Conflict) as error:
            fields = {("image" if k == "file" else k): v for k, v in _errors(error).items()}
            attach_errors(form, fields)
        else:
            flash(_("Image uploaded."), "success")
            return _back(product_id, "images")
    return edit_page(product_id, 422, image_form=form)


IMAGE_ACTIONS = ("up", "down", "main", "delete")


@bp.post("/console/catalog/products/<int:product_id>/images/<int:image_id>")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_image(product_id: int, image_id: int):
    """Move an image up or down, make it the main one, or delete it."""
    session = db_session()
    principal = tenant_principal()
    image = images.get_image(session, principal, product_id, image_id)
    action = request.form.get("action", "")
    if not ActionForm().validate_on_submit() or action not in IMAGE_ACTIONS:
        flash(_("Unknown action."), "error")
        return edit_page(product_id, 400)
    if action == "delete":
        images.delete_image(session, principal, product_id, image_id, files=storage())
        flash(_("Image deleted."), "success")
        return _back(product_id, "images")
    position = {"up": max(image.position - 1, 0), "down": image.position + 1, "main": 0}[action]
    images.update_image(session, principal, product_id, image_id, position=position)
    flash(_("Image order saved."), "success")
    return _back(product_id, "images")


def _relations_without(product_id: int, related_id: int, kind: RelationKind | None):
    """The product's relations as the service takes them, less one."""
    current = catalog.list_relations(db_session(), tenant_principal(), product_id)
    return [
        {"related_id": r.related_id, "kind": r.kind.value}
        for r in current
        if (r.related_id, r.kind) != (related_id, kind)
    ]


def _product_by_code(code: str) -> Product | None:
    page = catalog.list_products(db_session(), tenant_principal(), q=code.strip(), limit=20)
    return next((p for p in page.items if p.code == code.strip().upper()), None)


@bp.post("/console/catalog/products/<int:product_id>/relations")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_relations(product_id: int):
    """Link an accessory or the replacement model, named by its product code."""
    form = RelationForm()
    if form.validate_on_submit():
        related = _product_by_code(form.related_code.data or "")
        if related is None:
            attach_errors(form, {"related_code": ["No such product."]})
        else:
            kind = RelationKind(form.kind.data)
            relations = [
                *_relations_without(product_id, related.id, kind),
                {"related_id": related.id, "kind": kind.value},
            ]
            try:
                catalog.set_relations(db_session(), tenant_principal(), product_id, relations)
            except (ValidationFailed, Conflict) as error:
                reasons = [r for values in _errors(error).values() for r in values]
                attach_errors(form, {"related_code": reasons})
            else:
                flash(_("Related product linked."), "success")
                return _back(product_id, "relations")
    return edit_page(product_id, 422, relation_form=form)


@bp.post("/console/catalog/products/<int:product_id>/relations/<int:related_id>/<kind>/remove")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_relation_remove(product_id: int, related_id: int, kind: str):
    """Unlink one related product."""
    if not ActionForm().validate_on_submit() or kind not in {k.value for k in RelationKind}:
        return edit_page(product_id, 422)
    relations = _relations_without(product_id, related_id, RelationKind(kind))
    catalog.set_relations(db_session(), tenant_principal(), product_id, relations)
    flash(_("Link removed."), "success")
    return _back(product_id, "relations")


@bp.post("/console/catalog/products/<int:product_id>/visibility")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_product_visibility(product_id: int):
    """Which tiers, groups and dealers may see the product (none: every dealer)."""
    product = catalog.get_product(db_session(), tenant_principal(), product_id)
    form = visibility_form(product, submitted=True)
    if form.validate_on_submit():
        rules, sources = form.rules()
        try:
            catalog.set_visibility(db_session(), tenant_principal(), product_id, rules)
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, {_rule_field(k, sources): v for k, v in _errors(error).items()})
        else:
            flash(_("Visibility saved."), "success")
            return _back(product_id, "visibility")
    return edit_page(product_id, 422, visibility_form=form)


def _rule_field(error_field: str, sources: list[str]) -> str:
    """``rules[2].value`` → the input that rule came from."""
    match = re.match(r"rules\[(\d+)\]", error_field)
    if match and int(match.group(1)) < len(sources):
        return sources[int(match.group(1))]
    return error_field
