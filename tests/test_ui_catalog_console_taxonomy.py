"""The console's category tree (create, rename, move, reorder, delete, attribute template),
brands and tags."""

from __future__ import annotations

import re

import pytest

from dinghuo.core.catalog.models import Brand, Category, SpecAttribute, SpecKind, Tag

CATEGORIES = "/console/catalog/categories"


@pytest.fixture
def owner(acme, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    return staff


def text(response) -> str:
    return response.get_data(as_text=True)


def tree(response) -> list[str]:
    return re.findall(r'data-category="([^"]+)"', text(response))


def children_order(db, world, parent_code: str | None) -> list[str]:
    with db.transaction(world.id) as session:
        parent_id = (
            session.query(Category).filter_by(code=parent_code).one().id if parent_code else None
        )
        rows = session.query(Category).filter_by(parent_id=parent_id).order_by(Category.position)
        return [c.code for c in rows]


def test_the_tree_is_shown_in_order_and_a_category_is_added(acme, catalog, owner, db):
    assert tree(owner.get(CATEGORIES)) == ["DIGITAL", "PHONE", "ACC"]
    response = owner.post(
        CATEGORIES,
        {
            "code": "tablet",
            "name_zh": "平板",
            "name_en": "Tablets",
            "parent_id": catalog.categories["DIGITAL"],
        },
        token_from=CATEGORIES,
    )
    assert response.status_code == 302, text(response)
    assert tree(owner.get(CATEGORIES)) == ["DIGITAL", "PHONE", "ACC", "TABLET"]
    assert "数码 › 平板" in text(owner.get("/console/catalog/products"))


def test_bad_category_input_is_shown_next_to_the_fields(acme, catalog, owner, db):
    duplicate = owner.post(
        CATEGORIES, {"code": "PHONE", "name_zh": "手机2", "parent_id": 0}, token_from=CATEGORIES
    )
    assert duplicate.status_code == 422
    assert re.search(r'id="field-code".*?已存在使用此编码的分类', text(duplicate), re.S)
    unnamed = owner.post(
        CATEGORIES, {"code": "X", "name_zh": "", "parent_id": 0}, token_from=CATEGORIES
    )
    assert unnamed.status_code == 422
    assert re.search(r'id="field-name_zh".*?此项为必填', text(unnamed), re.S)
    with db.transaction(acme.id) as session:
        assert session.query(Category).count() == 3


def test_a_category_is_renamed_and_moved_but_not_under_itself(acme, catalog, owner, db):
    digital, phones = catalog.categories["DIGITAL"], catalog.categories["PHONE"]
    path = f"{CATEGORIES}/{phones}"
    page = text(owner.get(path))
    assert 'value="手机"' in page and re.search(rf'<option selected value="{digital}"', page)
    renamed = owner.post(
        path, {"code": "PHONE", "name_zh": "智能手机", "name_en": "Smartphones"}, token_from=path
    )
    assert renamed.status_code == 302
    moved = owner.post(f"{path}/move", {"parent_id": 0}, token_from=path)
    assert moved.status_code == 302
    assert children_order(db, acme, None) == ["DIGITAL", "PHONE"]
    under_itself = owner.post(
        f"{CATEGORIES}/{digital}/move", {"parent_id": digital}, token_from=path
    )
    assert under_itself.status_code == 422 and 'id="field-parent_id"' in text(under_itself)
    with db.transaction(acme.id) as session:
        assert session.get(Category, phones).name_zh == "智能手机"
        assert session.get(Category, digital).parent_id is None


def test_siblings_are_reordered_up_and_down(acme, catalog, owner, db):
    accessories = catalog.categories["ACC"]
    assert (
        owner.post(
            f"{CATEGORIES}/{accessories}/reorder", {"direction": "up"}, token_from=CATEGORIES
        ).status_code
        == 302
    )
    assert children_order(db, acme, "DIGITAL") == ["ACC", "PHONE"]
    assert tree(owner.get(CATEGORIES)) == ["DIGITAL", "ACC", "PHONE"]
    owner.post(f"{CATEGORIES}/{accessories}/reorder", {"direction": "down"}, token_from=CATEGORIES)
    assert children_order(db, acme, "DIGITAL") == ["PHONE", "ACC"]
    bad = owner.post(
        f"{CATEGORIES}/{accessories}/reorder", {"direction": "sideways"}, token_from=CATEGORIES
    )
    assert bad.status_code == 400


def test_deleting_a_category_that_is_not_empty_is_refused(acme, catalog, owner, db):
    phones = catalog.categories["PHONE"]
    refused = owner.post(f"{CATEGORIES}/{phones}/delete", {}, token_from=CATEGORIES)
    assert refused.status_code == 409
    assert "该分类下还有商品" in text(refused)
    digital = catalog.categories["DIGITAL"]
    parent = owner.post(f"{CATEGORIES}/{digital}/delete", {}, token_from=CATEGORIES)
    assert parent.status_code == 409 and "子分类" in text(parent)
    owner.post(
        CATEGORIES, {"code": "EMPTY", "name_zh": "空", "parent_id": 0}, token_from=CATEGORIES
    )
    with db.transaction(acme.id) as session:
        empty = session.query(Category).filter_by(code="EMPTY").one().id
    assert owner.post(f"{CATEGORIES}/{empty}/delete", {}, token_from=CATEGORIES).status_code == 302
    assert tree(owner.get(CATEGORIES)) == ["DIGITAL", "PHONE", "ACC"]


def test_the_attribute_template_is_added_edited_and_removed(acme, catalog, owner, db):
    phones = catalog.categories["PHONE"]
    path = f"{CATEGORIES}/{phones}"
    added = owner.post(
        f"{path}/attributes",
        {
            "code": "network",
            "name_zh": "网络",
            "kind": "choice",
            "choices": "4G，5G",
            "filterable": "1",
        },
        token_from=path,
    )
    assert added.status_code == 302, text(added)
    with db.transaction(acme.id) as session:
        attribute = session.query(SpecAttribute).one()
        assert (attribute.kind, attribute.choices) == (SpecKind.CHOICE, ["4G", "5G"])
        attribute_id = attribute.id
    assert 'data-attribute="network"' in text(owner.get(path))
    edit = f"{path}/attributes/{attribute_id}"
    assert 'value="4G, 5G"' in text(owner.get(edit))
    saved = owner.post(
        edit,
        {
            "code": "network",
            "name_zh": "网络制式",
            "kind": "choice",
            "choices": "4G, 5G, 5.5G",
            "filterable": "0",
        },
        token_from=edit,
    )
    assert saved.status_code == 302, text(saved)
    no_choices = owner.post(
        f"{path}/attributes",
        {"code": "colour", "name_zh": "颜色", "kind": "choice", "choices": "", "filterable": "1"},
        token_from=path,
    )
    assert no_choices.status_code == 422
    assert re.search(r'id="field-choices".*?选项类属性需要填写可选值', text(no_choices), re.S)
    bad_code = owner.post(
        f"{path}/attributes",
        {"code": "Screen Size", "name_zh": "屏幕", "kind": "number"},
        token_from=path,
    )
    assert bad_code.status_code == 422 and re.search(
        r'id="field-code".*?小写', text(bad_code), re.S
    )
    removed = owner.post(f"{edit}/delete", {}, token_from=path)
    assert removed.status_code == 302
    with db.transaction(acme.id) as session:
        assert session.query(SpecAttribute).count() == 0


def test_another_tenants_category_is_not_found(acme, globex, owner, app):
    from fixtures_catalog import seed_catalog

    theirs = seed_catalog(app, globex).categories["PHONE"]
    assert owner.get(f"{CATEGORIES}/{theirs}").status_code == 404
    assert owner.post(f"{CATEGORIES}/{theirs}/delete", {}, token_from=CATEGORIES).status_code == 404


def test_brands_are_added_renamed_and_deleted_unless_in_use(acme, catalog, owner, db):
    path = "/console/catalog/brands"
    assert 'data-brand="DX"' in text(owner.get(path))
    added = owner.post(path, {"code": "hn", "name": "荣耀"}, token_from=path)
    assert added.status_code == 302
    duplicate = owner.post(path, {"code": "DX", "name": "又一个"}, token_from=path)
    assert duplicate.status_code == 422
    assert re.search(r'id="field-code".*?已存在使用此编码的品牌', text(duplicate), re.S)
    with db.transaction(acme.id) as session:
        honor = session.query(Brand).filter_by(code="HN").one().id
    renamed = owner.post(
        f"{path}/{honor}", {"action": "save", "name": "荣耀 Honor"}, token_from=path
    )
    assert renamed.status_code == 302
    in_use = owner.post(f"{path}/{catalog.brands['DX']}", {"action": "delete"}, token_from=path)
    assert in_use.status_code == 422 and "该品牌下还有商品" in text(in_use)
    assert owner.post(f"{path}/{honor}", {"action": "delete"}, token_from=path).status_code == 302
    with db.transaction(acme.id) as session:
        assert [b.code for b in session.query(Brand)] == ["DX"]


def test_tags_are_added_renamed_and_deleted(acme, owner, db):
    path = "/console/catalog/tags"
    assert owner.post(path, {"name": "新品"}, token_from=path).status_code == 302
    duplicate = owner.post(path, {"name": "新品"}, token_from=path)
    assert duplicate.status_code == 422 and "已存在同名标签" in text(duplicate)
    empty = owner.post(path, {"name": ""}, token_from=path)
    assert empty.status_code == 422 and re.search(
        r'id="field-name".*?此项为必填', text(empty), re.S
    )
    with db.transaction(acme.id) as session:
        tag_id = session.query(Tag).one().id
    assert (
        owner.post(
            f"{path}/{tag_id}", {"action": "save", "name": "爆款"}, token_from=path
        ).status_code
        == 302
    )
    assert 'data-tag="爆款"' in text(owner.get(path))
    assert owner.post(f"{path}/{tag_id}", {"action": "delete"}, token_from=path).status_code == 302
    with db.transaction(acme.id) as session:
        assert session.query(Tag).count() == 0


def test_staff_who_only_read_the_catalog_see_lists_without_forms(acme, catalog, visitor):
    warehouse = visitor(acme)
    warehouse.login("warehouse@acme.test")
    for path in (CATEGORIES, "/console/catalog/brands", "/console/catalog/tags"):
        page = warehouse.get(path)
        assert page.status_code == 200 and 'method="post"' not in text(page).split("</header>")[1]
    assert (
        warehouse.post(CATEGORIES, {"code": "X", "name_zh": "x"}, token_from=CATEGORIES).status_code
        == 403
    )
    assert warehouse.get(f"{CATEGORIES}/{catalog.categories['PHONE']}").status_code == 403
