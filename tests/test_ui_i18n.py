"""Chinese and English: tenant default, the user's own choice, the header switch."""

from __future__ import annotations

import os
import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from dinghuo.admin_ui.i18n import TRANSLATIONS, compile_catalogs
from dinghuo.platform.auth.models import User
from dinghuo.platform.tenants.service import get_tenant, update_branding


def lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def set_tenant_locale(db, world, locale: str) -> None:
    with db.transaction(world.id) as session:
        update_branding(session, None, get_tenant(session, world.id), {"locale": locale})


def test_pages_speak_the_tenants_language_by_default(acme, globex, visitor, db):
    set_tenant_locale(db, globex, "en")
    acme_page = visitor(acme).get("/console/login")
    assert lang(acme_page) == "zh-CN" and "品牌管理后台" in acme_page.get_data(as_text=True)
    globex_page = visitor(globex).get("/console/login")
    assert lang(globex_page) == "en" and "Brand console" in globex_page.get_data(as_text=True)


def test_a_users_own_language_wins_over_the_tenants(acme, visitor, db):
    with db.transaction(acme.id) as session:
        session.get(User, acme.users["sales"].id).locale = "en"
    sales = visitor(acme)
    sales.login("sales@acme.test")
    page = sales.get("/console")
    assert lang(page) == "en" and "Overview" in page.get_data(as_text=True)
    assert lang(visitor(acme).get("/console/login")) == "zh-CN"


def test_the_header_switch_changes_the_language_and_remembers_it_for_the_user(acme, visitor, db):
    sales = visitor(acme)
    sales.login("sales@acme.test")
    response = sales.post(
        "/locale", {"locale": "en", "next": "/console/users"}, token_from="/console"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/console/users"
    assert lang(sales.get("/console")) == "en"
    with db.transaction(acme.id) as session:
        assert session.get(User, acme.users["sales"].id).locale == "en"
    again = visitor(acme)
    again.login("sales@acme.test")
    assert lang(again.get("/console")) == "en", "the choice follows the user to a new session"


def test_the_switch_works_before_signing_in_and_lasts_through_it(acme, visitor):
    anonymous = visitor(acme)
    anonymous.post(
        "/locale", {"locale": "en", "next": "/console/login"}, token_from="/console/login"
    )
    page = anonymous.get("/console/login")
    assert lang(page) == "en" and "Sign in" in page.get_data(as_text=True)
    anonymous.login("owner@acme.test")
    assert lang(anonymous.get("/console")) == "en"


def test_the_switch_refuses_unknown_languages_and_foreign_redirects(acme, visitor):
    anonymous = visitor(acme)
    response = anonymous.post(
        "/locale", {"locale": "xx", "next": "https://evil.example/"}, token_from="/login"
    )
    assert response.headers["Location"] == "/"
    assert lang(anonymous.get("/login")) == "zh-CN"


def test_times_are_shown_in_the_tenants_time_zone(acme, visitor, db):
    import datetime as dt

    with db.transaction(acme.id) as session:
        user = session.get(User, acme.users["buyer"].id)
        user.last_login_at = dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC)
    owner = visitor(acme)
    owner.login("owner@acme.test")
    assert "2026-01-01 08:30" in owner.get("/console/users").get_data(as_text=True)


def catalog_ids(locale: str, translated_only: bool = False) -> set[str]:
    with (TRANSLATIONS / locale / "LC_MESSAGES/messages.po").open("rb") as stream:
        catalog = read_po(stream)
    return {m.id for m in catalog if m.id and (m.string or not translated_only)}


def test_every_ui_string_is_in_the_catalogs_and_translated_to_chinese():
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    in_source = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(TRANSLATIONS.parent, method_map, keywords=keywords)
    }
    assert in_source - catalog_ids("zh_Hans_CN") == set(), "run pybabel extract + update"
    assert in_source - catalog_ids("zh_Hans_CN", translated_only=True) == set()
    assert catalog_ids("en") == catalog_ids("zh_Hans_CN")


def test_templates_pass_their_text_through_gettext():
    """No bare words between tags: visible text is wrapped in _() (names and data aside)."""
    templates = Path(TRANSLATIONS).parent / "templates"
    bare = re.compile(r">\s*([A-Za-z][A-Za-z ,.'!?]{2,})\s*<")
    allowed = {"Dinghuo"}
    offenders = [
        f"{path.name}: {match}"
        for path in templates.rglob("*.html")
        for match in bare.findall(path.read_text())
        if match.strip() not in allowed
    ]
    assert offenders == []


def test_stale_catalogs_are_compiled_at_start(tmp_path):
    source = tmp_path / "translations"
    po = source / "zh_Hans_CN/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((TRANSLATIONS / "zh_Hans_CN/LC_MESSAGES/messages.po").read_bytes())
    assert compile_catalogs(source, tmp_path / "fallback") == source
    mo = po.with_suffix(".mo")
    assert mo.exists()
    os.utime(mo, (1, 1))
    compile_catalogs(source, tmp_path / "fallback")
    assert mo.stat().st_mtime > 1


def test_an_unwritable_package_compiles_into_the_instance_directory(tmp_path):
    source = tmp_path / "translations"
    po = source / "en/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((TRANSLATIONS / "en/LC_MESSAGES/messages.po").read_bytes())
    blocker = po.with_suffix(".mo")
    blocker.mkdir()  # a stale "file" that cannot be replaced, even by root
    os.utime(blocker, (1, 1))
    target = compile_catalogs(source, tmp_path / "fallback")
    assert target == tmp_path / "fallback"
    assert (target / "en/LC_MESSAGES/messages.mo").is_file()
