"""The catalog service as the console and imports call it: rules hold without the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from dinghuo.core.catalog import rules, service
from dinghuo.core.catalog.models import Product, ProductStatus, SearchDocument, Sku
from dinghuo.core.catalog.visibility import product_for_dealer, visible_to
from dinghuo.core.crm.models import Dealer
from dinghuo.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.models import AuditEntry
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import principal_for_user
from dinghuo.platform.events.models import OutboxEvent


@pytest.fixture
def acme_session(acme, db):
    session = db.session(acme.id)
    yield session
    session.rollback()
    session.close()


def actor(session, world, who):
    return principal_for_user(session.get(User, world.users[who].id))


def fields_of(excinfo) -> list[str]:
    return list(excinfo.value.fields)


# --- rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("barcode", ["6941487200016", "96385074", "036000291452", ""])
def test_valid_ean_and_upc_barcodes_are_accepted(barcode):
    assert rules.validate_barcode(barcode) == barcode


@pytest.mark.parametrize("barcode", ["6941487200012", "12345", "69414872000A1", "9638507５"])
def test_barcodes_with_a_wrong_check_digit_length_or_characters_are_refused(barcode):
    with pytest.raises(ValidationFailed) as excinfo:
        rules.validate_barcode(barcode)
    assert fields_of(excinfo) == ["barcode"]


@pytest.mark.parametrize("code", ["MATE60P-雅丹黑-12+512G", "a b", "-X", ""])
def test_sku_codes_must_be_ascii(code):
    with pytest.raises(ValidationFailed) as excinfo:
        rules.validate_sku_code(code)
    assert fields_of(excinfo) == ["code"]


def test_sku_codes_are_upper_cased():
    assert rules.validate_sku_code(" mate60p-blk ") == "MATE60P-BLK"


@pytest.mark.parametrize("amount", [0.5, "-1", "1.001", "NaN", "abc", True, None])
def test_money_is_a_non_negative_string_with_cents(amount):
    with pytest.raises(ValidationFailed):
        rules.validate_money("msrp", amount)


# --- products and SKUs ---------------------------------------------------------------------


def test_a_matrix_generates_every_combination_with_ascii_codes(acme, acme_session):
    owner = actor(acme_session, acme, "owner")
    product = service.create_product(
        acme_session,
        owner,
        code="P50",
        name_zh="鼎新 P50",
        matrix={
            "axes": [
                {"name": "颜色", "values": ["雅丹黑", "白沙银"], "codes": ["BLK", "SLV"]},
                {"name": "内存", "values": ["8+256G", "12+512G"]},
            ],
            "defaults": {"base_price": "3999.00", "moq": 2, "order_multiple": 2},
        },
    )

    assert product.variant_axes == ["颜色", "内存"]
    assert [s.code for s in product.skus] == [
        "P50-BLK-8-256G",
        "P50-BLK-12-512G",
        "P50-SLV-8-256G",
        "P50-SLV-12-512G",
    ]
    assert product.skus[1].variant == {"颜色": "雅丹黑", "内存": "12+512G"}
    assert all(s.base_price == Decimal("3999.00") and s.moq == 2 for s in product.skus)


def test_matrix_values_without_ascii_are_numbered(acme, acme_session):
    product = service.create_product(
        acme_session,
        None,
        code="P60",
        name_zh="P60",
        matrix={"axes": [{"name": "颜色", "values": ["雅丹黑", "白沙银"]}]},
    )
    assert [s.code for s in product.skus] == ["P60-1", "P60-2"]


def test_creating_a_product_is_audited_announced_and_indexed(acme, acme_session):
    owner = actor(acme_session, acme, "owner")
    product = service.create_product(
        acme_session,
        owner,
        code="nova12",
        name_zh="鼎新 nova 12",
        variant_axes=["颜色"],
        skus=[{"code": "NOVA12-BLK", "variant": {"颜色": "曜金黑"}, "barcode": "6941487200115"}],
    )

    assert product.code == "NOVA12"
    audit = acme_session.scalars(select(AuditEntry.action)).all()
    assert "product.create" in audit
    events = acme_session.scalars(select(OutboxEvent.type)).all()
    assert "product.created" in events
    docs = acme_session.scalars(
        select(SearchDocument).where(SearchDocument.product_id == product.id)
    ).all()
    assert [d.sku_id for d in docs] == [product.skus[0].id]


def test_a_duplicate_sku_code_is_a_conflict_naming_the_field(acme, acme_session, catalog):
    with pytest.raises(Conflict) as excinfo:
        service.create_product(
            acme_session,
            None,
            code="NEW1",
            name_zh="新",
            skus=[{"code": "mate60p-blk-256"}],
        )
    assert fields_of(excinfo) == ["skus[0].code"]


def test_a_duplicate_product_code_is_a_conflict_naming_code(acme, acme_session, catalog):
    with pytest.raises(Conflict) as excinfo:
        service.create_product(acme_session, None, code="MATE60P", name_zh="重复")
    assert fields_of(excinfo) == ["code"]


def test_moq_must_be_a_multiple_of_the_order_multiple(acme, acme_session, catalog):
    with pytest.raises(ValidationFailed) as excinfo:
        service.update_sku(acme_session, None, catalog.skus["CHG66-WHT"], moq=15)
    assert fields_of(excinfo) == ["moq"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("moq", 0),
        ("order_multiple", 0),
        ("weight_g", -1),
        ("msrp", "-0.01"),
        ("base_price", "abc"),
        ("barcode", "6941487200012"),
        ("status", "gone"),
        ("variant", {"颜色": "黑"}),
    ],
)
def test_bad_sku_fields_are_refused_by_name_and_change_nothing(
    acme, acme_session, catalog, field, value
):
    sku_id = catalog.skus["MATE60P-BLK-256"]
    with pytest.raises(ValidationFailed) as excinfo:
        service.update_sku(acme_session, None, sku_id, **{field: value})
    assert fields_of(excinfo) == [field]
    acme_session.expire_all()
    assert acme_session.get(Sku, sku_id).moq == 1


def test_updating_a_sku_emits_product_updated(acme, acme_session, catalog):
    service.update_sku(acme_session, None, catalog.skus["MATE60P-BLK-256"], base_price="5899.00")
    event = acme_session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.type == "product.updated")
        .order_by(OutboxEvent.id.desc())
        .limit(1)
    ).one()
    assert event.payload["fields"] == ["skus.base_price"]


def test_sales_may_read_but_not_change_the_catalog(acme, acme_session, catalog):
    sales = actor(acme_session, acme, "sales")
    assert service.get_product(acme_session, sales, catalog.products["MATE60P"]).code == "MATE60P"
    with pytest.raises(PermissionDenied):
        service.update_product(acme_session, sales, catalog.products["MATE60P"], name_zh="x")


# --- categories ----------------------------------------------------------------------------


def test_a_category_cannot_move_under_its_own_descendant(acme, acme_session, catalog):
    with pytest.raises(ValidationFailed) as excinfo:
        service.move_category(
            acme_session,
            None,
            catalog.categories["DIGITAL"],
            parent_id=catalog.categories["PHONE"],
        )
    assert fields_of(excinfo) == ["parent_id"]


def test_moving_a_category_renumbers_both_sets_of_siblings(acme, acme_session, catalog):
    moved = service.move_category(
        acme_session, None, catalog.categories["ACC"], parent_id=None, position=0
    )
    roots = service.category_tree(acme_session, None)
    assert [n.category.code for n in roots] == ["ACC", "DIGITAL"]
    assert moved.position == 0
    digital = roots[1]
    assert [(n.category.code, n.category.position) for n in digital.children] == [("PHONE", 0)]


def test_a_category_with_children_or_products_cannot_be_deleted(acme, acme_session, catalog):
    with pytest.raises(Conflict):
        service.delete_category(acme_session, None, catalog.categories["DIGITAL"])
    with pytest.raises(Conflict):
        service.delete_category(acme_session, None, catalog.categories["PHONE"])


def test_the_spec_template_includes_ancestors_and_values_are_checked_by_kind(
    acme, acme_session, catalog
):
    service.create_attribute(
        acme_session,
        None,
        catalog.categories["DIGITAL"],
        code="weight",
        name_zh="重量",
        kind="number",
        unit="g",
    )
    service.create_attribute(
        acme_session,
        None,
        catalog.categories["PHONE"],
        code="chipset",
        name_zh="芯片",
        kind="choice",
        choices=["麒麟9000S", "骁龙8"],
    )
    phone = catalog.products["MATE60P"]
    lines = service.set_specs(acme_session, None, phone, {"weight": "225", "chipset": "麒麟9000S"})
    assert [(line.attribute.code, line.value) for line in lines] == [
        ("weight", "225"),
        ("chipset", "麒麟9000S"),
    ]
    with pytest.raises(ValidationFailed) as excinfo:
        service.set_specs(acme_session, None, phone, {"weight": "heavy"})
    assert fields_of(excinfo) == ["specs.weight"]
    with pytest.raises(ValidationFailed) as excinfo:
        service.set_specs(acme_session, None, phone, {"chipset": "天玑"})
    assert fields_of(excinfo) == ["specs.chipset"]


# --- visibility and dealer codes -----------------------------------------------------------


def test_a_tier_a_product_is_hidden_from_a_tier_c_dealer(acme, acme_session, catalog):
    tier_a = acme_session.get(Dealer, acme.dealer_id)
    tier_c = acme_session.get(Dealer, acme.other_dealer_id)
    launch = catalog.products["X7"]

    assert product_for_dealer(acme_session, tier_a, launch).code == "X7"
    with pytest.raises(NotFound):
        product_for_dealer(acme_session, tier_c, launch)
    visible = acme_session.scalars(select(Product.code).where(visible_to(tier_c))).all()
    assert sorted(visible) == ["CHG66", "MATE60P"]


def test_a_dealer_rule_shows_a_product_to_that_dealer_only(acme, acme_session, catalog):
    service.set_visibility(
        acme_session,
        None,
        catalog.products["X7"],
        [{"scope": "dealer", "value": str(acme.other_dealer_id)}],
    )
    tier_a = acme_session.get(Dealer, acme.dealer_id)
    tier_c = acme_session.get(Dealer, acme.other_dealer_id)
    assert product_for_dealer(acme_session, tier_c, catalog.products["X7"])
    with pytest.raises(NotFound):
        product_for_dealer(acme_session, tier_a, catalog.products["X7"])


def test_visibility_rules_must_name_groups_and_dealers_of_the_tenant(
    acme, globex, acme_session, catalog
):
    with pytest.raises(ValidationFailed) as excinfo:
        service.set_visibility(
            acme_session,
            None,
            catalog.products["X7"],
            [{"scope": "dealer", "value": str(globex.dealer_id)}],
        )
    assert fields_of(excinfo) == ["rules[0].value"]


def test_draft_products_are_hidden_from_dealers(acme, acme_session, catalog):
    service.update_product(
        acme_session, None, catalog.products["CHG66"], status=ProductStatus.DRAFT
    )
    dealer = acme_session.get(Dealer, acme.dealer_id)
    with pytest.raises(NotFound):
        product_for_dealer(acme_session, dealer, catalog.products["CHG66"])


def test_sku_for_code_accepts_the_code_the_barcode_or_the_dealers_own_code(
    acme, acme_session, catalog
):
    buyer = actor(acme_session, acme, "buyer")
    sku_id = catalog.skus["MATE60P-BLK-512"]
    service.create_my_sku_code(acme_session, buyer, sku_id=sku_id, code="hw-m60-b512")

    assert service.sku_for_code(acme_session, "mate60p-blk-512").id == sku_id
    assert service.sku_for_code(acme_session, "6941487200023").id == sku_id
    assert service.sku_for_code(acme_session, "HW-M60-B512", acme.dealer_id).id == sku_id
    assert service.sku_for_code(acme_session, "HW-M60-B512", acme.other_dealer_id) is None
    assert service.sku_for_code(acme_session, "HW-M60-B512") is None


def test_a_dealer_cannot_record_a_code_for_a_product_hidden_from_it(acme, acme_session, catalog):
    other = actor(acme_session, acme, "other_buyer")
    with pytest.raises(ValidationFailed) as excinfo:
        service.create_my_sku_code(
            acme_session, other, sku_id=catalog.skus["X7-BLK-1T"], code="MINE"
        )
    assert fields_of(excinfo) == ["sku_id"]
