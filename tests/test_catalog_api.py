"""The catalog API as staff, dealers and integrations use it."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from sqlalchemy import select

from dinghuo.core.catalog import images
from dinghuo.core.catalog.models import Product, ProductImage
from dinghuo.platform.audit.models import AuditEntry


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


def upload(client, product_id, data, name="photo.png", alt=""):
    return client.post(
        f"/api/v1/products/{product_id}/images",
        data={"file": (io.BytesIO(data), name), "alt": alt},
        content_type="multipart/form-data",
    )


# --- products ------------------------------------------------------------------------------


def test_owner_creates_a_product_with_a_generated_matrix(api, acme):
    owner = api(acme, "owner")
    response = owner.post(
        "/api/v1/products",
        json={
            "code": "P70",
            "name_zh": "鼎新 P70",
            "status": "active",
            "matrix": {
                "axes": [
                    {"name": "颜色", "values": ["雅丹黑", "白沙银"], "codes": ["BLK", "SLV"]},
                    {"name": "内存", "values": ["12+256G", "12+512G"]},
                ],
                "defaults": {"base_price": "4999.00", "msrp": "5499.00"},
            },
        },
    )

    assert response.status_code == 201, response.json
    body = response.json
    assert body["variant_axes"] == ["颜色", "内存"]
    assert [s["code"] for s in body["skus"]] == [
        "P70-BLK-12-256G",
        "P70-BLK-12-512G",
        "P70-SLV-12-256G",
        "P70-SLV-12-512G",
    ]
    assert body["skus"][0]["base_price"] == "4999.00"
    assert body["skus"][0]["variant"] == {"颜色": "雅丹黑", "内存": "12+256G"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "雅丹黑", "name_zh": "x"}, "code"),
        ({"code": "OK1", "name_zh": ""}, "name_zh"),
        ({"code": "OK1", "name_zh": "x", "brand_id": 999999}, "brand_id"),
        ({"code": "OK1", "name_zh": "x", "category_id": 999999}, "category_id"),
        ({"code": "OK1", "name_zh": "x", "status": "sold"}, "status"),
        (
            {"code": "OK1", "name_zh": "x", "skus": [{"code": "MATE60P-雅丹黑-12+512G"}]},
            "skus[0].code",
        ),
        (
            {"code": "OK1", "name_zh": "x", "skus": [{"code": "A1", "barcode": "6941487200011"}]},
            "skus[0].barcode",
        ),
        (
            {
                "code": "OK1",
                "name_zh": "x",
                "skus": [{"code": "A1", "moq": 3, "order_multiple": 2}],
            },
            "skus[0].moq",
        ),
        ({"code": "OK1", "name_zh": "x", "skus": [{"code": "A1", "msrp": "-1"}]}, "skus[0].msrp"),
        (
            {"code": "OK1", "name_zh": "x", "skus": [{"code": "A1", "weight_g": -5}]},
            "skus[0].weight_g",
        ),
        ({"code": "OK1", "name_zh": "x", "specs": {"nonsense": "1"}}, "specs.nonsense"),
    ],
)
def test_bad_product_input_is_refused_naming_the_field_and_creates_nothing(
    api, acme, db, catalog, body, field
):
    response = api(acme, "owner").post("/api/v1/products", json=body)

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    with db.transaction(acme.id) as session:
        assert session.scalar(select(Product).where(Product.code == "OK1")) is None


def test_money_as_a_json_number_is_refused(api, acme, catalog):
    response = api(acme, "owner").patch(
        f"/api/v1/skus/{catalog.skus['MATE60P-BLK-256']}", json={"base_price": 5999.5}
    )
    assert response.status_code == 422
    assert "base_price" in response.json["error"]["fields"]


def test_a_duplicate_code_is_a_409_naming_code(api, acme, catalog):
    response = api(acme, "owner").post("/api/v1/products", json={"code": "mate60p", "name_zh": "x"})
    assert response.status_code == 409
    assert list(response.json["error"]["fields"]) == ["code"]


def test_the_same_code_is_fine_in_another_tenant(api, acme, globex, catalog):
    response = api(globex, "owner").post(
        "/api/v1/products", json={"code": "MATE60P", "name_zh": "另一个品牌的"}
    )
    assert response.status_code == 201


def test_updating_a_sku_is_audited(api, acme, db, catalog):
    sku_id = catalog.skus["CHG66-WHT"]
    response = api(acme, "admin").patch(
        f"/api/v1/skus/{sku_id}", json={"moq": 20, "order_multiple": 10, "barcode": "96385074"}
    )

    assert response.status_code == 200, response.json
    assert (response.json["moq"], response.json["barcode"]) == (20, "96385074")
    with db.transaction(acme.id) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sku.update")).one()
    assert entry.details["moq"] == 20


def test_staff_without_catalog_manage_may_read_but_not_change(api, acme, catalog):
    sales = api(acme, "sales")
    product_id = catalog.products["MATE60P"]
    assert sales.get(f"/api/v1/products/{product_id}").status_code == 200
    assert sales.patch(f"/api/v1/products/{product_id}", json={"name_zh": "x"}).status_code == 403
    assert sales.post("/api/v1/brands", json={"code": "X", "name": "X"}).status_code == 403


def test_warehouse_staff_do_not_see_base_prices(api, acme, catalog):
    sku = api(acme, "warehouse").get(f"/api/v1/skus/{catalog.skus['CHG66-WHT']}").json
    assert sku["base_price"] is None
    assert sku["msrp"] == "149.00"


def test_product_lists_are_paginated_and_filtered(api, acme, catalog):
    owner = api(acme, "owner")
    first = owner.get("/api/v1/products?limit=2").json
    assert [p["code"] for p in first["items"]] == ["CHG66", "MATE60P"]
    second = owner.get(f"/api/v1/products?limit=2&cursor={first['next_cursor']}").json
    assert [p["code"] for p in second["items"]] == ["X7"]
    assert second["next_cursor"] is None

    digital = catalog.categories["DIGITAL"]
    in_tree = owner.get(f"/api/v1/products?category_id={digital}").json["items"]
    assert len(in_tree) == 3
    by_barcode = owner.get("/api/v1/products?q=6941487200108").json["items"]
    assert [p["code"] for p in by_barcode] == ["CHG66"]


# --- dealers and visibility ----------------------------------------------------------------


def test_a_tier_c_dealer_never_sees_a_tier_a_product(api, acme, catalog):
    tier_c = api(acme, "other_buyer")
    launch = catalog.products["X7"]

    listed = [p["code"] for p in tier_c.get("/api/v1/products").json["items"]]
    assert listed == ["CHG66", "MATE60P"]
    assert tier_c.get(f"/api/v1/products/{launch}").status_code == 404
    assert tier_c.get(f"/api/v1/skus/{catalog.skus['X7-BLK-1T']}").status_code == 404
    assert tier_c.get(f"/api/v1/products/{launch}/specs").status_code == 404

    tier_a = api(acme, "buyer")
    assert tier_a.get(f"/api/v1/products/{launch}").status_code == 200


def test_visibility_rules_are_replaced_and_validated(api, acme, globex, catalog):
    owner = api(acme, "owner")
    launch = catalog.products["X7"]

    refused = owner.put(
        f"/api/v1/products/{launch}/visibility",
        json={"rules": [{"scope": "group", "value": "999999"}]},
    )
    assert refused.status_code == 422
    assert "rules[0].value" in refused.json["error"]["fields"]

    opened = owner.put(f"/api/v1/products/{launch}/visibility", json={"rules": []})
    assert opened.json == []
    assert api(acme, "other_buyer").get(f"/api/v1/products/{launch}").status_code == 200


def test_dealers_may_not_see_visibility_rules_or_change_products(api, acme, catalog):
    buyer = api(acme, "buyer")
    product_id = catalog.products["MATE60P"]
    assert buyer.get(f"/api/v1/products/{product_id}/visibility").status_code == 403
    assert buyer.patch(f"/api/v1/products/{product_id}", json={"name_zh": "x"}).status_code == 403


def test_another_tenants_product_is_not_found(api, acme, globex, catalog):
    intruder = api(globex, "owner")
    product_id = catalog.products["MATE60P"]
    assert intruder.get(f"/api/v1/products/{product_id}").status_code == 404
    assert (
        intruder.patch(f"/api/v1/products/{product_id}", json={"name_zh": "x"}).status_code == 404
    )


# --- categories ----------------------------------------------------------------------------


def test_a_category_cannot_move_under_its_descendant(api, acme, catalog):
    response = api(acme, "owner").post(
        f"/api/v1/categories/{catalog.categories['DIGITAL']}/move",
        json={"parent_id": catalog.categories["PHONE"]},
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["parent_id"]


def test_moving_a_category_to_the_top_and_reordering(api, acme, catalog):
    owner = api(acme, "owner")
    moved = owner.post(
        f"/api/v1/categories/{catalog.categories['ACC']}/move",
        json={"parent_id": None, "position": 0},
    )
    assert moved.status_code == 200, moved.json
    roots = owner.get("/api/v1/categories?roots=true").json["items"]
    assert [(c["code"], c["position"]) for c in roots] == [("ACC", 0), ("DIGITAL", 1)]


def test_a_category_in_use_cannot_be_deleted(api, acme, catalog):
    owner = api(acme, "owner")
    assert owner.delete(f"/api/v1/categories/{catalog.categories['DIGITAL']}").status_code == 409
    assert owner.delete(f"/api/v1/categories/{catalog.categories['ACC']}").status_code == 409
    empty = owner.post("/api/v1/categories", json={"code": "TAB", "name_zh": "平板"}).json
    assert owner.delete(f"/api/v1/categories/{empty['id']}").status_code == 204


def test_spec_attributes_and_values(api, acme, catalog):
    owner = api(acme, "owner")
    phones = catalog.categories["PHONE"]
    created = owner.post(
        f"/api/v1/categories/{phones}/attributes",
        json={"code": "screen", "name_zh": "屏幕尺寸", "kind": "number", "unit": "英寸"},
    )
    assert created.status_code == 201, created.json
    no_choices = owner.post(
        f"/api/v1/categories/{phones}/attributes",
        json={"code": "chip", "name_zh": "芯片", "kind": "choice"},
    )
    assert no_choices.status_code == 422
    assert "choices" in no_choices.json["error"]["fields"]

    product = catalog.products["MATE60P"]
    bad = owner.put(f"/api/v1/products/{product}/specs", json={"specs": {"screen": "大"}})
    assert bad.status_code == 422
    assert "specs.screen" in bad.json["error"]["fields"]
    good = owner.put(f"/api/v1/products/{product}/specs", json={"specs": {"screen": "6.82"}})
    assert good.json == [
        {
            "attribute_id": created.json["id"],
            "code": "screen",
            "name_zh": "屏幕尺寸",
            "name_en": "",
            "kind": "number",
            "unit": "英寸",
            "filterable": True,
            "value": "6.82",
        }
    ]


def test_relations_refuse_the_product_itself(api, acme, catalog):
    owner = api(acme, "owner")
    phone = catalog.products["MATE60P"]
    refused = owner.put(
        f"/api/v1/products/{phone}/relations",
        json={"relations": [{"related_id": phone, "kind": "accessory"}]},
    )
    assert refused.status_code == 422
    assert "relations[0].related_id" in refused.json["error"]["fields"]

    saved = owner.put(
        f"/api/v1/products/{phone}/relations",
        json={
            "relations": [
                {"related_id": catalog.products["CHG66"], "kind": "accessory"},
                {"related_id": catalog.products["X7"], "kind": "replacement"},
            ]
        },
    )
    assert [(r["related"]["code"], r["kind"]) for r in saved.json] == [
        ("CHG66", "accessory"),
        ("X7", "replacement"),
    ]
    as_tier_c = api(acme, "other_buyer").get(f"/api/v1/products/{phone}/relations").json
    assert [r["related"]["code"] for r in as_tier_c] == ["CHG66"]


def test_brands_and_tags(api, acme, catalog):
    owner = api(acme, "owner")
    assert owner.post("/api/v1/brands", json={"code": "dx", "name": "重复"}).status_code == 409
    tag = owner.post("/api/v1/tags", json={"name": "5G"}).json
    product = catalog.products["MATE60P"]
    tagged = owner.patch(f"/api/v1/products/{product}", json={"tag_ids": [tag["id"]]}).json
    assert [t["name"] for t in tagged["tags"]] == ["5G"]
    assert owner.post("/api/v1/tags", json={"name": "5G"}).status_code == 409
    assert owner.delete(f"/api/v1/brands/{catalog.brands['DX']}").status_code == 409
    assert owner.delete(f"/api/v1/tags/{tag['id']}").status_code == 204
    assert owner.get(f"/api/v1/products/{product}").json["tags"] == []


# --- images --------------------------------------------------------------------------------


def test_images_are_ordered_with_one_main_and_served_to_the_tenant_only(api, acme, globex, catalog):
    owner = api(acme, "owner")
    phone = catalog.products["MATE60P"]
    first = upload(owner, phone, png_bytes())
    assert first.status_code == 201, first.json
    second = upload(owner, phone, WEBP, name="back.webp")
    third = upload(owner, phone, JPEG, name="side.jpg")
    assert [r.json["content_type"] for r in (first, second, third)] == [
        "image/png",
        "image/webp",
        "image/jpeg",
    ]
    assert [r.json["is_main"] for r in (first, second, third)] == [True, False, False]

    order = [third.json["id"], first.json["id"], second.json["id"]]
    reordered = owner.put(f"/api/v1/products/{phone}/images", json={"image_ids": order})
    assert [i["id"] for i in reordered.json] == order
    assert reordered.json[0]["is_main"]

    url = third.json["url"]
    served = owner.get(url)
    assert served.status_code == 200
    assert served.data == JPEG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert api(acme, "buyer").get(url).status_code == 200
    assert api(acme).get(url).status_code == 302
    assert api(globex, "owner").get(url).status_code == 404

    assert owner.delete(f"/api/v1/products/{phone}/images/{third.json['id']}").status_code == 204
    remaining = owner.get(f"/api/v1/products/{phone}/images").json
    assert [(i["id"], i["is_main"]) for i in remaining] == [
        (first.json["id"], True),
        (second.json["id"], False),
    ]
    assert owner.get(url).status_code == 404


def test_images_of_hidden_products_are_not_served_to_the_dealer(api, acme, catalog):
    launch = catalog.products["X7"]
    image = upload(api(acme, "owner"), launch, png_bytes()).json
    assert api(acme, "buyer").get(image["url"]).status_code == 200
    assert api(acme, "other_buyer").get(image["url"]).status_code == 404


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.png"),
        (b"<html><body>hi</body></html>", "photo.jpg"),
        (b"GIF89a" + b"\x00" * 20, "anim.gif"),
        (b"", "empty.png"),
    ],
)
def test_uploads_that_are_not_png_jpeg_or_webp_are_refused_whatever_their_name(
    api, acme, db, catalog, data, name
):
    response = upload(api(acme, "owner"), catalog.products["MATE60P"], data, name=name)

    assert response.status_code == 422
    assert "file" in response.json["error"]["fields"]
    with db.transaction(acme.id) as session:
        assert session.scalars(select(ProductImage)).all() == []


def test_an_image_over_the_size_limit_is_refused(api, acme, catalog, monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 4096)
    big = png_bytes() + b"\x00" * 4096
    response = upload(api(acme, "owner"), catalog.products["MATE60P"], big)
    assert response.status_code == 422
    assert response.json["error"]["fields"]["file"] == ["An image must be at most 4 KB."]


# --- dealers' own codes --------------------------------------------------------------------


def test_dealers_manage_their_own_sku_codes(api, acme, catalog):
    buyer = api(acme, "buyer")
    sku_id = catalog.skus["MATE60P-BLK-512"]

    created = buyer.post("/api/v1/my/sku-codes", json={"sku_id": sku_id, "code": "hw-m60-b"})
    assert created.status_code == 201, created.json
    assert created.json["code"] == "HW-M60-B"
    assert created.json["sku_code"] == "MATE60P-BLK-512"

    duplicate = buyer.post(
        "/api/v1/my/sku-codes", json={"sku_id": catalog.skus["CHG66-WHT"], "code": "HW-M60-B"}
    )
    assert duplicate.status_code == 409
    assert list(duplicate.json["error"]["fields"]) == ["code"]

    other = api(acme, "other_buyer")
    same_code = other.post(
        "/api/v1/my/sku-codes", json={"sku_id": catalog.skus["CHG66-WHT"], "code": "HW-M60-B"}
    )
    assert same_code.status_code == 201
    assert other.get(f"/api/v1/my/sku-codes/{created.json['id']}").status_code == 404

    staff_view = api(acme, "sales").get(f"/api/v1/dealers/{acme.dealer_id}/sku-codes").json
    assert [c["code"] for c in staff_view["items"]] == ["HW-M60-B"]
    assert api(acme, "sales").get("/api/v1/my/sku-codes").status_code == 403

    renamed = buyer.patch(f"/api/v1/my/sku-codes/{created.json['id']}", json={"code": "M60B"})
    assert renamed.json["code"] == "M60B"
    assert buyer.delete(f"/api/v1/my/sku-codes/{created.json['id']}").status_code == 204
    assert buyer.get("/api/v1/my/sku-codes").json["items"] == []


def test_staff_read_a_dealer_code_but_only_its_dealer_changes_it(api, acme, catalog):
    buyer = api(acme, "buyer")
    sku_id = catalog.skus["CHG66-WHT"]
    code = buyer.post("/api/v1/my/sku-codes", json={"sku_id": sku_id, "code": "CHG"}).json
    path = f"/api/v1/my/sku-codes/{code['id']}"

    assert api(acme, "sales").get(path).json["code"] == "CHG"
    assert api(acme, "owner").patch(path, json={"code": "X"}).status_code == 403
    assert api(acme, "owner").delete(path).status_code == 403
    assert api(acme, "other_buyer").patch(path, json={"code": "X"}).status_code == 404
    assert buyer.get(path).json["code"] == "CHG"


def test_an_upload_without_a_file_is_refused_naming_file(api, acme, catalog):
    response = api(acme, "owner").post(
        f"/api/v1/products/{catalog.products['MATE60P']}/images",
        data={"alt": "正面"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["file"]
