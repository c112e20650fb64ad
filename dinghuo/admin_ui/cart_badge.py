"""The portal's "Cart" navigation label, with the number of lines in the signed-in user's cart.

The navigation renders each item's label as markup, so a lazy label can carry
its badge without the layout knowing about carts. It runs one count query per
page, only for dealer users who may order.
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from sqlalchemy import func, select

from dinghuo.core.orders.models import Cart, CartLine
from dinghuo.platform.auth.permissions import Permission
from dinghuo.web import current_principal, db_session


def _label() -> Markup:
    label = escape(gettext("Cart"))
    principal = current_principal() if has_request_context() else None
    if (
        principal is None
        or principal.user_id is None
        or principal.dealer_id is None
        or not principal.can(Permission.ORDERS_PLACE)
    ):
        return Markup(label)
    count = db_session().scalar(
        select(func.count())
        .select_from(CartLine)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(Cart.user_id == principal.user_id, Cart.dealer_id == principal.dealer_id)
    )
    if not count:
        return Markup(label)
    return Markup('{} <span class="nav-count" data-cart-count>{}</span>').format(label, count)


cart_label = LazyString(_label)
