"""The console's category tree (with each category's spec template), brands and tags.

Reads and changes go through :mod:`dinghuo.core.catalog.service`; a refusal
(deleting a category that still has products or subcategories, moving one
under itself) comes back as a message, and nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from dinghuo.admin_ui import catalog_tree
from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.catalog_forms import (
    SPEC_KIND_LABELS,
    AttributeForm,
    BrandForm,
    CategoryForm,
    CategoryMoveForm,
    CategoryRenameForm,
    TagForm,
)
from dinghuo.admin_ui.forms import ActionForm, attach_errors
from dinghuo.admin_ui.guards import console_page
from dinghuo.admin_ui.messages import translate
from dinghuo.admin_ui.views.catalog_console import MAX_CHOICES
from dinghuo.core.catalog import service as catalog
from dinghuo.core.catalog.models import Category
from dinghuo.errors import Conflict, ValidationFailed
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session


def _errors(error: ValidationFailed | Conflict) -> dict[str, Any]:
    return error.fields or {"": [error.message]}


def _refused(error: ValidationFailed | Conflict) -> None:
    """A refusal of a button (no field to show it next to) as an error message."""
    reasons = [str(r) for values in (error.fields or {}).values() for r in values]
    flash(translate(reasons[0] if reasons else error.message), "error")


# --- categories ----------------------------------------------------------------------------


def _categories_page(create_form: CategoryForm | None = None, status: int = 200):
    session = db_session()
    principal = tenant_principal()
    nodes = catalog_tree.flatten(catalog.category_tree(session, principal))
    if create_form is None:
        create_form = CategoryForm(formdata=None)
        create_form.set_choices(catalog_tree.options(nodes))
    return render_template(
        "ui/console/catalog/categories.html",
        nodes=nodes,
        form=create_form,
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    ), status


@bp.get("/console/catalog/categories")
@console_page
@requires(Permission.CATALOG_READ)
def catalog_categories():
    """The category tree, in order, with a form to add one."""
    return _categories_page()


@bp.post("/console/catalog/categories")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_category_new():
    form = CategoryForm()
    form.set_choices(category_options())
    if form.validate_on_submit():
        try:
            category = catalog.create_category(db_session(), tenant_principal(), **form.changes())
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, _errors(error))
        else:
            flash(_("Category %(name)s created.", name=category.display_name), "success")
            return redirect(url_for("ui.catalog_categories"))
    return _categories_page(form, 422)


def _nodes() -> list[catalog_tree.TreeNode]:
    return catalog_tree.flatten(catalog.category_tree(db_session(), tenant_principal()))


def category_options(excluding: int | None = None) -> list[tuple[int, str]]:
    return catalog_tree.options(_nodes(), excluding=excluding)


def _category_page(category: Category, status: int = 200, **forms: Any):
    rename = forms.get("rename_form")
    if rename is None:
        rename = CategoryRenameForm(formdata=None, obj=category)
    move = forms.get("move_form")
    if move is None:
        move = CategoryMoveForm(formdata=None, parent_id=category.parent_id or 0)
        move.set_choices(category_options(excluding=category.id))
    attribute_form = forms.get("attribute_form") or AttributeForm(formdata=None)
    return render_template(
        "ui/console/catalog/category.html",
        category=category,
        path=dict(category_options()).get(category.id, category.display_name),
        rename_form=rename,
        move_form=move,
        attribute_form=attribute_form,
        kind_labels=SPEC_KIND_LABELS,
    ), status


@bp.route("/console/catalog/categories/<int:category_id>", methods=["GET", "POST"])
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_category(category_id: int):
    """A category: rename it, move it, edit its attribute template."""
    session = db_session()
    principal = tenant_principal()
    category = catalog.get_category(session, principal, category_id)
    if request.method == "GET":
        return _category_page(category)
    form = CategoryRenameForm()
    if form.validate_on_submit():
        try:
            catalog.update_category(session, principal, category_id, **form.changes())
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, _errors(error))
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("ui.catalog_category", category_id=category_id))
    return _category_page(category, 422, rename_form=form)


@bp.post("/console/catalog/categories/<int:category_id>/move")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_category_move(category_id: int):
    """Put the category under another parent (or at the top), last among its new siblings."""
    session = db_session()
    principal = tenant_principal()
    category = catalog.get_category(session, principal, category_id)
    form = CategoryMoveForm()
    form.set_choices(category_options(excluding=category_id))
    if form.validate_on_submit():
        try:
            catalog.move_category(
                session, principal, category_id, parent_id=form.parent_id.data or None
            )
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, {"parent_id": [r for v in _errors(error).values() for r in v]})
        else:
            flash(_("Category moved."), "success")
            return redirect(url_for("ui.catalog_category", category_id=category_id))
    return _category_page(category, 422, move_form=form)


@bp.post("/console/catalog/categories/<int:category_id>/reorder")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_category_reorder(category_id: int):
    """One step up or down among its siblings."""
    category = catalog.get_category(db_session(), tenant_principal(), category_id)
    direction = request.form.get("direction", "")
    if not ActionForm().validate_on_submit() or direction not in ("up", "down"):
        flash(_("Unknown action."), "error")
        return _categories_page(status=400)
    node = next(n for n in _nodes() if n.category.id == category.id)
    catalog.reorder_categories(
        db_session(), tenant_principal(), category.parent_id, node.moved(direction)
    )
    return redirect(url_for("ui.catalog_categories"))


@bp.post("/console/catalog/categories/<int:category_id>/delete")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_category_delete(category_id: int):
    """Delete an empty category; one with products or subcategories is refused, unchanged."""
    session = db_session()
    category = catalog.get_category(session, tenant_principal(), category_id)
    name = category.display_name
    if not ActionForm().validate_on_submit():
        return _categories_page(status=400)
    try:
        catalog.delete_category(session, tenant_principal(), category_id)
    except (ValidationFailed, Conflict) as error:
        _refused(error)
        return _categories_page(status=409)
    flash(_("Category %(name)s deleted.", name=name), "success")
    return redirect(url_for("ui.catalog_categories"))


# --- the spec template of a category -------------------------------------------------------


@bp.post("/console/catalog/categories/<int:category_id>/attributes")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_attribute_new(category_id: int):
    session = db_session()
    category = catalog.get_category(session, tenant_principal(), category_id)
    form = AttributeForm()
    if form.validate_on_submit():
        try:
            catalog.create_attribute(session, tenant_principal(), category_id, **form.changes())
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, _errors(error))
        else:
            flash(_("Attribute added."), "success")
            return redirect(url_for("ui.catalog_category", category_id=category_id))
    return _category_page(category, 422, attribute_form=form)


@bp.route(
    "/console/catalog/categories/<int:category_id>/attributes/<int:attribute_id>",
    methods=["GET", "POST"],
)
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_attribute(category_id: int, attribute_id: int):
    """Edit one attribute of a category's template."""
    session = db_session()
    principal = tenant_principal()
    attribute = catalog.get_attribute(session, principal, category_id, attribute_id)
    status = 200
    if request.method == "GET":
        form = AttributeForm(formdata=None)
        form.fill(attribute)
    else:
        form = AttributeForm()
        if form.validate_on_submit():
            try:
                catalog.update_attribute(
                    session, principal, category_id, attribute_id, **form.changes()
                )
            except (ValidationFailed, Conflict) as error:
                attach_errors(form, _errors(error))
            else:
                flash(_("Attribute saved."), "success")
                return redirect(url_for("ui.catalog_category", category_id=attribute.category_id))
        status = 422
    return render_template(
        "ui/console/catalog/attribute.html", attribute=attribute, form=form
    ), status


@bp.post("/console/catalog/categories/<int:category_id>/attributes/<int:attribute_id>/delete")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_attribute_delete(category_id: int, attribute_id: int):
    """Remove an attribute (products' values for it go with it)."""
    session = db_session()
    catalog.get_attribute(session, tenant_principal(), category_id, attribute_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("ui.catalog_category", category_id=category_id))
    catalog.delete_attribute(session, tenant_principal(), category_id, attribute_id)
    flash(_("Attribute removed."), "success")
    return redirect(url_for("ui.catalog_category", category_id=category_id))


# --- brands and tags -----------------------------------------------------------------------


def _brands_page(form: BrandForm | None = None, status: int = 200):
    principal = tenant_principal()
    return render_template(
        "ui/console/catalog/brands.html",
        brands=catalog.list_brands(db_session(), principal, limit=MAX_CHOICES).items,
        form=form or BrandForm(formdata=None),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    ), status


@bp.get("/console/catalog/brands")
@console_page
@requires(Permission.CATALOG_READ)
def catalog_brands():
    return _brands_page()


@bp.post("/console/catalog/brands")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_brand_new():
    form = BrandForm()
    if form.validate_on_submit():
        try:
            brand = catalog.create_brand(
                db_session(), tenant_principal(), code=form.code.data, name=form.name.data
            )
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, _errors(error))
        else:
            flash(_("Brand %(name)s added.", name=brand.name), "success")
            return redirect(url_for("ui.catalog_brands"))
    return _brands_page(form, 422)


@bp.post("/console/catalog/brands/<int:brand_id>")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_brand_edit(brand_id: int):
    """Rename a brand (inline on the list) or delete it."""
    session = db_session()
    principal = tenant_principal()
    catalog.get_brand(session, principal, brand_id)
    if not ActionForm().validate_on_submit():
        return _brands_page(status=400)
    try:
        if request.form.get("action") == "delete":
            catalog.delete_brand(session, principal, brand_id)
            flash(_("Brand deleted."), "success")
        else:
            catalog.update_brand(session, principal, brand_id, name=request.form.get("name", ""))
            flash(_("Brand saved."), "success")
    except (ValidationFailed, Conflict) as error:
        _refused(error)
        return _brands_page(status=422)
    return redirect(url_for("ui.catalog_brands"))


def _tags_page(form: TagForm | None = None, status: int = 200):
    principal = tenant_principal()
    return render_template(
        "ui/console/catalog/tags.html",
        tags=catalog.list_tags(db_session(), principal, limit=MAX_CHOICES).items,
        form=form or TagForm(formdata=None),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    ), status


@bp.get("/console/catalog/tags")
@console_page
@requires(Permission.CATALOG_READ)
def catalog_tags():
    return _tags_page()


@bp.post("/console/catalog/tags")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_tag_new():
    form = TagForm()
    if form.validate_on_submit():
        try:
            tag = catalog.create_tag(db_session(), tenant_principal(), name=form.name.data)
        except (ValidationFailed, Conflict) as error:
            attach_errors(form, _errors(error))
        else:
            flash(_("Tag %(name)s added.", name=tag.name), "success")
            return redirect(url_for("ui.catalog_tags"))
    return _tags_page(form, 422)


@bp.post("/console/catalog/tags/<int:tag_id>")
@console_page
@requires(Permission.CATALOG_MANAGE)
def catalog_tag_edit(tag_id: int):
    """Rename a tag (inline on the list) or delete it (products lose the tag)."""
    session = db_session()
    principal = tenant_principal()
    catalog.get_tag(session, principal, tag_id)
    if not ActionForm().validate_on_submit():
        return _tags_page(status=400)
    try:
        if request.form.get("action") == "delete":
            catalog.delete_tag(session, principal, tag_id)
            flash(_("Tag deleted."), "success")
        else:
            catalog.update_tag(session, principal, tag_id, name=request.form.get("name", ""))
            flash(_("Tag saved."), "success")
    except (ValidationFailed, Conflict) as error:
        _refused(error)
        return _tags_page(status=422)
    return redirect(url_for("ui.catalog_tags"))
