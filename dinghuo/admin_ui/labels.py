"""The words for stored enum values (statuses, payment terms, review steps), in the page's language.

Models and services keep machine values (``prepaid``, ``in_transit``); a page
shows them through :func:`enum_label`, also the template filter ``label``::

    {{ order.payment_terms | label("payment_terms") }}

One table per kind, because the same value means different things
(``delivered`` is an order's, a shipment's and a scan's status). A value the
table does not know (a status a newer carrier plugin reports) is shown as is
rather than hidden.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from dinghuo.admin_ui.blueprint import bp
from dinghuo.admin_ui.forms import PAYMENT_TERM_LABELS
from dinghuo.core.fulfilment.models import ReturnStatus, ShipmentStatus
from dinghuo.core.orders.models import ReviewStep
from dinghuo.core.orders.states import OrderStatus as S

ORDER_STATUS = {
    S.DRAFT: _l("Draft"),
    S.DEALER_REVIEW: _l("With the dealer's admin"),
    S.SUBMITTED: _l("In review"),
    S.APPROVED: _l("Approved"),
    S.REJECTED: _l("Rejected"),
    S.IN_PRODUCTION: _l("In production"),
    S.BACKORDERED: _l("Backordered"),
    S.PARTIALLY_SHIPPED: _l("Partially shipped"),
    S.SHIPPED: _l("Shipped"),
    S.DELIVERED: _l("Delivered"),
    S.COMPLETED: _l("Completed"),
    S.CANCELLED: _l("Cancelled"),
}
"""An order's status in the brand's staff wording."""

DEALER_ORDER_STATUS = ORDER_STATUS | {S.DEALER_REVIEW: _l("Awaiting your approval")}
"""The same in the dealer's wording: their own admin approves orders in dealer review."""

REVIEW_STEP = {
    ReviewStep.SALES: _l("Sales review"),
    ReviewStep.FINANCE: _l("Finance review"),
    ReviewStep.WAREHOUSE: _l("Warehouse review"),
}
REVIEW_OUTCOME = {
    "pending": _l("Waiting"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "auto_approved": _l("Auto-approved"),
}
SHIPMENT_STATUS = {
    ShipmentStatus.PENDING: _l("Packed"),
    ShipmentStatus.SHIPPED: _l("Shipped"),
    ShipmentStatus.IN_TRANSIT: _l("In transit"),
    ShipmentStatus.DELIVERED: _l("Delivered"),
    ShipmentStatus.CANCELLED: _l("Cancelled"),
}
TRACKING_STATUS = {
    "picked_up": _l("Picked up"),
    "in_transit": _l("In transit"),
    "out_for_delivery": _l("Out for delivery"),
    "delivered": _l("Delivered"),
    "exception": _l("Delivery problem"),
}
RETURN_STATUS = {
    ReturnStatus.REQUESTED: _l("Requested"),
    ReturnStatus.APPROVED: _l("Approved"),
    ReturnStatus.REJECTED: _l("Rejected"),
    ReturnStatus.RECEIVED: _l("Received"),
}
CONFIRMED_BY = {"dealer": _l("the dealer"), "staff": _l("staff"), "carrier": _l("the carrier")}

ENUM_LABELS: dict[str, Mapping[Any, Any]] = {
    "order_status": ORDER_STATUS,
    "dealer_order_status": DEALER_ORDER_STATUS,
    "payment_terms": PAYMENT_TERM_LABELS,
    "review_step": REVIEW_STEP,
    "review_outcome": REVIEW_OUTCOME,
    "shipment_status": SHIPMENT_STATUS,
    "tracking_status": TRACKING_STATUS,
    "return_status": RETURN_STATUS,
    "confirmed_by": CONFIRMED_BY,
}


@bp.app_template_filter("label")
def enum_label(value: enum.Enum | str | None, kind: str) -> str:
    """``value`` of enum ``kind`` (a key of :data:`ENUM_LABELS`) in the page's language."""
    if value is None:
        return ""
    key = value.value if isinstance(value, enum.Enum) else value
    # StrEnum members hash like their values, so plain strings find enum-keyed entries.
    return str(ENUM_LABELS[kind].get(key, key))
