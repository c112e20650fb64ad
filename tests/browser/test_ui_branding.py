"""Each tenant's console and portal carry that tenant's own name, colour and logo."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dinghuo.admin_ui.logo import check_logo, replace_logo
from dinghuo.platform.tenants.service import get_tenant, update_branding

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "correct-horse-42"

pytestmark = pytest.mark.browser


def png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG: a rounded square in ``rgb`` on a transparent background."""
    rows = []
    radius = size // 5
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            dx = max(radius - x, x - (size - 1 - radius), 0)
            dy = max(radius - y, y - (size - 1 - radius), 0)
            inside = dx * dx + dy * dy <= radius * radius
            row += bytes([*rgb, 255 if inside else 0])
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def brand(app, world, logo_rgb: tuple[int, int, int] | None = None, **changes) -> None:
    with app.app_context(), app.extensions["dinghuo.db"].transaction(world.id) as session:
        tenant = get_tenant(session, world.id)
        update_branding(session, None, tenant, changes)
        if logo_rgb:
            replace_logo(session, None, tenant, check_logo(png(96, logo_rgb)))


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def brand_colour(page: Page) -> str:
    return page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()"
    )


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def branded(app, acme, globex):
    brand(
        app,
        acme,
        logo_rgb=(194, 65, 12),
        display_name="Acme 数码商城",
        primary_color="#c2410c",
        welcome_text="欢迎订购 Acme 新品：Mate 60 Pro 12+512G 现已到货。\n满 50 台享 A 级返利。",
    )
    brand(
        app,
        globex,
        display_name="Globex Electronics",
        primary_color="#047857",
        welcome_text="Welcome to Globex's dealer portal. New tablets ship next week.",
        locale="en",
    )
    return acme, globex


def test_staff_of_each_tenant_see_their_own_console(branded, live_server, page: Page):
    acme, globex = branded
    sign_in(page, live_server.url(acme.host, "/console/login"), "owner@acme.test")
    expect(page).to_have_url(live_server.url(acme.host, "/console"))
    expect(page.locator(".sidebar .brand-name")).to_have_text("Acme 数码商城")
    expect(page.locator(".sidebar .brand-logo")).to_be_visible()
    assert brand_colour(page) == "#c2410c"
    shot(page, "acme-console-home")

    other = page.context.browser.new_page()
    sign_in(other, live_server.url(globex.host, "/console/login"), "admin@globex.test")
    expect(other.locator(".sidebar .brand-name")).to_have_text("Globex Electronics")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    assert brand_colour(other) == "#047857"
    shot(other, "globex-console-home")
    other.close()


def test_dealers_of_each_tenant_see_their_own_portal(branded, live_server, page: Page):
    acme, globex = branded
    sign_in(page, live_server.url(acme.host, "/login"), "buyer@acme.test")
    expect(page).to_have_url(live_server.url(acme.host, "/"))
    expect(page.locator(".portal-header .brand-name")).to_have_text("Acme 数码商城")
    expect(page.locator(".hero .welcome")).to_contain_text("Mate 60 Pro")
    expect(page.locator("[data-dealer-name]")).to_have_text("Acme 数码华东经销商")
    assert brand_colour(page) == "#c2410c"
    shot(page, "acme-portal-home")

    other = page.context.browser.new_page()
    sign_in(other, live_server.url(globex.host, "/login"), "buyer@globex.test")
    expect(other.locator(".portal-header .brand-name")).to_have_text("Globex Electronics")
    expect(other.locator(".hero .welcome")).to_contain_text("New tablets")
    expect(other.locator("[data-dealer-name]")).to_have_text("Globex 电子 East")
    expect(other.locator("[data-tier]")).to_have_text("C")
    assert brand_colour(other) == "#047857"
    shot(other, "globex-portal-home")
    other.close()


def test_console_login_page(branded, live_server, page: Page):
    acme, _globex = branded
    page.goto(live_server.url(acme.host, "/console/login"))
    expect(page.locator(".auth-card .brand-name")).to_have_text("Acme 数码商城")
    shot(page, "acme-console-login")


def test_console_pages_read_well_in_the_dark_and_on_a_phone(branded, live_server, browser):
    acme, _globex = branded
    dark = browser.new_context(color_scheme="dark")
    page = dark.new_page()
    sign_in(page, live_server.url(acme.host, "/console/login"), "owner@acme.test")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    shot(page, "acme-console-home-dark")
    page.goto(live_server.url(acme.host, "/console/users"))
    shot(page, "acme-console-users-dark")
    dark.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = phone.new_page()
    sign_in(page, live_server.url(acme.host, "/login"), "buyer@acme.test")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing overflows sideways on a phone"
    shot(page, "acme-portal-phone")
    phone.close()


def test_console_settings_and_dealers_pages(branded, live_server, page: Page):
    acme, _globex = branded
    sign_in(page, live_server.url(acme.host, "/console/login"), "owner@acme.test")
    page.goto(live_server.url(acme.host, "/console/settings"))
    expect(page.locator(".logo-preview img")).to_be_visible()
    shot(page, "acme-console-settings")
    page.goto(live_server.url(acme.host, "/console/dealers"))
    expect(page.locator("[data-dealer]")).to_have_count(2)
    shot(page, "acme-console-dealers")
    page.goto(live_server.url(acme.host, "/console/users"))
    page.select_option("#role", "sales")
    expect(page.locator("#field-dealer_id")).to_be_hidden()
    page.select_option("#role", "buyer")
    expect(page.locator("#field-dealer_id")).to_be_visible()
    shot(page, "acme-console-users")


def test_switching_the_language_in_the_header(branded, live_server, page: Page):
    acme, _globex = branded
    sign_in(page, live_server.url(acme.host, "/console/login"), "owner@acme.test")
    expect(page.locator(".topbar h1")).to_have_text("概览")
    page.locator(".lang-switch button[value=en]").click()
    expect(page.locator(".topbar h1")).to_have_text("Overview")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_platform_operator_onboards_and_suspends_a_tenant(
    branded, platform_admin, live_server, page: Page
):
    page.goto(live_server.url("localhost", "/platform"))
    expect(page).to_have_url(live_server.url("localhost", "/platform/login?next=/platform"))
    page.fill("#email", "ops@dinghuo.test")
    page.fill("#password", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("[data-tenant]")).to_have_count(2)

    page.locator(".topbar-actions a.btn-primary").click()
    page.fill("#slug", "initech")
    page.fill("#name", "Initech 科技")
    page.fill("#owner_name", "Bill")
    page.fill("#owner_email", "bill@initech.test")
    page.fill("#owner_password", "initech-pass-1")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("[data-tenant]")).to_have_count(3)
    expect(page.locator(".flash-success")).to_contain_text("initech")

    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator('[data-tenant="globex"]')
    row.locator("input[name=reason]").fill("账单逾期 / invoice overdue")
    row.locator("button[type=submit]").click()
    expect(page.locator('[data-tenant="globex"] .badge-danger')).to_be_visible()
    shot(page, "platform-tenants")

    suspended = page.context.new_page()
    suspended.goto(live_server.url("globex.localhost", "/"))
    expect(suspended.locator(".auth-card h1")).to_have_text("Temporarily unavailable")
    shot(suspended, "globex-suspended")
    suspended.close()
