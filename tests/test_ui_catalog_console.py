"""The console's product pages: list, search, filters, create, edit, variants, SKUs, specs,
images, relations and visibility."""

from __future__ import annotations

import re
import struct
import zlib
from decimal import Decimal

import pytest
from fixtures_catalog import PHONE_VARIANTS, seed_catalog

from dinghuo.core.catalog.models import (
    Product,
    ProductImage,
    ProductRelation,
    ProductSpec,
    ProductVisibility,
    Sku,
    SpecAttribute,
    SpecKind,
    Tag,
    VisibilityScope,
)


@pytest.fixture
def owner(acme, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    return staff


def text(response) -> str:
    return response.get_data(as_text=True)


def codes(response) -> list[str]:
    return re.findall(r'data-product="([^"]+)"', text(response))


def field_error(response, field: str, message: str) -> bool:
    """Whether ``message`` is shown inside the field's block (before the next field)."""
    match = re.search(rf'id="field-{re.escape(field)}".*?</div>', text(response), re.S)
    return bool(match) and message in match.group(0)


def png(size: int = 8) -> bytes:
    raw = zlib.compress(b"".join(b"\x00" + b"\xc2\x41\x0c" * size for _ in range(size)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def product_form(**overrides) -> dict[str, object]:
    return {
        "code": "p40",
        "name_zh": "鼎新 P40",
        "name_en": "Dingxin P40",
        "model_number": "ANA-AN00",
        "brand_id": 0,
        "category_id": 0,
        "status": "draft",
        "description": "",
        **overrides,
    }


def edit_path(product_id: int) -> str:
    return f"/console/catalog/products/{product_id}"


def product_id(db, world, code: str) -> int:
    with db.transaction(world.id) as session:
        return session.query(Product).filter_by(code=code).one().id


# --- the list ------------------------------------------------------------------------------


def test_products_are_listed_searched_and_filtered(acme, globex, catalog, owner):
    listing = owner.get("/console/catalog/products")
    assert listing.status_code == 200
    assert codes(listing) == ["CHG66", "MATE60P", "X7"]
    assert re.search(r'data-product="MATE60P".*?data-sku-count>4<', text(listing), re.S)
    assert codes(owner.get("/console/catalog/products?q=ALN-AL00")) == ["MATE60P"]
    assert codes(owner.get("/console/catalog/products?q=充电器")) == ["CHG66"]
    barcode = PHONE_VARIANTS[1][1]
    assert codes(owner.get(f"/console/catalog/products?q={barcode}")) == ["MATE60P"]
    phones = catalog.categories["PHONE"]
    assert codes(owner.get(f"/console/catalog/products?category_id={phones}")) == [
        "MATE60P",
        "X7",
    ]
    digital = catalog.categories["DIGITAL"]
    assert len(codes(owner.get(f"/console/catalog/products?category_id={digital}"))) == 3
    assert codes(owner.get("/console/catalog/products?status=draft")) == []
    brand = catalog.brands["DX"]
    assert len(codes(owner.get(f"/console/catalog/products?brand_id={brand}"))) == 3


def test_the_list_filters_by_tag_and_ignores_nonsense_filters(acme, catalog, owner, db):
    with db.transaction(acme.id) as session:
        from dinghuo.core.catalog.service import create_tag, update_product

        tag = create_tag(session, None, name="新品")
        update_product(session, None, catalog.products["X7"], tag_ids=[tag.id])
        tag_id = tag.id
    assert codes(owner.get(f"/console/catalog/products?tag_id={tag_id}")) == ["X7"]
    odd = owner.get("/console/catalog/products?status=bogus&category_id=abc&brand_id=-1")
    assert odd.status_code == 200 and len(codes(odd)) == 3


def test_the_list_pages_through_many_products(acme, owner, db):
    from dinghuo.admin_ui.views.catalog_console import PAGE_SIZE
    from dinghuo.core.catalog.service import create_product

    with db.transaction(acme.id) as session:
        for n in range(PAGE_SIZE + 2):
            create_product(session, None, code=f"P{n:03d}", name_zh=f"产品{n}")
    first = owner.get("/console/catalog/products")
    assert len(codes(first)) == PAGE_SIZE
    next_url = re.search(r'href="([^"]*cursor=[^"]*)"', text(first)).group(1).replace("&amp;", "&")
    rest = codes(owner.get(next_url))
    assert len(rest) == 2 and not set(rest) & set(codes(first))


def test_staff_without_catalog_manage_only_read_the_list(acme, catalog, visitor):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    listing = sales.get("/console/catalog/products")
    assert listing.status_code == 200 and "/console/catalog/products/new" not in text(listing)
    assert 'href="/console/catalog/products"' in text(sales.get("/console"))
    assert sales.get("/console/catalog/products/new").status_code == 403
    assert sales.get(edit_path(catalog.products["MATE60P"])).status_code == 403


def test_dealer_users_are_sent_to_the_portal(acme, visitor):
    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    assert buyer.get("/console/catalog/products").status_code == 302


# --- create and edit -----------------------------------------------------------------------


def test_a_product_is_created_and_its_page_opens(acme, catalog, owner, db):
    tag_path = "/console/catalog/products/new"
    response = owner.post(
        tag_path,
        product_form(brand_id=catalog.brands["DX"], category_id=catalog.categories["PHONE"]),
        token_from=tag_path,
    )
    assert response.status_code == 302, text(response)
    new_id = product_id(db, acme, "P40")
    assert response.headers["Location"] == edit_path(new_id)
    page = owner.get(edit_path(new_id))
    assert page.status_code == 200 and 'value="P40"' in text(page)
    assert "P40" in codes(owner.get("/console/catalog/products"))


def test_bad_product_input_is_shown_next_to_the_fields(acme, catalog, owner, db):
    path = "/console/catalog/products/new"
    duplicate = owner.post(path, product_form(code="MATE60P"), token_from=path)
    assert duplicate.status_code == 422
    assert field_error(duplicate, "code", "MATE60P") or "已存在" in text(duplicate)
    bad_code = owner.post(path, product_form(code="手机"), token_from=path)
    assert bad_code.status_code == 422 and 'id="field-code"' in text(bad_code)
    assert "has-error" in text(bad_code)
    no_name = owner.post(path, product_form(name_zh=""), token_from=path)
    assert no_name.status_code == 422 and field_error(no_name, "name_zh", "此项为必填")
    with db.transaction(acme.id) as session:
        assert session.query(Product).count() == 3


def test_a_product_is_edited_with_tags(acme, catalog, owner, db):
    with db.transaction(acme.id) as session:
        tag = Tag(name="5G")
        session.add(tag)
        session.flush()
        tag_id = tag.id
    path = edit_path(catalog.products["CHG66"])
    response = owner.post(
        path,
        product_form(code="CHG66", name_zh="66W 快充", status="active", tag_ids=[tag_id]),
        token_from=path,
    )
    assert response.status_code == 302, text(response)
    with db.transaction(acme.id) as session:
        product = session.get(Product, catalog.products["CHG66"])
        assert (product.name_zh, [t.name for t in product.tags]) == ("66W 快充", ["5G"])
    bad = owner.post(path, product_form(code="CHG66", status="gone"), token_from=path)
    assert bad.status_code == 422 and 'id="field-status"' in text(bad)


def test_another_tenants_product_is_not_found(acme, globex, owner, app):
    theirs = seed_catalog(app, globex).products["MATE60P"]
    assert owner.get(edit_path(theirs)).status_code == 404
    response = owner.post(f"{edit_path(theirs)}/specs", {}, token_from="/console/catalog/products")
    assert response.status_code == 404


# --- variants and SKUs ---------------------------------------------------------------------


def axes_form(**overrides) -> dict[str, str]:
    return {
        "axis_1": "颜色",
        "values_1": "曜石黑=BLK, 冰霜银=SLV",
        "axis_2": "内存",
        "values_2": "8+128G、8+256G",
        "axis_3": "",
        "values_3": "",
        **overrides,
    }


@pytest.fixture
def p40(acme, owner, db):
    path = "/console/catalog/products/new"
    owner.post(path, product_form(), token_from=path)
    return product_id(db, acme, "P40")


def test_generating_skus_makes_the_matrix_and_keeps_what_exists(acme, p40, owner, db):
    path = edit_path(p40)
    response = owner.post(f"{path}/variants", axes_form(), token_from=path)
    assert response.status_code == 302, text(response)
    with db.transaction(acme.id) as session:
        skus = session.query(Sku).filter_by(product_id=p40).order_by(Sku.position).all()
        assert [s.code for s in skus] == [
            "P40-BLK-8-128G",
            "P40-BLK-8-256G",
            "P40-SLV-8-128G",
            "P40-SLV-8-256G",
        ]
        assert skus[0].variant == {"颜色": "曜石黑", "内存": "8+128G"}
    page = text(owner.get(path))
    assert page.count("data-sku=") == 4 and 'value="颜色"' in page
    again = owner.post(
        f"{path}/variants",
        axes_form(values_1="曜石黑=BLK, 冰霜银=SLV, 翡冷翠=GRN"),
        token_from=path,
    )
    assert again.status_code == 302
    with db.transaction(acme.id) as session:
        assert session.query(Sku).filter_by(product_id=p40).count() == 6


def test_bad_axes_are_shown_next_to_the_fields(acme, p40, owner, db):
    path = edit_path(p40)
    no_values = owner.post(f"{path}/variants", axes_form(values_2=""), token_from=path)
    assert no_values.status_code == 422 and field_error(no_values, "values_2", "至少")
    nothing = owner.post(
        f"{path}/variants",
        axes_form(axis_1="", values_1="", axis_2="", values_2=""),
        token_from=path,
    )
    assert nothing.status_code == 422 and 'id="field-axis_1"' in text(nothing)
    partial = owner.post(
        f"{path}/variants", axes_form(values_1="曜石黑=BLK, 冰霜银"), token_from=path
    )
    assert partial.status_code == 422 and 'id="field-values_1"' in text(partial)
    repeated = owner.post(f"{path}/variants", axes_form(values_2="8G, 8G"), token_from=path)
    assert repeated.status_code == 422 and "has-error" in text(repeated)
    with db.transaction(acme.id) as session:
        assert session.query(Sku).filter_by(product_id=p40).count() == 0


def sku_rows(skus: list[Sku], **changes_by_index) -> dict[str, object]:
    data: dict[str, object] = {}
    for index, sku in enumerate(skus):
        row = {
            "id": sku.id,
            "code": sku.code,
            "barcode": sku.barcode,
            "moq": sku.moq,
            "order_multiple": sku.order_multiple,
            "weight_g": sku.weight_g or "",
            "length_mm": "",
            "width_mm": "",
            "height_mm": "",
            "msrp": f"{sku.msrp:.2f}",
            "base_price": f"{sku.base_price:.2f}",
            "status": sku.status.value,
            **changes_by_index.get(f"row{index}", {}),
        }
        data.update({f"skus-{index}-{k}": v for k, v in row.items()})
    return data


def test_the_sku_table_is_saved_in_place(acme, catalog, owner, db):
    pid = catalog.products["MATE60P"]
    path = edit_path(pid)
    with db.transaction(acme.id) as session:
        skus = session.query(Sku).filter_by(product_id=pid).order_by(Sku.position).all()
        data = sku_rows(
            skus,
            row0={"base_price": "5,899.00", "moq": 2, "order_multiple": 2, "length_mm": 163},
            row3={"status": "discontinued", "barcode": ""},
        )
    response = owner.post(f"{path}/skus", data, token_from=path)
    assert response.status_code == 302, text(response)
    with db.transaction(acme.id) as session:
        skus = session.query(Sku).filter_by(product_id=pid).order_by(Sku.position).all()
        assert (skus[0].base_price, skus[0].moq, skus[0].length_mm) == (Decimal("5899.00"), 2, 163)
        assert (skus[3].status.value, skus[3].barcode) == ("discontinued", "")


def test_a_bad_sku_row_changes_no_row(acme, catalog, owner, db):
    pid = catalog.products["MATE60P"]
    path = edit_path(pid)
    with db.transaction(acme.id) as session:
        skus = session.query(Sku).filter_by(product_id=pid).order_by(Sku.position).all()
        data = sku_rows(
            skus,
            row0={"base_price": "1.00"},
            row1={"barcode": "6941487200021"},
            row2={"moq": 3, "order_multiple": 2},
        )
    response = owner.post(f"{path}/skus", data, token_from=path)
    assert response.status_code == 422
    page = text(response)
    assert re.search(
        r'data-sku="MATE60P-BLK-512".*?校验位|data-sku="MATE60P-BLK-512".*?check digit', page, re.S
    )
    assert re.search(r'data-sku="MATE60P-SLV-256" class="has-error"', page)
    with db.transaction(acme.id) as session:
        first = session.query(Sku).filter_by(code="MATE60P-BLK-256").one()
        assert first.base_price == Decimal("5999.00")


def test_a_sku_of_another_product_is_not_saved_through_this_one(acme, catalog, owner, db):
    path = edit_path(catalog.products["CHG66"])
    with db.transaction(acme.id) as session:
        skus = [session.query(Sku).filter_by(code="MATE60P-BLK-256").one()]
        data = sku_rows(skus, row0={"base_price": "1.00"})
    assert owner.post(f"{path}/skus", data, token_from=path).status_code == 404


# --- specs ---------------------------------------------------------------------------------


@pytest.fixture
def phone_template(acme, catalog, db):
    with db.transaction(acme.id) as session:
        session.add_all(
            [
                SpecAttribute(
                    category_id=catalog.categories["PHONE"],
                    code="screen",
                    name_zh="屏幕尺寸",
                    kind=SpecKind.NUMBER,
                    unit="英寸",
                ),
                SpecAttribute(
                    category_id=catalog.categories["PHONE"],
                    code="network",
                    name_zh="网络",
                    kind=SpecKind.CHOICE,
                    choices=["4G", "5G"],
                    position=1,
                ),
            ]
        )
        session.flush()
        return {a.code: a.id for a in session.query(SpecAttribute)}


def test_specs_are_filled_from_the_category_template(acme, catalog, phone_template, owner, db):
    pid = catalog.products["MATE60P"]
    path = edit_path(pid)
    page = text(owner.get(path))
    assert "屏幕尺寸 (英寸)" in page and '<option value="5G">5G</option>' in page
    screen, network = (f"spec_{phone_template[c]}" for c in ("screen", "network"))
    saved = owner.post(f"{path}/specs", {screen: "6.82", network: "5G"}, token_from=path)
    assert saved.status_code == 302, text(saved)
    with db.transaction(acme.id) as session:
        values = {s.attribute.code: s.value for s in session.query(ProductSpec)}
        assert values == {"screen": "6.82", "network": "5G"}
    bad = owner.post(f"{path}/specs", {screen: "六寸", network: "5G"}, token_from=path)
    assert bad.status_code == 422 and 'id="field-' + screen + '"' in text(bad)
    assert field_error(bad, screen, "数字") or field_error(bad, screen, "number")
    wrong_choice = owner.post(f"{path}/specs", {screen: "", network: "6G"}, token_from=path)
    assert wrong_choice.status_code == 422 and field_error(wrong_choice, network, "5G")
    with db.transaction(acme.id) as session:
        assert session.query(ProductSpec).count() == 2


def test_a_product_without_a_category_has_no_specs_form(acme, p40, owner):
    page = text(owner.get(edit_path(p40)))
    assert "选择分类后即可填写规格参数" in page or "Choose a category" in page


# --- images --------------------------------------------------------------------------------


def upload(owner, pid: int, data: bytes, name: str = "front.png"):
    import io

    path = edit_path(pid)
    return owner.post(
        f"{path}/images",
        {"image": (io.BytesIO(data), name), "alt": "正面"},
        token_from=path,
        content_type="multipart/form-data",
    )


def test_images_are_uploaded_reordered_made_main_and_deleted(acme, catalog, owner, db):
    pid = catalog.products["MATE60P"]
    for name in ("a.png", "b.png", "c.png"):
        assert upload(owner, pid, png(), name).status_code == 302
    with db.transaction(acme.id) as session:
        first, second, third = (
            i.id for i in session.query(ProductImage).filter_by(product_id=pid).order_by("position")
        )
    listing = text(owner.get("/console/catalog/products"))
    thumb = f"/console/catalog/products/{pid}/images/{first}/file"
    assert thumb in listing
    served = owner.get(thumb)
    assert served.status_code == 200 and served.mimetype == "image/png"
    path = edit_path(pid)

    def act(image_id: int, action: str):
        return owner.post(f"{path}/images/{image_id}", {"action": action}, token_from=path)

    assert act(third, "main").status_code == 302
    assert act(first, "down").status_code == 302
    assert act(second, "up").status_code == 302

    def order() -> list[int]:
        with db.transaction(acme.id) as session:
            rows = session.query(ProductImage).filter_by(product_id=pid).order_by("position")
            return [i.id for i in rows]

    assert order() == [second, third, first]
    assert act(second, "delete").status_code == 302
    assert order() == [third, first]
    assert act(first, "explode").status_code == 400


def test_a_file_that_is_not_an_image_is_refused_next_to_the_field(acme, catalog, owner, db):
    pid = catalog.products["MATE60P"]
    response = upload(owner, pid, b"<svg onload=alert(1)>", "evil.png")
    assert response.status_code == 422 and 'id="field-image"' in text(response)
    assert re.search(r'id="field-image".*?class="errors"', text(response), re.S)
    path = edit_path(pid)
    nothing = owner.post(f"{path}/images", {"alt": "x"}, token_from=path)
    assert nothing.status_code == 422 and field_error(nothing, "image", "请选择文件")
    with db.transaction(acme.id) as session:
        assert session.query(ProductImage).count() == 0


# --- relations and visibility ---------------------------------------------------------------


def test_related_products_are_linked_by_code_and_removed(acme, catalog, owner, db):
    pid = catalog.products["MATE60P"]
    path = edit_path(pid)
    linked = owner.post(
        f"{path}/relations", {"kind": "accessory", "related_code": "chg66"}, token_from=path
    )
    assert linked.status_code == 302, text(linked)
    assert 'data-relation="accessory:CHG66"' in text(owner.get(path))
    unknown = owner.post(
        f"{path}/relations", {"kind": "accessory", "related_code": "NOPE"}, token_from=path
    )
    assert unknown.status_code == 422 and 'id="field-related_code"' in text(unknown)
    itself = owner.post(
        f"{path}/relations", {"kind": "replacement", "related_code": "MATE60P"}, token_from=path
    )
    assert itself.status_code == 422 and "has-error" in text(itself)
    charger = catalog.products["CHG66"]
    removed = owner.post(f"{path}/relations/{charger}/accessory/remove", {}, token_from=path)
    assert removed.status_code == 302
    with db.transaction(acme.id) as session:
        assert session.query(ProductRelation).count() == 0


def test_visibility_is_set_by_tier_and_dealer(acme, catalog, owner, db):
    pid = catalog.products["CHG66"]
    path = edit_path(pid)
    response = owner.post(
        f"{path}/visibility",
        {"tiers": "a, b", "dealer_ids": [acme.other_dealer_id]},
        token_from=path,
    )
    assert response.status_code == 302, text(response)
    with db.transaction(acme.id) as session:
        rules = {
            (r.scope, r.value) for r in session.query(ProductVisibility).filter_by(product_id=pid)
        }
        assert rules == {
            (VisibilityScope.TIER, "A"),
            (VisibilityScope.TIER, "B"),
            (VisibilityScope.DEALER, str(acme.other_dealer_id)),
        }
    assert 'value="A, B"' in text(owner.get(path))
    bad = owner.post(f"{path}/visibility", {"tiers": "a-1"}, token_from=path)
    assert bad.status_code == 422 and 'id="field-tiers"' in text(bad)
    assert re.search(r'id="field-tiers".*?class="errors"', text(bad), re.S)
    cleared = owner.post(f"{path}/visibility", {"tiers": ""}, token_from=path)
    assert cleared.status_code == 302
    with db.transaction(acme.id) as session:
        assert session.query(ProductVisibility).filter_by(product_id=pid).count() == 0
