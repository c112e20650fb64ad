"""The look of the request's tenant, as plain values the templates can trust.

The branding is copied out of the ORM once per request, so an error page
rendered after a failed transaction never touches the database again. The
brand colour becomes CSS custom properties; colours derived from it keep text
readable (WCAG AA, 4.5:1) on light and dark backgrounds whatever colour a
tenant picks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import g
from sqlalchemy.exc import SQLAlchemyError

from dinghuo.web import current_tenant

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
PLATFORM_COLOR = "#0f766e"
DEFAULT_COLOR = "#1f6feb"
LIGHT_BACKGROUND = "#ffffff"
DARK_BACKGROUND = "#161b22"
MIN_CONTRAST = 4.5


@dataclass(frozen=True)
class Branding:
    """What a page shows of its tenant (or of the platform on the base domain)."""

    name: str
    color: str
    on_color: str
    ink_light: str
    ink_dark: str
    logo_url: str | None
    welcome_text: str
    locale: str
    timezone: str
    currency: str
    is_platform: bool

    @classmethod
    def build(
        cls,
        *,
        name: str,
        color: str,
        logo_url: str | None,
        welcome_text: str,
        locale: str,
        timezone: str,
        currency: str,
        is_platform: bool,
    ) -> Branding:
        color = color.lower() if HEX_COLOR.match(color or "") else DEFAULT_COLOR
        return cls(
            name=name,
            color=color,
            on_color=text_on(color),
            ink_light=readable_on(color, LIGHT_BACKGROUND),
            ink_dark=readable_on(color, DARK_BACKGROUND),
            logo_url=logo_url,
            welcome_text=welcome_text,
            locale=locale,
            timezone=timezone,
            currency=currency,
            is_platform=is_platform,
        )


def current_branding() -> Branding:
    """The request's branding, computed once and kept for error pages."""
    branding = g.get("ui_branding")
    if branding is None:
        branding = g.ui_branding = _branding_of_request()
    return branding


def _branding_of_request() -> Branding:
    tenant = current_tenant()
    if tenant is None:
        return PLATFORM
    try:
        return Branding.build(
            name=tenant.display_name or tenant.name,
            color=tenant.primary_color,
            logo_url=(
                f"/media/logo?v={tenant.logo_path.rsplit('/', 1)[-1]}" if tenant.logo_path else None
            ),
            welcome_text=tenant.welcome_text or "",
            locale=tenant.locale,
            timezone=tenant.timezone,
            currency=tenant.currency,
            is_platform=False,
        )
    except SQLAlchemyError:
        return PLATFORM


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def luminance(color: str) -> float:
    r, g_, b = (_channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g_ + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_on(color: str) -> str:
    """White or near-black, whichever reads better on ``color`` (button labels)."""
    white, black = "#ffffff", "#111111"
    return white if contrast(white, color) >= contrast(black, color) else black


def _mix(color: str, toward: str, amount: float) -> str:
    mixed = (round(a + (b - a) * amount) for a, b in zip(_rgb(color), _rgb(toward), strict=True))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def readable_on(color: str, background: str) -> str:
    """``color`` itself if it reads on ``background``, else the nearest shade that does."""
    toward = "#000000" if luminance(background) > 0.5 else "#ffffff"
    for step in range(0, 21):
        candidate = _mix(color, toward, step / 20)
        if contrast(candidate, background) >= MIN_CONTRAST:
            return candidate
    return toward


PLATFORM = Branding.build(
    name="Dinghuo",
    color=PLATFORM_COLOR,
    logo_url=None,
    welcome_text="",
    locale="zh-CN",
    timezone="UTC",
    currency="CNY",
    is_platform=True,
)
