"""The checkout page: the cart becomes an order, exactly once.

One page for the dealer's users (``/checkout``, from the portal cart) and for
the brand's staff ordering on a dealer's behalf (``/console/order-for/checkout``,
from the console's "order for a dealer" cart); the order records who placed it.
Everything is decided by :func:`dinghuo.core.orders.checkout.prepare_checkout`
(what to show) and :func:`dinghuo.core.orders.submission.submit_order` (what to
accept); this module only reads the form and places the answers.

Three things make a double click, a re-post or a stale page harmless:

* the page carries a random form token, sent as the submission's idempotency
  key: the same form posted twice answers the one order it made;
* it carries the totals it showed (goods, and freight per delivery option),
  sent as ``expected_total``: when prices, promotions or freight changed in
  between, nothing is submitted and the page shows the new figures to confirm;
* a refusal rolls the request back and re-renders the page with each reason
  next to the field or cart line it concerns.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import PAYMENT_TERM_LABELS
from dinghuo.admin_ui.guards import console_page, portal_page
from dinghuo.admin_ui.views.cart import cart_message
from dinghuo.core.crm.models import PaymentTerms
from dinghuo.core.orders import checkout, submission
from dinghuo.core.orders.states import OrderStatus
from dinghuo.core.pricing.service import tenant_today
from dinghuo.errors import DomainError
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

FREIGHT_PREFIX = "freight::"
"""Hidden fields ``freight::<option code>``: the freight the page showed for each option."""

_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (
        re.compile(
            r"Only (?P<available>-?\d+) of (?P<code>\S+) available; "
            r"this line asks for (?P<requested>\d+)\."
        ),
        lambda m: _(
            "Only %(available)s of %(code)s available; this line asks for %(requested)s.", **m
        ),
    ),
    (
        re.compile(r"Choose one of the dealer's ship-to addresses\."),
        lambda m: _("Choose one of the dealer's ship-to addresses."),
    ),
    (
        re.compile(r"Choose one of the delivery options offered: .*"),
        lambda m: _("Choose one of the delivery options offered."),
    ),
    (re.compile(r"Choose one of: .*"), lambda m: _("Choose one of the payment terms offered.")),
    (re.compile(r"Use a date such as .*"), lambda m: _("Use a date such as 2026-12-01.")),
    (re.compile(r"The date is in the past\."), lambda m: _("The date is in the past.")),
    (
        re.compile(
            r"Over the credit limit: this order \((?P<total>[-\d.]+)\) and open orders on "
            r"account \((?P<used>[-\d.]+)\) exceed the limit of (?P<limit>[-\d.]+); "
            r"(?P<available>[-\d.]+) is available\..*"
        ),
        lambda m: _(
            "Over the credit limit: this order (%(total)s) and open orders on account "
            "(%(used)s) exceed the limit of %(limit)s; %(available)s is available. "
            "Pay in advance or ask the brand to raise the limit.",
            **m,
        ),
    ),
    (
        re.compile(r"The total is now (?P<total>[-\d.]+)\."),
        lambda m: _("The total is now %(total)s.", **m),
    ),
    (re.compile(r"The cart is empty\."), lambda m: _("The cart is empty.")),
    (
        re.compile(r"Use at most (?P<n>\d+) characters\."),
        lambda m: _("Use at most %(n)s characters.", **m),
    ),
    (
        re.compile(r"This key already submitted order (?P<number>\S+) with other content; .*"),
        lambda m: _(
            "This checkout was already submitted as order %(number)s. "
            "To place another order, open the checkout again.",
            **m,
        ),
    ),
    (
        re.compile(r"Dealer (?P<code>\S+) is suspended and cannot order\."),
        lambda m: _("Dealer %(code)s is suspended and cannot order.", **m),
    ),
]
_LINE_FIELD = re.compile(r"^lines\.(\d+)\.\w+$")
_FORM_FIELDS = (
    "ship_to_address_id",
    "delivery_method",
    "requested_delivery_date",
    "po_number",
    "notes",
    "payment_terms",
)


@bp.app_template_filter("checkout_message")
def checkout_message(message: str) -> str:
    """A submission refusal in the user's language (the services speak English, for the API)."""
    for pattern, translate in _MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return str(translate(match.groupdict()))
    return cart_message(message)


@dataclass
class CheckoutForm:
    """What the user chose and typed, kept across re-renders (address change, refusal)."""

    token: str
    address_id: int | None = None
    delivery_method: str = ""
    requested_delivery_date: str = ""
    po_number: str = ""
    notes: str = ""
    payment_terms: str = ""
    goods_total: str = ""
    freights: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, data: MultiDict[str, str]) -> CheckoutForm:
        token = data.get("token", "").strip()[:100]
        return cls(
            token=token or secrets.token_urlsafe(16),
            address_id=data.get("address_id", type=int),
            delivery_method=data.get("delivery_method", "")[:120],
            requested_delivery_date=data.get("requested_delivery_date", "").strip()[:20],
            po_number=data.get("po_number", "")[:200],
            notes=data.get("notes", "")[: submission.MAX_NOTES + 100],
            payment_terms=data.get("payment_terms", "")[:20],
            goods_total=data.get("goods_total", "")[:30],
            freights={
                key[len(FREIGHT_PREFIX) :]: value[:30]
                for key, value in data.items()
                if key.startswith(FREIGHT_PREFIX)
            },
        )

    def expected_total(self) -> Decimal | None:
        """The total the page showed for the chosen option (``None``: it showed none)."""
        if self.delivery_method not in self.freights:
            return None
        try:
            return Decimal(self.goods_total) + Decimal(self.freights[self.delivery_method])
        except InvalidOperation:
            return None


def _term_label(terms: str) -> str:
    try:
        return str(PAYMENT_TERM_LABELS[PaymentTerms(terms)])
    except ValueError:
        return terms


def _urls(area: str, dealer_id: int) -> dict[str, str]:
    if area == "portal":
        return {"checkout": url_for("ui.portal_checkout"), "cart": url_for("ui.portal_cart")}
    return {
        "checkout": url_for("ui.console_checkout", dealer_id=dealer_id),
        "cart": url_for("ui.console_order_for", dealer_id=dealer_id),
    }


def _place_errors(
    fields: dict[str, list[str]], sku_ids: list[int]
) -> tuple[dict[str, list[str]], dict[int, list[str]]]:
    """Refusal reasons by form field, and by cart line (SKU id); the rest under ``form``."""
    by_field: dict[str, list[str]] = {}
    by_line: dict[int, list[str]] = {}
    for name, reasons in fields.items():
        match = _LINE_FIELD.match(name)
        if match and int(match.group(1)) < len(sku_ids):
            by_line.setdefault(sku_ids[int(match.group(1))], []).extend(reasons)
        elif name in _FORM_FIELDS:
            by_field.setdefault(name, []).extend(reasons)
        elif name != "expected_total":
            by_field.setdefault("form", []).extend(reasons)
    return by_field, by_line


def _page(
    area: str,
    dealer_id: int | None,
    form: CheckoutForm,
    *,
    refusal: DomainError | None = None,
    previous_total: Decimal | None = None,
):
    """The page for ``form``'s choices; a ``refusal``'s reasons placed where they belong."""
    session, principal = db_session(), tenant_principal()
    view = checkout.prepare_checkout(session, principal, dealer_id, form.address_id)
    errors, line_errors = {}, {}
    if refusal is not None:
        errors, line_errors = _place_errors(
            refusal.fields or {"form": [refusal.message]}, [line.sku_id for line in view.cart.lines]
        )
    goods = view.cart.total
    option_codes = [option.code for option in view.options]
    chosen = form.delivery_method if form.delivery_method in option_codes else None
    if chosen is None and view.options:
        chosen = view.options[0].code
    freight = next((o.freight for o in view.options if o.code == chosen), Decimal("0.00"))
    terms = form.payment_terms or view.dealer.payment_terms.value
    return render_template(
        "ui/checkout/checkout.html",
        area=area,
        layout="ui/portal/layout.html" if area == "portal" else "ui/console/layout.html",
        view=view,
        cart=view.cart,
        priced=view.cart.priced,
        form=form,
        chosen=chosen,
        options=[(option, view.cart.priced.total(option.freight)) for option in view.options],
        goods_total=goods,
        freight=freight,
        total=view.cart.priced.total(freight),
        terms=terms,
        term_choices=[(value, _term_label(value)) for value in view.payment_terms],
        on_account=terms != PaymentTerms.PREPAID.value,
        today=tenant_today(session).isoformat(),
        urls=_urls(area, view.dealer.id),
        errors=errors,
        line_errors=line_errors,
        previous_total=previous_total,
        vat_percent=f"{(view.cart.priced.tax_rate * 100).normalize():f}",
    ), refusal.status if refusal is not None else 200


def _show(area: str, dealer_id: int | None):
    return _page(area, dealer_id, CheckoutForm.read(request.args))


def _submit(area: str, dealer_id: int | None):
    """Place the order, or re-render with the reasons (``refresh``: just re-quote the address)."""
    form = CheckoutForm.read(request.form)
    if request.form.get("refresh"):
        return _page(area, dealer_id, form)
    session, principal = db_session(), tenant_principal()
    expected = form.expected_total()
    try:
        result = submission.submit_order(
            session,
            principal,
            dealer_id=dealer_id,
            ship_to_address_id=form.address_id,
            delivery_method=form.delivery_method,
            requested_delivery_date=form.requested_delivery_date or None,
            po_number=form.po_number,
            notes=form.notes,
            payment_terms=form.payment_terms or None,
            expected_total=expected,
            idempotency_key=form.token,
        )
    except DomainError as error:
        session.rollback()
        stale = "expected_total" in error.fields
        return _page(
            area, dealer_id, form, refusal=error, previous_total=expected if stale else None
        )
    order = result.order
    if result.created and order.status is OrderStatus.DEALER_REVIEW:
        flash(
            _(
                "Order %(number)s is waiting for your dealer admin's approval: "
                "it is over your approval limit.",
                number=order.number,
            ),
            "warning",
        )
    elif result.created:
        flash(_("Order %(number)s is submitted.", number=order.number), "success")
    if area == "portal":
        return redirect(url_for("ui.portal_order", order_id=order.id))
    return redirect(url_for("ui.order_detail", order_id=order.id))


@bp.get("/checkout")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_checkout():
    """Where the goods go, how, when and on what terms; the full price breakdown; place order."""
    return _show("portal", None)


@bp.post("/checkout")
@portal_page
@requires(Permission.ORDERS_PLACE)
def portal_checkout_submit():
    return _submit("portal", None)


@bp.get("/console/order-for/checkout")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_checkout():
    """The same checkout for a sales rep's cart for a dealer; the order records who placed it."""
    return _show("console", request.args.get("dealer_id", type=int))


@bp.post("/console/order-for/checkout")
@console_page
@requires(Permission.ORDERS_MANAGE)
def console_checkout_submit():
    return _submit("console", request.args.get("dealer_id", type=int))
