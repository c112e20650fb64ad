"""The dealer portal's pages, in the tenant's branding."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import PAYMENT_TERM_LABELS
from dinghuo.admin_ui.guards import portal_page
from dinghuo.core.crm.service import get_own_dealer
from dinghuo.platform.auth.web import tenant_principal
from dinghuo.web import current_tenant, db_session


@bp.get("/")
def portal_home():
    """The portal on a tenant's domain; the platform's pages on the base domain."""
    if current_tenant() is None:
        return redirect(url_for("ui.platform_home"))
    return _dealer_home()


@portal_page
def _dealer_home():
    """Welcome text of the brand and the dealer's own account."""
    dealer = get_own_dealer(db_session(), tenant_principal())
    return render_template("ui/portal/home.html", dealer=dealer, payment_terms=PAYMENT_TERM_LABELS)
