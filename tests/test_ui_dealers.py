"""The console's dealer pages: list, search, filter, create, edit, suspend."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from dinghuo.core.crm.models import Dealer, DealerStatus


@pytest.fixture
def sales(acme, visitor):
    staff = visitor(acme)
    staff.login("sales@acme.test")
    return staff


def text(response) -> str:
    return response.get_data(as_text=True)


def codes(response) -> list[str]:
    return re.findall(r'data-dealer="([^"]+)"', text(response))


def dealer_form(**overrides) -> dict[str, object]:
    return {
        "code": "d100",
        "name_zh": "成都旗舰经销商",
        "name_en": "Chengdu Flagship",
        "tier": "a",
        "region": "西南",
        "credit_limit": "50,000.50",
        "payment_terms": "net30",
        "sales_rep_id": 0,
        **overrides,
    }


def test_dealers_are_listed_searched_and_filtered(acme, globex, sales):
    assert codes(sales.get("/console/dealers")) == ["D001", "D002"]
    assert codes(sales.get("/console/dealers?q=华南")) == ["D002"]
    assert codes(sales.get("/console/dealers?q=east")) == ["D001"]
    assert codes(sales.get("/console/dealers?tier=B")) == []
    assert codes(sales.get("/console/dealers?status=suspended")) == []
    assert "Globex" not in text(sales.get("/console/dealers"))


def test_the_list_pages_through_many_dealers(acme, sales, db):
    from dinghuo.admin_ui.views.dealers import PAGE_SIZE
    from dinghuo.core.crm.service import create_dealer

    with db.transaction(acme.id) as session:
        for n in range(PAGE_SIZE):
            create_dealer(session, None, code=f"X{n:03d}", name_zh=f"经销商{n}")
    first = sales.get("/console/dealers")
    assert len(codes(first)) == PAGE_SIZE
    next_url = re.search(r'href="([^"]*cursor=[^"]*)"', text(first)).group(1).replace("&amp;", "&")
    rest = codes(sales.get(next_url))
    assert len(rest) == 2 and not set(rest) & set(codes(first))


def test_a_dealer_is_created_from_the_console(acme, sales, db):
    response = sales.post("/console/dealers/new", dealer_form(), token_from="/console/dealers/new")
    assert response.status_code == 302, text(response)
    with db.transaction(acme.id) as session:
        dealer = session.query(Dealer).filter_by(code="D100").one()
        assert (dealer.tier, dealer.credit_limit, dealer.payment_terms.value) == (
            "A",
            Decimal("50000.50"),
            "net30",
        )
    assert "D100" in codes(sales.get("/console/dealers"))


def test_bad_dealer_input_is_shown_next_to_the_fields(acme, sales, db):
    response = sales.post(
        "/console/dealers/new",
        dealer_form(code="D001", credit_limit="-5"),
        token_from="/console/dealers/new",
    )
    assert response.status_code == 422
    assert re.search(r'id="field-code".*?已存在使用此编码的经销商', text(response), re.S)
    negative = sales.post(
        "/console/dealers/new", dealer_form(credit_limit="-5"), token_from="/console/dealers/new"
    )
    assert re.search(r'id="field-credit_limit".*?不能为负数', text(negative), re.S)
    with db.transaction(acme.id) as session:
        assert session.query(Dealer).count() == 2


def test_a_dealer_is_edited_with_a_sales_rep(acme, sales, db):
    page = sales.get(f"/console/dealers/{acme.dealer_id}")
    assert page.status_code == 200 and 'value="D001"' in text(page)
    rep = acme.users["sales"].id
    response = sales.post(
        f"/console/dealers/{acme.dealer_id}",
        dealer_form(code="D001", tier="B", sales_rep_id=rep),
        token_from=f"/console/dealers/{acme.dealer_id}",
    )
    assert response.status_code == 302, text(response)
    with db.transaction(acme.id) as session:
        dealer = session.get(Dealer, acme.dealer_id)
        assert (dealer.tier, dealer.sales_rep_id, dealer.region) == ("B", rep, "西南")


def test_suspending_a_dealer_needs_a_reason_and_locks_its_users_out(acme, sales, visitor, db):
    path = f"/console/dealers/{acme.dealer_id}"
    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    no_reason = sales.post(f"{path}/status", {"action": "suspend", "reason": ""}, token_from=path)
    assert no_reason.status_code == 422
    assert re.search(r'id="field-reason".*?此项为必填', text(no_reason), re.S)
    done = sales.post(
        f"{path}/status", {"action": "suspend", "reason": "逾期未付"}, token_from=path
    )
    assert done.status_code == 302
    assert "逾期未付" in text(sales.get(path))
    assert buyer.get("/").status_code == 302
    with db.transaction(acme.id) as session:
        assert session.get(Dealer, acme.dealer_id).status == DealerStatus.SUSPENDED
    sales.post(f"{path}/status", {"action": "reactivate", "reason": "paid"}, token_from=path)
    assert visitor(acme).login("buyer@acme.test", path="/login").status_code == 302


def test_another_tenants_dealer_is_not_found(acme, globex, sales, db):
    other = globex.dealer_id
    assert sales.get(f"/console/dealers/{other}").status_code == 404
    response = sales.post(
        f"/console/dealers/{other}/status",
        {"action": "suspend", "reason": "x"},
        token_from="/console/dealers",
    )
    assert response.status_code == 404
    with db.transaction(globex.id) as session:
        assert session.get(Dealer, other).status == DealerStatus.ACTIVE


def test_staff_without_dealers_manage_only_read_the_list(acme, visitor):
    warehouse = visitor(acme)
    warehouse.login("warehouse@acme.test")
    listing = warehouse.get("/console/dealers")
    assert listing.status_code == 200 and "/console/dealers/new" not in text(listing)
    assert warehouse.get("/console/dealers/new").status_code == 403
    assert warehouse.get(f"/console/dealers/{acme.dealer_id}").status_code == 403
