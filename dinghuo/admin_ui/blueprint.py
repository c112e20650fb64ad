"""The ``ui`` blueprint: console, dealer portal, platform pages, media."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ui", __name__, template_folder="templates")
