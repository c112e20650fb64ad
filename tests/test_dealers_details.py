"""A dealer's addresses and contacts, dealer groups, and a dealer user's own account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dinghuo.core.crm.models import DealerAddress, DealerGroupMember
from dinghuo.platform.audit.models import AuditEntry


def address(**overrides):
    body = {
        "kind": "ship_to",
        "label": "仓库",
        "recipient": "王经理",
        "phone": "+86 138 0000 0000",
        "province": "上海市",
        "city": "上海市",
        "district": "徐汇区",
        "street": "漕溪北路 88 号",
        "postal_code": "200030",
    }
    body.update(overrides)
    return body


def defaults(api, world, dealer_id):
    """(label, kind) of each default address, as staff read them."""
    listed = api(world, "warehouse").get(f"/api/v1/dealers/{dealer_id}/addresses")
    assert listed.status_code == 200, listed.json
    return sorted((a["label"], a["kind"]) for a in listed.json if a["is_default"])


def audit_actions(db, tenant_id):
    with db.transaction(tenant_id) as session:
        return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --- addresses ----------------------------------------------------------------------------


def test_first_address_of_each_kind_becomes_its_default(acme, api, db):
    sales = api(acme, "sales")
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"

    first = sales.post(url, json=address(label="A"))
    second = sales.post(url, json=address(label="B"))
    bill = sales.post(url, json=address(label="C", kind="bill_to"))

    assert first.status_code == 201, first.json
    assert (first.json["is_default"], second.json["is_default"]) == (True, False)
    assert bill.json["is_default"] is True
    assert defaults(api, acme, acme.dealer_id) == [("A", "ship_to"), ("C", "bill_to")]
    assert audit_actions(db, acme.id).count("dealer.address.create") == 3


def test_a_new_default_replaces_the_old_one_of_its_kind_only(acme, api):
    sales = api(acme, "sales")
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"
    sales.post(url, json=address(label="A"))
    sales.post(url, json=address(label="Bill", kind="bill_to"))

    sales.post(url, json=address(label="B", is_default=True))

    assert defaults(api, acme, acme.dealer_id) == [("B", "ship_to"), ("Bill", "bill_to")]


def test_patch_makes_an_older_address_the_default(acme, api):
    sales = api(acme, "sales")
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"
    a = sales.post(url, json=address(label="A")).json
    sales.post(url, json=address(label="B", is_default=True))

    response = sales.patch(f"{url}/{a['id']}", json={"is_default": True, "city": "苏州市"})

    assert response.status_code == 200, response.json
    assert response.json["city"] == "苏州市"
    assert defaults(api, acme, acme.dealer_id) == [("A", "ship_to")]


def test_the_default_cannot_be_unset_directly(acme, api):
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"
    a = api(acme, "sales").post(url, json=address(label="A")).json

    response = api(acme, "sales").patch(f"{url}/{a['id']}", json={"is_default": False})

    assert response.status_code == 422, response.json
    assert "is_default" in response.json["error"]["fields"]
    assert defaults(api, acme, acme.dealer_id) == [("A", "ship_to")]


def test_moving_the_default_to_another_kind_hands_its_old_kind_to_the_next(acme, api):
    sales = api(acme, "sales")
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"
    a = sales.post(url, json=address(label="A")).json
    sales.post(url, json=address(label="B"))
    sales.post(url, json=address(label="Bill", kind="bill_to"))

    response = sales.patch(f"{url}/{a['id']}", json={"kind": "bill_to"})

    assert response.status_code == 200, response.json
    assert response.json["is_default"] is False
    assert defaults(api, acme, acme.dealer_id) == [("B", "ship_to"), ("Bill", "bill_to")]


def test_moving_an_address_to_a_kind_as_its_default(acme, api):
    sales = api(acme, "sales")
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"
    a = sales.post(url, json=address(label="A")).json
    sales.post(url, json=address(label="Bill", kind="bill_to"))

    response = sales.patch(f"{url}/{a['id']}", json={"kind": "bill_to", "is_default": True})

    assert response.status_code == 200, response.json
    assert defaults(api, acme, acme.dealer_id) == [("A", "bill_to")]


def test_deleting_the_default_promotes_the_oldest_remaining_of_its_kind(acme, api, db):
    sales = api(acme, "sales")
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"
    a = sales.post(url, json=address(label="A")).json
    sales.post(url, json=address(label="B"))
    sales.post(url, json=address(label="C"))

    response = sales.delete(f"{url}/{a['id']}")

    assert response.status_code == 204
    assert defaults(api, acme, acme.dealer_id) == [("B", "ship_to")]
    assert sales.get(f"{url}/{a['id']}").status_code == 404
    assert "dealer.address.delete" in audit_actions(db, acme.id)


def test_database_refuses_two_defaults_of_one_kind(acme, api, db):
    from sqlalchemy.exc import IntegrityError

    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"
    api(acme, "sales").post(url, json=address(label="A"))
    second = api(acme, "sales").post(url, json=address(label="B")).json

    with pytest.raises(IntegrityError), db.transaction(acme.id) as session:
        session.get(DealerAddress, second["id"]).is_default = True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "home"),
        ("recipient", ""),
        ("phone", "1" * 41),
        ("street", "路" * 301),
        ("province", None),
    ],
)
def test_invalid_address_is_refused_naming_the_field(acme, api, field, value):
    url = f"/api/v1/dealers/{acme.dealer_id}/addresses"

    response = api(acme, "sales").post(url, json=address(**{field: value}))

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert api(acme, "sales").get(url).json == []


def test_an_address_is_reached_only_through_its_own_dealer(acme, globex, api):
    own = api(acme, "sales").post(
        f"/api/v1/dealers/{acme.dealer_id}/addresses", json=address(label="A")
    )
    foreign = api(globex, "sales").post(
        f"/api/v1/dealers/{globex.dealer_id}/addresses", json=address(label="G")
    )
    sales = api(acme, "sales")

    wrong_dealer = f"/api/v1/dealers/{acme.other_dealer_id}/addresses/{own.json['id']}"
    assert sales.patch(wrong_dealer, json={"label": "X"}).status_code == 404
    assert sales.delete(wrong_dealer).status_code == 404
    across = f"/api/v1/dealers/{acme.dealer_id}/addresses/{foreign.json['id']}"
    assert sales.patch(across, json={"label": "X"}).status_code == 404
    assert sales.delete(across).status_code == 404
    assert defaults(api, globex, globex.dealer_id) == [("G", "ship_to")]
    assert defaults(api, acme, acme.dealer_id) == [("A", "ship_to")]


# --- contacts -----------------------------------------------------------------------------


def test_contacts_are_added_changed_and_removed(acme, api, db):
    sales = api(acme, "sales")
    url = f"/api/v1/dealers/{acme.dealer_id}/contacts"

    created = sales.post(
        url, json={"name": "李娜", "title": "采购经理", "phone": "021-5555", "email": "Li@Shop.CN"}
    )
    assert created.status_code == 201, created.json
    assert created.json["email"] == "li@shop.cn"
    contact_url = f"{url}/{created.json['id']}"

    changed = sales.patch(contact_url, json={"title": "总经理"})
    assert changed.status_code == 200, changed.json
    assert changed.json["title"] == "总经理"
    assert [c["name"] for c in sales.get(url).json] == ["李娜"]

    assert sales.delete(contact_url).status_code == 204
    assert sales.get(url).json == []
    assert sales.get(contact_url).status_code == 404
    actions = audit_actions(db, acme.id)
    for action in ("dealer.contact.create", "dealer.contact.update", "dealer.contact.delete"):
        assert action in actions


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("name", ""), ("title", "x" * 101), ("nickname", "x")],
)
def test_invalid_contact_is_refused_naming_the_field(acme, api, field, value):
    url = f"/api/v1/dealers/{acme.dealer_id}/contacts"

    response = api(acme, "sales").post(url, json={"name": "李娜", field: value})

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    assert api(acme, "sales").get(url).json == []


def test_another_tenants_contact_is_not_found_and_kept(acme, globex, api):
    created = api(globex, "sales").post(
        f"/api/v1/dealers/{globex.dealer_id}/contacts", json={"name": "G"}
    )
    url = f"/api/v1/dealers/{acme.dealer_id}/contacts/{created.json['id']}"

    assert api(acme, "owner").delete(url).status_code == 404
    assert api(acme, "owner").patch(url, json={"name": "X"}).status_code == 404
    kept = api(globex, "sales").get(f"/api/v1/dealers/{globex.dealer_id}/contacts").json
    assert [c["name"] for c in kept] == ["G"]


# --- dealer groups ------------------------------------------------------------------------


def test_groups_are_created_renamed_listed_and_deleted(acme, api, db):
    owner = api(acme, "owner")

    created = owner.post("/api/v1/dealer-groups", json={"code": "east-key", "name": "华东重点"})
    assert created.status_code == 201, created.json
    assert created.json["code"] == "EAST-KEY"
    url = f"/api/v1/dealer-groups/{created.json['id']}"
    renamed = owner.patch(url, json={"name": "华东重点客户"})
    assert renamed.json["name"] == "华东重点客户"
    assert owner.get(url).json["name"] == "华东重点客户"
    owner.post("/api/v1/dealer-groups", json={"code": "A-TEAM", "name": "A"})
    listed = owner.get("/api/v1/dealer-groups?limit=1")
    assert [g["code"] for g in listed.json["items"]] == ["A-TEAM"]
    assert listed.json["next_cursor"]

    assert owner.delete(url).status_code == 204
    assert owner.get(url).status_code == 404
    actions = audit_actions(db, acme.id)
    for action in ("dealer_group.create", "dealer_group.update", "dealer_group.delete"):
        assert action in actions


def test_group_code_is_unique_per_tenant(acme, globex, api):
    api(acme, "owner").post("/api/v1/dealer-groups", json={"code": "KEY", "name": "重点"})

    duplicate = api(acme, "owner").post("/api/v1/dealer-groups", json={"code": "key", "name": "x"})

    assert duplicate.status_code == 422, duplicate.json
    assert "code" in duplicate.json["error"]["fields"]
    elsewhere = api(globex, "owner").post(
        "/api/v1/dealer-groups", json={"code": "KEY", "name": "x"}
    )
    assert elsewhere.status_code == 201


def test_deleting_a_group_removes_its_memberships_only(acme, api, db):
    owner = api(acme, "owner")
    key = owner.post("/api/v1/dealer-groups", json={"code": "KEY", "name": "重点"}).json
    east = owner.post("/api/v1/dealer-groups", json={"code": "EAST", "name": "华东"}).json
    owner.patch(f"/api/v1/dealers/{acme.dealer_id}", json={"group_ids": [key["id"], east["id"]]})

    assert owner.delete(f"/api/v1/dealer-groups/{key['id']}").status_code == 204

    dealer = owner.get(f"/api/v1/dealers/{acme.dealer_id}").json
    assert [g["code"] for g in dealer["groups"]] == ["EAST"]
    with db.transaction(acme.id) as session:
        assert list(session.scalars(select(DealerGroupMember.group_id))) == [east["id"]]


def test_another_tenants_group_is_not_found_and_kept(acme, globex, api):
    foreign = api(globex, "owner").post("/api/v1/dealer-groups", json={"code": "G", "name": "G"})
    url = f"/api/v1/dealer-groups/{foreign.json['id']}"

    assert api(acme, "owner").get(url).status_code == 404
    assert api(acme, "owner").patch(url, json={"name": "X"}).status_code == 404
    assert api(acme, "owner").delete(url).status_code == 404
    assert api(globex, "owner").get(url).json["name"] == "G"


def test_warehouse_reads_groups_but_cannot_change_them(acme, api):
    created = api(acme, "owner").post("/api/v1/dealer-groups", json={"code": "G", "name": "G"})
    url = f"/api/v1/dealer-groups/{created.json['id']}"
    warehouse = api(acme, "warehouse")

    assert warehouse.get(url).status_code == 200
    assert warehouse.patch(url, json={"name": "X"}).status_code == 403
    assert warehouse.delete(url).status_code == 403
    assert api(acme, "buyer").get("/api/v1/dealer-groups").status_code == 403


def test_invalid_group_is_refused_naming_the_field(acme, api):
    response = api(acme, "owner").post(
        "/api/v1/dealer-groups", json={"code": "有空 格", "name": "x"}
    )

    assert response.status_code == 422, response.json
    assert "code" in response.json["error"]["fields"]


# --- a dealer user's own account ----------------------------------------------------------


def test_a_dealer_user_reads_their_own_account_with_addresses_and_contacts(acme, api):
    sales = api(acme, "sales")
    group = api(acme, "owner").post("/api/v1/dealer-groups", json={"code": "KEY", "name": "重点"})
    sales.patch(
        f"/api/v1/dealers/{acme.dealer_id}",
        json={
            "sales_rep_id": acme.users["sales"].id,
            "credit_limit": "8000",
            "group_ids": [group.json["id"]],
        },
    )
    sales.post(f"/api/v1/dealers/{acme.dealer_id}/addresses", json=address(label="A"))
    sales.post(f"/api/v1/dealers/{acme.dealer_id}/contacts", json={"name": "李娜"})

    response = api(acme, "buyer").get("/api/v1/my/dealer")

    assert response.status_code == 200, response.json
    mine = response.json
    assert mine["id"] == acme.dealer_id
    assert mine["credit_limit"] == "8000.00"
    assert mine["currency"] == "CNY"
    assert mine["sales_rep"]["email"] == "sales@acme.test"
    assert [a["label"] for a in mine["addresses"]] == ["A"]
    assert [c["name"] for c in mine["contacts"]] == ["李娜"]
    assert "groups" not in mine and "suspended_reason" not in mine


def test_each_dealer_user_sees_only_their_own_dealer(acme, api):
    assert api(acme, "other_buyer").get("/api/v1/my/dealer").json["id"] == acme.other_dealer_id
    assert api(acme, "dealer_admin").get("/api/v1/my/dealer").json["id"] == acme.dealer_id


def test_staff_have_no_own_dealer(acme, api):
    assert api(acme, "owner").get("/api/v1/my/dealer").status_code == 403
