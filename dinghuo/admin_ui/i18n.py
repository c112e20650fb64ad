"""Languages of the UI (Simplified Chinese and English) with flask-babel.

The language of a page is, first match wins: the switch in the header (kept
in the session), the signed-in user's own choice (``User.locale``), the
tenant's language, and on the platform's own pages the browser's preference.
Times are shown in the tenant's time zone.

Catalogs live in ``translations/<locale>/LC_MESSAGES/messages.po``; the
compiled ``.mo`` files are not versioned but compiled when the app starts if
missing or older than their ``.po``, next to them or, where the package is
read-only, under the instance directory. To refresh the catalogs after
changing strings::

    pybabel extract -F dinghuo/admin_ui/babel.cfg -k _l -k N_ \
        -o /tmp/messages.pot dinghuo/admin_ui
    pybabel update -i /tmp/messages.pot -d dinghuo/admin_ui/translations --no-fuzzy-matching
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request, session
from flask_babel import Babel, format_currency, format_datetime
from sqlalchemy.exc import SQLAlchemyError

from dinghuo.admin_ui.branding import current_branding
from dinghuo.web import current_principal, db_session

TRANSLATIONS = Path(__file__).parent / "translations"
# Tenant and user locales are stored as BCP 47 tags; Babel names its catalogs by CLDR ids.
LOCALES: dict[str, str] = {"zh-CN": "zh_Hans_CN", "en": "en"}
LOCALE_NAMES: dict[str, str] = {"zh-CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh-CN"


def selected_locale() -> str:
    """The BCP 47 tag of the page's language (``zh-CN`` or ``en``)."""
    chosen = g.get("ui_locale")
    if chosen is None:
        chosen = g.ui_locale = _choose_locale()
    return chosen


def _choose_locale() -> str:
    from_session = session.get("locale")
    if from_session in LOCALES:
        return from_session
    user_locale = _signed_in_user_locale()
    if user_locale in LOCALES:
        return user_locale
    branding = current_branding()
    if not branding.is_platform and branding.locale in LOCALES:
        return branding.locale
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best == "en":
        return "en"
    return DEFAULT_LOCALE


def _signed_in_user_locale() -> str | None:
    from dinghuo.platform.auth.service import get_user

    principal = current_principal()
    if principal is None or principal.kind != "user":
        return None
    try:
        return get_user(db_session(), principal.id).locale
    except SQLAlchemyError:
        return None


def _babel_locale() -> str:
    return LOCALES[selected_locale()]


def _babel_timezone() -> str:
    return current_branding().timezone


def format_when(value: dt.datetime | None) -> str:
    """A timestamp in the tenant's time zone, the same shape in both languages."""
    if value is None:
        return ""
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def format_money(amount: Decimal | None) -> str:
    """An amount in the tenant's currency, written the way the page's language writes it."""
    if amount is None:
        return ""
    return format_currency(amount, current_branding().currency)


def compile_catalogs(source: Path, fallback: Path) -> Path:
    """Compile every stale ``.po`` under ``source``; returns the directory holding the ``.mo``.

    Written to a temporary file and renamed, so workers starting together never
    read half a catalog.
    """
    try:
        _compile_into(source, source)
        return source
    except OSError:
        _compile_into(source, fallback)
        return fallback


def _compile_into(source: Path, target: Path) -> None:
    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as stream:
            catalog = read_po(stream, locale=po.parent.parent.name)
        mo.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=mo.parent, prefix=".messages-")
        try:
            with os.fdopen(handle, "wb") as out:
                write_mo(out, catalog)
            os.replace(temporary, mo)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    directory = compile_catalogs(TRANSLATIONS, settings.instance_dir / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    app.config["BABEL_DEFAULT_LOCALE"] = LOCALES[DEFAULT_LOCALE]
    Babel(app, locale_selector=_babel_locale, timezone_selector=_babel_timezone)
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals.update(
        ui_locale=selected_locale, LOCALE_NAMES=LOCALE_NAMES, ui_locales=tuple(LOCALES)
    )
