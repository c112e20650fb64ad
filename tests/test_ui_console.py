"""The brand console: overview, users and invitations, settings, logo; the dealer portal."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

import pytest

from dinghuo.platform.auth.models import User
from dinghuo.platform.tenants.business import business_settings
from dinghuo.platform.tenants.models import Tenant

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture
def owner(acme, visitor):
    staff = visitor(acme)
    staff.login("owner@acme.test")
    return staff


def text(response) -> str:
    return response.get_data(as_text=True)


def test_console_home_counts_dealers_and_users(acme, owner):
    page = text(owner.get("/console"))
    assert re.search(r'data-stat="dealers">2<', page)
    assert re.search(r'data-stat="staff">5<', page)
    assert re.search(r'data-stat="dealer-users">3<', page)


def test_recent_audit_entries_only_for_those_who_may_read_the_audit(acme, owner, visitor):
    assert "最近动态" in text(owner.get("/console"))
    assert "auth.login" in text(owner.get("/console"))
    sales = visitor(acme)
    sales.login("sales@acme.test")
    assert "最近动态" not in text(sales.get("/console"))


def test_navigation_shows_only_what_the_role_may_open(acme, owner, visitor):
    assert "/console/settings" in text(owner.get("/console"))
    warehouse = visitor(acme)
    warehouse.login("warehouse@acme.test")
    page = text(warehouse.get("/console"))
    assert "/console/settings" not in page
    assert "/console/dealers" in page


def test_users_page_lists_staff_and_dealer_users(acme, globex, owner):
    page = text(owner.get("/console/users"))
    assert "buyer@acme.test" in page and "warehouse@acme.test" in page
    assert "Acme 数码华东经销商" in page
    assert "globex.test" not in page


def test_inviting_a_buyer_emails_a_link_that_sets_the_password(acme, owner, visitor, caplog):
    with caplog.at_level(logging.INFO, logger="dinghuo.platform.notifications"):
        response = owner.post(
            "/console/users",
            {
                "name": "新采购",
                "email": "New.Buyer@acme.test",
                "role": "buyer",
                "dealer_id": acme.dealer_id,
            },
            token_from="/console/users",
        )
    assert response.status_code == 302, text(response)
    assert "new.buyer@acme.test" in text(owner.get("/console/users"))
    links = re.findall(r"http://acme\.localhost/invitations/[\w-]+", caplog.text)
    assert len(links) == 1
    path = links[0].removeprefix("http://acme.localhost")

    invitee = visitor(acme)
    mismatch = invitee.post(
        path, {"password": "a-good-password", "confirm": "another"}, token_from=path
    )
    assert mismatch.status_code == 422
    assert "两次输入的密码不一致" in text(mismatch)
    accepted = invitee.post(
        path, {"password": "a-good-password", "confirm": "a-good-password"}, token_from=path
    )
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == "/login"
    assert invitee.login("new.buyer@acme.test", "a-good-password", path="/login").status_code == 302
    assert invitee.get("/").status_code == 200
    reused = visitor(acme).post(
        path, {"password": "a-good-password", "confirm": "a-good-password"}, token_from=path
    )
    assert reused.status_code == 409


def test_invitation_errors_show_next_to_the_field(acme, owner):
    response = owner.post(
        "/console/users",
        {"name": "Dup", "email": "sales@acme.test", "role": "sales", "dealer_id": 0},
        token_from="/console/users",
    )
    assert response.status_code == 422
    assert re.search(r'id="field-email".*?已存在使用此邮箱的用户', text(response), re.S)
    no_dealer = owner.post(
        "/console/users",
        {"name": "B", "email": "b@acme.test", "role": "buyer", "dealer_id": 0},
        token_from="/console/users",
    )
    assert no_dealer.status_code == 422
    assert re.search(r'id="field-dealer_id".*?经销商用户必须属于一家经销商', text(no_dealer), re.S)


def test_another_tenants_dealer_cannot_be_chosen_for_an_invitation(acme, globex, owner):
    response = owner.post(
        "/console/users",
        {"name": "B", "email": "b@acme.test", "role": "buyer", "dealer_id": globex.dealer_id},
        token_from="/console/users",
    )
    assert response.status_code == 422


def test_an_admin_cannot_invite_an_owner(acme, visitor):
    admin = visitor(acme)
    admin.login("admin@acme.test")
    page = text(admin.get("/console/users"))
    assert 'value="owner"' not in page
    response = admin.post(
        "/console/users",
        {"name": "O", "email": "o@acme.test", "role": "owner", "dealer_id": 0},
        token_from="/console/users",
    )
    assert response.status_code == 422


def test_deactivating_a_user_signs_them_out(acme, owner, visitor, db):
    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    user_id = acme.users["buyer"].id
    response = owner.post(
        f"/console/users/{user_id}/active", {"active": "0"}, token_from="/console/users"
    )
    assert response.status_code == 302
    assert buyer.get("/").status_code == 302
    with db.transaction(acme.id) as session:
        assert session.get(User, user_id).is_active is False
    owner.post(f"/console/users/{user_id}/active", {"active": "1"}, token_from="/console/users")
    assert visitor(acme).login("buyer@acme.test", path="/login").status_code == 302


def test_another_tenants_user_cannot_be_deactivated(acme, globex, owner, db):
    other = globex.users["buyer"].id
    response = owner.post(
        f"/console/users/{other}/active", {"active": "0"}, token_from="/console/users"
    )
    assert response.status_code == 404
    with db.transaction(globex.id) as session:
        assert session.get(User, other).is_active is True


def test_only_user_managers_may_invite_or_deactivate(acme, visitor):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    assert sales.get("/console/users").status_code == 200
    assert "/active" not in text(sales.get("/console/users"))
    refused = sales.post(
        "/console/users",
        {"name": "X", "email": "x@acme.test", "role": "sales", "dealer_id": 0},
        token_from="/console/users",
    )
    assert refused.status_code == 403


def test_settings_change_the_branding(acme, owner, visitor, db):
    response = owner.post(
        "/console/settings",
        {
            "display_name": "Acme 官方商城",
            "primary_color": "#C2410C",
            "welcome_text": "本周新品到货",
            "locale": "en",
            "timezone": "Asia/Tokyo",
        },
        token_from="/console/settings",
    )
    assert response.status_code == 302, text(response)
    with db.transaction() as session:
        tenant = session.get(Tenant, acme.id)
        assert (tenant.display_name, tenant.primary_color, tenant.timezone) == (
            "Acme 官方商城",
            "#C2410C",
            "Asia/Tokyo",
        )
    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    portal = text(buyer.get("/"))
    assert "Acme 官方商城" in portal and "本周新品到货" in portal
    assert "--brand:#c2410c" in portal
    assert 'lang="en"' in portal


def test_bad_settings_are_refused_field_by_field(acme, owner, db):
    response = owner.post(
        "/console/settings",
        {
            "display_name": "Acme",
            "primary_color": "red;}body{display:none",
            "welcome_text": "",
            "locale": "zh-CN",
            "timezone": "Mars/Olympus",
        },
        token_from="/console/settings",
    )
    assert response.status_code == 422
    page = text(response)
    assert "请使用 #1f6feb 这样的颜色值" in page
    assert "未知时区" in page
    with db.transaction() as session:
        assert session.get(Tenant, acme.id).primary_color == "#1f6feb"


RULES = {
    "overstock_days_of_cover": "45",
    "demand_window_days": "60",
    "default_lead_time_days": "10",
    "service_level": "0.98",
    "review_days": "14",
}


def test_business_rules_are_changed_on_the_settings_page(acme, owner, db):
    assert 'value="60"' in text(owner.get("/console/settings"))
    response = owner.post("/console/settings/business", RULES, token_from="/console/settings")
    assert response.status_code == 302
    assert "业务规则已保存" in text(owner.get("/console/settings"))
    with db.transaction(acme.id) as session:
        rules = business_settings(session)
    assert rules.overstock_days_of_cover == 45 and rules.service_level == Decimal("0.98")


def test_business_rules_out_of_bounds_are_refused_and_change_nothing(acme, owner, db):
    response = owner.post(
        "/console/settings/business",
        {**RULES, "service_level": "1.5"},
        token_from="/console/settings",
    )
    assert response.status_code == 422
    with db.transaction(acme.id) as session:
        assert business_settings(session).overstock_days_of_cover == 60


def test_welcome_text_is_shown_as_text_not_html(acme, owner, visitor):
    owner.post(
        "/console/settings",
        {
            "display_name": "Acme",
            "primary_color": "#1f6feb",
            "welcome_text": "<script>alert(1)</script>",
            "locale": "zh-CN",
            "timezone": "Asia/Shanghai",
        },
        token_from="/console/settings",
    )
    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    page = text(buyer.get("/"))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def upload(staff, data: bytes, filename: str, content_type: str = "application/octet-stream"):
    from io import BytesIO

    return staff.post(
        "/console/settings/logo",
        {"logo": (BytesIO(data), filename, content_type)},
        token_from="/console/settings",
        content_type="multipart/form-data",
    )


def test_a_png_logo_is_stored_per_tenant_and_served_on_its_host_only(
    acme, globex, owner, visitor, app
):
    assert upload(owner, PNG, "logo.png").status_code == 302
    served = visitor(acme).get("/media/logo")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == PNG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert visitor(globex).get("/media/logo").status_code == 404
    assert visitor().get("/media/logo").status_code == 404
    media = app.config["SETTINGS"].media_root
    assert [p.parent.name for p in media.rglob("logo-*")] == [str(acme.id)]
    assert "/media/logo?v=logo-" in text(owner.get("/console"))


def test_replacing_the_logo_removes_the_old_file(acme, owner, app):
    upload(owner, PNG, "a.png")
    upload(owner, JPEG, "b.jpg")
    files = sorted(p.name for p in (app.config["SETTINGS"].media_root / str(acme.id)).iterdir())
    assert len(files) == 1 and files[0].endswith(".jpg")
    assert owner.get("/media/logo").mimetype == "image/jpeg"


def logo_errors(response) -> str:
    found = re.search(r'<ul class="errors" id="logo-errors">(.*?)</ul>', text(response), re.S)
    return found.group(1) if found else ""


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "x.svg",
            "不接受 SVG",
        ),
        (b'<?xml version="1.0"?><svg/>', "logo.png", "不接受 SVG 格式"),
        (b"GIF89a" + b"\x00" * 20, "logo.gif", "请上传 PNG 或 JPEG 图片"),
    ],
)
def test_logo_uploads_other_than_small_png_or_jpeg_are_refused(
    acme, owner, data, filename, message
):
    response = upload(owner, data, filename, "image/png")
    assert response.status_code == 422
    assert message in logo_errors(response)
    assert owner.get("/media/logo").status_code == 404


def test_a_logo_over_the_size_limit_is_refused(acme, owner, monkeypatch):
    from dinghuo.admin_ui import logo

    # The real limit (1 MB) would make the test client spool the upload to a temporary file.
    monkeypatch.setattr(logo, "MAX_LOGO_BYTES", 4096)
    response = upload(owner, PNG + b"\x00" * 4096, "big.png", "image/png")
    assert response.status_code == 422
    assert "标志不能超过 1 MB" in logo_errors(response)
    assert owner.get("/media/logo").status_code == 404


def test_only_tenant_managers_change_settings(acme, visitor):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    assert sales.get("/console/settings").status_code == 403
    assert upload(sales, PNG, "logo.png").status_code == 403


def test_portal_home_shows_welcome_dealer_and_tier(acme, visitor, db):
    from dinghuo.core.crm.service import update_dealer

    with db.transaction(acme.id) as session:
        update_dealer(session, None, acme.dealer_id, tier="A", region="华东")
    buyer = visitor(acme)
    buyer.login("buyer@acme.test", path="/login")
    page = text(buyer.get("/"))
    assert "Acme 数码华东经销商" in page
    assert re.search(r"data-tier>A<", page)
    assert "您好，Buyer" in page
    assert "Acme 数码华南经销商" not in page


def test_a_suspended_tenant_shows_its_branded_suspended_page(acme, owner, visitor, db):
    from dinghuo.platform.tenants.models import TenantStatus
    from dinghuo.platform.tenants.service import set_status

    with db.transaction() as session:
        set_status(session, None, acme.id, TenantStatus.SUSPENDED, "unpaid")
    for path in ("/", "/login", "/console", "/console/login"):
        response = visitor(acme).get(path)
        assert response.status_code == 403, path
        assert response.mimetype == "text/html"
        page = text(response)
        assert "Acme 数码" in page and "暂停服务" in page
        assert "unpaid" not in page
    assert owner.get("/console").status_code == 403
