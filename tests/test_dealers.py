"""Dealer accounts over the API: creating, changing, listing, suspending, who may do what."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dinghuo.core.crm.models import Dealer
from dinghuo.platform.audit.models import AuditEntry

PASSWORD = "correct-horse-42"  # tests/conftest.py seeds every user with it


def new_dealer(**overrides):
    body = {
        "code": "sh-001",
        "name_zh": "上海数码专营店",
        "name_en": "Shanghai Digital",
        "tier": "b",
        "region": "华东",
        "credit_limit": "50000.00",
        "payment_terms": "net30",
    }
    body.update(overrides)
    return body


def dealer_codes(db, tenant_id):
    with db.transaction(tenant_id) as session:
        return sorted(session.scalars(select(Dealer.code)))


def audit_actions(db, tenant_id, object_id):
    with db.transaction(tenant_id) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.object_id == str(object_id)).order_by(AuditEntry.id)
        )
        return [(e.action, e.actor_label, e.details) for e in entries]


def assert_field_error(response, field, status=422):
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"], response.json


# --- creating -----------------------------------------------------------------------------


def test_sales_rep_opens_a_dealer_account_with_terms_rep_and_groups(acme, api, db):
    group = api(acme, "owner").post("/api/v1/dealer-groups", json={"code": "key", "name": "重点"})
    rep_id = acme.users["sales"].id

    response = api(acme, "sales").post(
        "/api/v1/dealers", json=new_dealer(sales_rep_id=rep_id, group_ids=[group.json["id"]])
    )

    assert response.status_code == 201, response.json
    dealer = response.json
    assert dealer["code"] == "SH-001"
    assert dealer["tier"] == "B"
    assert dealer["credit_limit"] == "50000.00"
    assert dealer["currency"] == "CNY"
    assert dealer["payment_terms"] == "net30"
    assert dealer["status"] == "active"
    assert dealer["sales_rep"] == {"id": rep_id, "name": "Sales", "email": "sales@acme.test"}
    assert [g["code"] for g in dealer["groups"]] == ["KEY"]
    assert dealer["addresses"] == [] and dealer["contacts"] == []
    assert audit_actions(db, acme.id, dealer["id"]) == [
        ("dealer.create", "sales@acme.test", {"code": "SH-001", "tier": "B"})
    ]


def test_a_new_dealer_gets_sensible_defaults(acme, api):
    response = api(acme, "owner").post(
        "/api/v1/dealers", json={"code": "X1", "name_zh": "新经销商"}
    )

    assert response.status_code == 201, response.json
    assert response.json["tier"] == "C"
    assert response.json["credit_limit"] == "0.00"
    assert response.json["payment_terms"] == "prepaid"
    assert response.json["sales_rep"] is None


def test_duplicate_dealer_code_is_refused_whatever_its_case(acme, api, db):
    response = api(acme, "owner").post("/api/v1/dealers", json=new_dealer(code="d001"))

    assert_field_error(response, "code")
    assert dealer_codes(db, acme.id) == ["D001", "D002"]


def test_the_same_code_may_exist_in_another_tenant(acme, globex, api):
    assert api(acme, "owner").post("/api/v1/dealers", json=new_dealer()).status_code == 201
    assert api(globex, "owner").post("/api/v1/dealers", json=new_dealer()).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_limit", "-0.01"),
        ("credit_limit", "abc"),
        ("credit_limit", "1000000000000"),
        ("code", "has space"),
        ("code", ""),
        ("name_zh", ""),
        ("name_zh", "名" * 201),
        ("tier", "1A"),
        ("tier", "TOO-LONG-TIER"),
        ("payment_terms", "net90"),
        ("sales_rep_id", "3"),
        ("group_ids", ["1"]),
    ],
)
def test_invalid_dealer_input_is_refused_naming_the_field(acme, api, db, field, value):
    response = api(acme, "owner").post("/api/v1/dealers", json=new_dealer(**{field: value}))

    assert_field_error(response, field)
    assert dealer_codes(db, acme.id) == ["D001", "D002"]


def test_negative_credit_limit_is_refused_and_nothing_is_created(acme, api, db):
    response = api(acme, "owner").post("/api/v1/dealers", json=new_dealer(credit_limit="-100"))

    assert_field_error(response, "credit_limit")
    assert dealer_codes(db, acme.id) == ["D001", "D002"]


def test_unknown_fields_are_refused(acme, api):
    response = api(acme, "owner").post("/api/v1/dealers", json=new_dealer(status="suspended"))

    assert_field_error(response, "status")


def test_name_zh_is_required(acme, api):
    body = new_dealer()
    del body["name_zh"]

    assert_field_error(api(acme, "owner").post("/api/v1/dealers", json=body), "name_zh")


@pytest.mark.parametrize("who", ["warehouse", "finance", "buyer", "dealer_admin"])
def test_a_sales_rep_must_be_an_active_seller_of_the_brand(acme, api, db, who):
    response = api(acme, "owner").post(
        "/api/v1/dealers", json=new_dealer(sales_rep_id=acme.users[who].id)
    )

    assert_field_error(response, "sales_rep_id")
    assert dealer_codes(db, acme.id) == ["D001", "D002"]


def test_another_tenants_sales_rep_is_refused(acme, globex, api, db):
    response = api(acme, "owner").post(
        "/api/v1/dealers", json=new_dealer(sales_rep_id=globex.users["sales"].id)
    )

    assert_field_error(response, "sales_rep_id")
    assert dealer_codes(db, acme.id) == ["D001", "D002"]


def test_a_deactivated_sales_rep_is_refused(acme, api):
    sales_id = acme.users["sales"].id
    deactivated = api(acme, "owner").patch(f"/api/v1/users/{sales_id}", json={"is_active": False})
    assert deactivated.status_code == 200, deactivated.json

    response = api(acme, "owner").post("/api/v1/dealers", json=new_dealer(sales_rep_id=sales_id))

    assert_field_error(response, "sales_rep_id")


def test_another_tenants_group_id_is_refused(acme, globex, api, db):
    foreign = api(globex, "owner").post("/api/v1/dealer-groups", json={"code": "G", "name": "G"})

    response = api(acme, "owner").post(
        "/api/v1/dealers", json=new_dealer(group_ids=[foreign.json["id"]])
    )

    assert_field_error(response, "group_ids")
    assert dealer_codes(db, acme.id) == ["D001", "D002"]


# --- changing -----------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields_and_audits_them(acme, api, db):
    response = api(acme, "sales").patch(
        f"/api/v1/dealers/{acme.dealer_id}",
        json={"tier": "a", "credit_limit": "120000.5", "sales_rep_id": acme.users["admin"].id},
    )

    assert response.status_code == 200, response.json
    assert response.json["tier"] == "A"
    assert response.json["credit_limit"] == "120000.50"
    assert response.json["sales_rep_id"] == acme.users["admin"].id
    assert response.json["code"] == "D001"
    action, actor, details = audit_actions(db, acme.id, acme.dealer_id)[-1]
    assert (action, actor) == ("dealer.update", "sales@acme.test")
    assert details == {
        "tier": "A",
        "credit_limit": "120000.50",
        "sales_rep_id": acme.users["admin"].id,
    }


def test_patch_replaces_groups_and_can_unassign_the_rep(acme, api):
    owner = api(acme, "owner")
    east = owner.post("/api/v1/dealer-groups", json={"code": "EAST", "name": "华东"}).json
    key = owner.post("/api/v1/dealer-groups", json={"code": "KEY", "name": "重点"}).json
    url = f"/api/v1/dealers/{acme.dealer_id}"
    owner.patch(
        url, json={"group_ids": [east["id"], key["id"]], "sales_rep_id": acme.users["sales"].id}
    )

    response = owner.patch(url, json={"group_ids": [key["id"]], "sales_rep_id": None})

    assert response.status_code == 200, response.json
    assert [g["code"] for g in response.json["groups"]] == ["KEY"]
    assert response.json["sales_rep_id"] is None


def test_changing_the_code_to_another_dealers_code_is_refused(acme, api):
    response = api(acme, "owner").patch(f"/api/v1/dealers/{acme.dealer_id}", json={"code": "D002"})

    assert_field_error(response, "code")


def test_keeping_ones_own_code_is_not_a_duplicate(acme, api):
    response = api(acme, "owner").patch(
        f"/api/v1/dealers/{acme.dealer_id}", json={"code": "d001", "name_en": "Renamed"}
    )

    assert response.status_code == 200, response.json
    assert response.json["name_en"] == "Renamed"


def test_an_empty_patch_changes_nothing_and_writes_no_audit_entry(acme, api, db):
    before = audit_actions(db, acme.id, acme.dealer_id)

    response = api(acme, "owner").patch(f"/api/v1/dealers/{acme.dealer_id}", json={})

    assert response.status_code == 200, response.json
    assert audit_actions(db, acme.id, acme.dealer_id) == before


# --- listing ------------------------------------------------------------------------------


@pytest.fixture
def catalogue_of_dealers(acme, api):
    """Acme with dealers across tiers, regions, a group and a rep (besides D001, D002)."""
    owner = api(acme, "owner")
    group = owner.post("/api/v1/dealer-groups", json={"code": "KEY", "name": "重点客户"}).json
    rep = acme.users["sales"].id
    rows = [
        ("BJ-01", "北京中关村电脑城", "Beijing Zhongguancun", "A", "华北", [group["id"]], rep),
        ("BJ-02", "北京西单数码", "Beijing Xidan", "B", "华北", [], None),
        ("GZ-01", "广州天河手机店", "Guangzhou Tianhe", "A", "华南", [group["id"]], None),
        ("SH-01", "上海徐汇专卖店", "Shanghai Xuhui", "C", "华东", [], rep),
    ]
    ids = {}
    for code, zh, en, tier, region, groups, rep_id in rows:
        response = owner.post(
            "/api/v1/dealers",
            json={
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "tier": tier,
                "region": region,
                "group_ids": groups,
                "sales_rep_id": rep_id,
            },
        )
        assert response.status_code == 201, response.json
        ids[code] = response.json["id"]
    return {"group_id": group["id"], "rep_id": rep, "ids": ids}


def codes(response):
    assert response.status_code == 200, response.json
    return [d["code"] for d in response.json["items"]]


def test_list_is_sorted_by_code_by_default(acme, api, catalogue_of_dealers):
    assert codes(api(acme, "warehouse").get("/api/v1/dealers")) == [
        "BJ-01",
        "BJ-02",
        "D001",
        "D002",
        "GZ-01",
        "SH-01",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"tier": "a"}, ["BJ-01", "GZ-01"]),
        ({"region": "华北"}, ["BJ-01", "BJ-02"]),
        ({"q": "北京"}, ["BJ-01", "BJ-02"]),
        ({"q": "华南"}, ["D002"]),
        ({"q": "天河"}, ["GZ-01"]),
        ({"q": "SHANGHAI"}, ["SH-01"]),
        ({"q": "bj-0"}, ["BJ-01", "BJ-02"]),
        ({"q": "%"}, []),
        ({"tier": "A", "region": "华南"}, ["GZ-01"]),
        ({"q": "北京", "tier": "B"}, ["BJ-02"]),
    ],
)
def test_list_filters(acme, api, catalogue_of_dealers, query, expected):
    assert codes(api(acme, "sales").get("/api/v1/dealers", query_string=query)) == expected


def test_list_filters_by_group_and_rep(acme, api, catalogue_of_dealers):
    sales = api(acme, "sales")
    group_id = catalogue_of_dealers["group_id"]
    rep_id = catalogue_of_dealers["rep_id"]

    assert codes(sales.get("/api/v1/dealers", query_string={"group_id": group_id})) == [
        "BJ-01",
        "GZ-01",
    ]
    assert codes(sales.get("/api/v1/dealers", query_string={"sales_rep_id": rep_id})) == [
        "BJ-01",
        "SH-01",
    ]


def test_list_filters_by_status(acme, api, catalogue_of_dealers):
    owner = api(acme, "owner")
    bj = catalogue_of_dealers["ids"]["BJ-02"]
    owner.post(f"/api/v1/dealers/{bj}/suspend", json={"reason": "逾期未付款"})

    assert codes(owner.get("/api/v1/dealers?status=suspended")) == ["BJ-02"]
    assert "BJ-02" not in codes(owner.get("/api/v1/dealers?status=active"))


def test_another_tenants_group_filter_finds_nothing(acme, globex, api, catalogue_of_dealers):
    foreign = api(globex, "owner").post("/api/v1/dealer-groups", json={"code": "K", "name": "K"})

    response = api(acme, "owner").get(f"/api/v1/dealers?group_id={foreign.json['id']}")

    assert codes(response) == []


def test_list_pages_with_keyset_cursors_without_repeats_or_gaps(acme, api, catalogue_of_dealers):
    sales = api(acme, "sales")
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 4, "sort": "-code"}
        if cursor:
            query["cursor"] = cursor
        response = sales.get("/api/v1/dealers", query_string=query)
        seen += codes(response)
        pages += 1
        cursor = response.json["next_cursor"]
        if cursor is None:
            break

    assert pages == 2
    assert seen == ["SH-01", "GZ-01", "D002", "D001", "BJ-02", "BJ-01"]


def test_pagination_keeps_filters_and_sorts_by_name(acme, api, catalogue_of_dealers):
    sales = api(acme, "sales")
    first = sales.get("/api/v1/dealers", query_string={"q": "北京", "limit": 1, "sort": "name_zh"})
    second = sales.get(
        "/api/v1/dealers",
        query_string={
            "q": "北京",
            "limit": 1,
            "sort": "name_zh",
            "cursor": first.json["next_cursor"],
        },
    )

    assert codes(first) == ["BJ-01"]
    assert codes(second) == ["BJ-02"]
    assert second.json["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "credit_limit"}, "sort"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"status": "gone"}, "status"),
    ],
)
def test_bad_list_arguments_are_refused_naming_the_argument(acme, api, query, field):
    response = api(acme, "sales").get("/api/v1/dealers", query_string=query)

    assert_field_error(response, field)


def test_a_tenant_lists_only_its_own_dealers(acme, globex, api):
    assert codes(api(globex, "owner").get("/api/v1/dealers")) == ["D001", "D002"]
    names = [d["name_zh"] for d in api(globex, "owner").get("/api/v1/dealers").json["items"]]
    assert all(name.startswith("Globex") for name in names)


# --- who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["buyer", "dealer_admin"])
def test_dealer_users_cannot_list_dealers(acme, api, who):
    assert api(acme, who).get("/api/v1/dealers").status_code == 403


def test_signing_in_is_needed(acme, api):
    assert api(acme).get("/api/v1/dealers").status_code == 401
    assert api(acme).get(f"/api/v1/dealers/{acme.dealer_id}").status_code == 401


@pytest.mark.parametrize("who", ["owner", "admin", "sales", "warehouse", "finance"])
def test_all_staff_read_dealers(acme, api, who):
    staff = api(acme, who)

    assert staff.get("/api/v1/dealers").status_code == 200
    assert staff.get(f"/api/v1/dealers/{acme.dealer_id}").status_code == 200
    assert staff.get(f"/api/v1/dealers/{acme.dealer_id}/addresses").status_code == 200
    assert staff.get("/api/v1/dealer-groups").status_code == 200


@pytest.mark.parametrize("who", ["warehouse", "finance", "dealer_admin", "buyer"])
def test_only_sales_and_admins_change_dealers(acme, api, db, who):
    user = api(acme, who)
    url = f"/api/v1/dealers/{acme.dealer_id}"

    assert user.post("/api/v1/dealers", json=new_dealer()).status_code == 403
    assert user.patch(url, json={"tier": "A"}).status_code == 403
    assert user.post(f"{url}/suspend", json={"reason": "x"}).status_code == 403
    assert user.post(f"{url}/addresses", json={}).status_code in (403, 422)
    assert user.post("/api/v1/dealer-groups", json={"code": "G", "name": "G"}).status_code == 403
    assert dealer_codes(db, acme.id) == ["D001", "D002"]
    assert api(acme, "owner").get(url).json["tier"] == "C"


def test_a_dealer_user_reads_their_own_dealer_but_no_other(acme, api):
    buyer = api(acme, "buyer")

    assert buyer.get(f"/api/v1/dealers/{acme.dealer_id}").status_code == 200
    assert buyer.get(f"/api/v1/dealers/{acme.other_dealer_id}").status_code == 404
    assert buyer.get(f"/api/v1/dealers/{acme.other_dealer_id}/contacts").status_code == 404


def test_another_tenants_dealer_is_not_found_and_left_unchanged(acme, globex, api):
    foreign = globex.dealer_id
    owner = api(acme, "owner")
    before = api(globex, "owner").get(f"/api/v1/dealers/{foreign}").json

    assert owner.get(f"/api/v1/dealers/{foreign}").status_code == 404
    assert owner.patch(f"/api/v1/dealers/{foreign}", json={"tier": "A"}).status_code == 404
    assert owner.post(f"/api/v1/dealers/{foreign}/suspend", json={"reason": "x"}).status_code == 404
    assert owner.get(f"/api/v1/dealers/{foreign}/addresses").status_code == 404
    assert (
        owner.post(f"/api/v1/dealers/{foreign}/contacts", json={"name": "张三"}).status_code == 404
    )
    assert api(globex, "owner").get(f"/api/v1/dealers/{foreign}").json == before


def test_a_missing_dealer_is_not_found(acme, api):
    assert api(acme, "owner").get("/api/v1/dealers/999999").status_code == 404


# --- suspension ---------------------------------------------------------------------------


def login(api, world, email):
    return api(world).post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})


def test_suspended_dealers_users_can_neither_sign_in_nor_use_their_tokens(acme, api, db):
    owner = api(acme, "owner")

    response = owner.post(
        f"/api/v1/dealers/{acme.dealer_id}/suspend", json={"reason": "逾期未付款 overdue"}
    )

    assert response.status_code == 200, response.json
    assert response.json["status"] == "suspended"
    assert response.json["suspended_reason"] == "逾期未付款 overdue"
    assert response.json["suspended_at"] is not None
    assert login(api, acme, "buyer@acme.test").status_code == 401
    assert login(api, acme, "dealer-admin@acme.test").status_code == 401
    assert api(acme, "buyer").get("/api/v1/my/dealer").status_code == 401
    assert api(acme, "dealer_admin").get("/api/v1/users").status_code == 401
    action, actor, details = audit_actions(db, acme.id, acme.dealer_id)[-1]
    assert (action, actor, details) == (
        "dealer.suspend",
        "owner@acme.test",
        {"reason": "逾期未付款 overdue"},
    )


def test_other_dealers_and_staff_are_unaffected_by_a_suspension(acme, api):
    api(acme, "owner").post(f"/api/v1/dealers/{acme.dealer_id}/suspend", json={"reason": "x"})

    assert login(api, acme, "other-buyer@acme.test").status_code == 200
    assert api(acme, "other_buyer").get("/api/v1/my/dealer").status_code == 200
    assert login(api, acme, "sales@acme.test").status_code == 200


def test_reactivation_lets_the_dealers_users_back_in(acme, api, db):
    owner = api(acme, "owner")
    owner.post(f"/api/v1/dealers/{acme.dealer_id}/suspend", json={"reason": "逾期"})

    response = owner.post(f"/api/v1/dealers/{acme.dealer_id}/activate", json={"reason": "已付款"})

    assert response.status_code == 200, response.json
    assert response.json["status"] == "active"
    assert response.json["suspended_reason"] is None
    assert login(api, acme, "buyer@acme.test").status_code == 200
    assert api(acme, "buyer").get("/api/v1/my/dealer").status_code == 200
    assert audit_actions(db, acme.id, acme.dealer_id)[-1][0] == "dealer.activate"


def test_a_suspension_needs_a_reason(acme, api):
    response = api(acme, "owner").post(f"/api/v1/dealers/{acme.dealer_id}/suspend", json={})

    assert_field_error(response, "reason")
    assert login(api, acme, "buyer@acme.test").status_code == 200


def test_suspending_a_suspended_dealer_conflicts(acme, api):
    url = f"/api/v1/dealers/{acme.dealer_id}"
    api(acme, "owner").post(f"{url}/suspend", json={"reason": "x"})

    assert api(acme, "owner").post(f"{url}/suspend", json={"reason": "y"}).status_code == 409
    assert api(acme, "owner").get(url).json["suspended_reason"] == "x"
    assert api(acme, "owner").post(f"{url}/activate", json={}).status_code == 200
    assert api(acme, "owner").post(f"{url}/activate", json={}).status_code == 409
