"""In-app notifications: who hears about an order, shipment or return event, and the bell.

:func:`notify_for_event` is the outbox's own consumer (run by the job in
:mod:`.jobs`, one per event): it turns one ``order.*``, ``shipment.*`` or
``return.*`` event into one :class:`Notification` per recipient, written in
the recipient's language. Recipients:

* on the dealer's side, the user who placed the order (when a dealer user did)
  and the dealer's admins, for every step the dealer cares about;
* on the brand's side, the staff whose job the event starts: the reviewers of
  the step a submitted order waits at, the warehouse for an approved order (or
  one cancelled after approval), the returns desk for a requested return. Each
  goes to the role made for it (sales, finance, warehouse); owners and admins
  hold every permission and hear only when nobody holds that role.

Whoever caused the event is not told about it. The same event never notifies
anyone twice: a unique ``(tenant, event, user)`` makes a rerun of the job
(a retry, a second worker) a no-op.

Reading them (:func:`list_notifications`, :func:`mark_read`, ...) is limited
to the signed-in user's own notifications; another user's id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from sqlalchemy import func, select, update

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.crm.models import Dealer
from dinghuo.core.fulfilment.models import ReturnRequest, Shipment
from dinghuo.core.orders.models import Order, OrderActivity
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import NotFound, PermissionDenied
from dinghuo.platform.auth.models import Role, User
from dinghuo.platform.auth.permissions import ROLE_PERMISSIONS, Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.models import OutboxEvent
from dinghuo.platform.notifications.models import Notification
from dinghuo.platform.tenants.models import Tenant

NOTIFIED_EVENTS = ("order.", "shipment.", "return.")
"""Event types (by prefix) that may notify someone; others never start a job."""

CATALOGS = Path(__file__).resolve().parents[2] / "admin_ui" / "translations"
"""The UI's catalogs: notifications speak the same words as the pages."""
_LOCALES = {"zh-CN": "zh_Hans_CN", "en": "en"}
_MANAGERS = (Role.OWNER, Role.ADMIN)
_REVIEW_PERMISSION = {
    "sales": Permission.ORDERS_REVIEW_SALES,
    "finance": Permission.ORDERS_REVIEW_FINANCE,
    "warehouse": Permission.ORDERS_REVIEW_WAREHOUSE,
}
_AFTER_APPROVAL = frozenset({"approved", "in_production", "backordered"})


# --- from an event to notifications ------------------------------------------------------


@dataclass
class _Subject:
    """What an event is about, loaded once: the order, and the shipment or return if any."""

    order: Order
    dealer: Dealer
    actor_id: int | None = None
    shipment: Shipment | None = None
    return_request: ReturnRequest | None = None
    reason: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


class Translator:
    """``_(msgid, **values)`` in one language, read from the UI's catalogs (no request needed).

    Jobs write notifications for many users, each in their own language, so the
    language is an argument rather than the request's.
    """

    def __init__(self, locale: str | None) -> None:
        self.strings = _catalog(_LOCALES.get(locale or "", "zh_Hans_CN"))

    def __call__(self, msgid: str, **values: Any) -> str:
        text = self.strings.get(msgid) or msgid
        return text % values if values else text


@cache
def _catalog(name: str) -> dict[str, str]:
    path = CATALOGS / name / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as stream:
        return {
            m.id: m.string
            for m in read_po(stream)
            if isinstance(m.id, str) and isinstance(m.string, str) and m.string
        }


Text = Callable[["_Subject", Translator], tuple[str, str]]


@dataclass(frozen=True)
class _Audience:
    """Who hears, and how the message reads for them."""

    users: list[User]
    text: Text
    """``(title, body)`` in the language of the translator it is given."""
    staff: bool = False


def notify_for_event(session: TenantSession, event_id: int) -> list[Notification]:
    """Write the notifications of one outbox event (nothing if it already has some).

    Returns the notifications created, so the caller can e-mail them after commit.
    """
    event = session.scalar(select(OutboxEvent).where(OutboxEvent.id == event_id))
    if event is None or not event.type.startswith(NOTIFIED_EVENTS):
        return []
    already = session.scalar(select(Notification.id).where(Notification.event_id == event.id))
    if already is not None:
        return []
    subject = _load_subject(session, event)
    if subject is None:
        return []
    tenant_locale = session.scalar(select(Tenant.locale).where(Tenant.id == session.tenant_id))
    created: list[Notification] = []
    seen: set[int] = set()
    for audience in _audiences(session, event.type, subject):
        link = (
            f"/console/orders/{subject.order.id}"
            if audience.staff
            else f"/orders/{subject.order.id}"
        )
        for user in audience.users:
            if user.id in seen or user.id == subject.actor_id or not user.is_active:
                continue
            seen.add(user.id)
            title, body = audience.text(subject, Translator(user.locale or tenant_locale))
            notice = Notification(
                user_id=user.id,
                kind=event.type,
                title=title[:200],
                body=body[:2000],
                link=link,
                details={"order_id": subject.order.id, "number": subject.order.number},
                event_id=event.id,
            )
            session.add(notice)
            created.append(notice)
    session.flush()
    return created


def _load_subject(session: TenantSession, event: OutboxEvent) -> _Subject | None:
    if not event.aggregate_id.isdigit():
        return None
    aggregate_id = int(event.aggregate_id)
    shipment = return_request = None
    actor_id: int | None = None
    if event.aggregate_type == "order":
        order_id = aggregate_id
    elif event.aggregate_type == "shipment":
        shipment = session.scalar(select(Shipment).where(Shipment.id == aggregate_id))
        if shipment is None:
            return None
        order_id, actor_id = shipment.order_id, shipment.created_by_id
    elif event.aggregate_type == "return":
        return_request = session.scalar(
            select(ReturnRequest).where(ReturnRequest.id == aggregate_id)
        )
        if return_request is None:
            return None
        order_id = return_request.order_id
        actor_id = (
            return_request.created_by_id
            if event.type == "return.requested"
            else return_request.decided_by_id
        )
    else:
        return None
    order = session.scalar(select(Order).where(Order.id == order_id))
    if order is None:
        return None
    dealer = session.scalar(select(Dealer).where(Dealer.id == order.dealer_id))
    if dealer is None:
        return None
    reason = str(event.payload.get("reason") or "")
    if event.aggregate_type == "order":
        actor_id, reason = _order_actor(session, order, event)
    return _Subject(
        order=order,
        dealer=dealer,
        actor_id=actor_id,
        shipment=shipment,
        return_request=return_request,
        reason=reason,
        fields=dict(event.payload),
    )


def _order_actor(
    session: TenantSession, order: Order, event: OutboxEvent
) -> tuple[int | None, str]:
    """The user who made this status move (from the timeline), and the reason they gave."""
    target = event.payload.get("to") or event.type.removeprefix("order.")
    entry = session.scalar(
        select(OrderActivity)
        .where(
            OrderActivity.order_id == order.id,
            OrderActivity.kind == "status",
            OrderActivity.to_status == target,
            OrderActivity.created_at <= event.created_at,
        )
        .order_by(OrderActivity.id.desc())
        .limit(1)
    )
    if entry is None:
        return None, str(event.payload.get("reason") or "")
    actor = entry.actor_id if entry.actor_type == "user" else None
    return actor, entry.message


_REVIEW_KINDS = frozenset({"order.submitted", "order.review_step"})
"""Events after which the order waits for a (new) review step's reviewers."""


def _audiences(session: TenantSession, kind: str, subject: _Subject) -> list[_Audience]:
    order = subject.order
    dealer_side = _dealer_recipients(session, order)
    audiences: list[_Audience] = []
    if kind in _DEALER_KINDS:
        audiences.append(_Audience(dealer_side, lambda s, _: _dealer_text(s, _, kind)))
    if kind == "order.dealer_review":
        admins = [u for u in dealer_side if u.role is Role.DEALER_ADMIN]
        audiences = [_Audience(admins, _awaits_dealer_approval)]
    elif kind in _REVIEW_KINDS and order.status.value == "submitted" and order.review_step:
        permission = _REVIEW_PERMISSION[order.review_step.value]
        audiences.append(_Audience(_staff_for(session, permission), _awaits_review, staff=True))
    elif kind == "order.approved":
        staff = _staff_for(session, Permission.SHIPMENTS_MANAGE)
        audiences.append(_Audience(staff, _ready_to_ship, staff=True))
    elif kind == "order.cancelled" and subject.fields.get("from") in _AFTER_APPROVAL:
        staff = _staff_for(session, Permission.SHIPMENTS_MANAGE)
        audiences.append(_Audience(staff, _cancelled_for_staff, staff=True))
    elif kind == "return.requested":
        staff = _staff_for(session, Permission.RETURNS_MANAGE)
        audiences = [_Audience(staff, _return_requested, staff=True)]
    return audiences


def _dealer_recipients(session: TenantSession, order: Order) -> list[User]:
    """The dealer user who placed the order, then the dealer's admins."""
    users = session.scalars(
        select(User)
        .where(User.dealer_id == order.dealer_id, User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    return [u for u in users if u.id == order.created_by_id or u.role is Role.DEALER_ADMIN]


def _staff_for(session: TenantSession, permission: Permission) -> list[User]:
    """Active staff whose own role is made for ``permission``; else the owners and admins."""
    staff = session.scalars(
        select(User).where(User.dealer_id.is_(None), User.is_active.is_(True)).order_by(User.id)
    ).all()
    holders = [u for u in staff if permission in ROLE_PERMISSIONS.get(u.role, frozenset())]
    specialists = [u for u in holders if u.role not in _MANAGERS]
    return specialists or [u for u in holders if u.role in _MANAGERS]


# --- texts: ``_`` is the recipient's translator ------------------------------------------


def _step_name(step: str, _: Translator) -> str:
    names = {"sales": _("sales"), "finance": _("finance"), "warehouse": _("warehouse")}
    return names.get(step, step)


def _because(s: _Subject, _: Translator) -> str:
    return _("Reason: %(reason)s", reason=s.reason) if s.reason else ""


def _from_dealer(s: _Subject, _: Translator) -> str:
    return _("From %(dealer)s.", dealer=s.dealer.display_name)


def _awaits_dealer_approval(s: _Subject, _: Translator) -> tuple[str, str]:
    return (
        _("Order %(number)s awaits your approval", number=s.order.number),
        _(
            "It is over the buyer's approval limit; approve or reject it before it goes to "
            "the brand."
        ),
    )


def _awaits_review(s: _Subject, _: Translator) -> tuple[str, str]:
    step = _step_name(s.order.review_step.value if s.order.review_step else "", _)
    return (
        _("Order %(number)s waits for %(step)s review", number=s.order.number, step=step),
        _from_dealer(s, _),
    )


def _ready_to_ship(s: _Subject, _: Translator) -> tuple[str, str]:
    return (
        _("Order %(number)s is approved: ready to ship", number=s.order.number),
        _from_dealer(s, _),
    )


def _cancelled_for_staff(s: _Subject, _: Translator) -> tuple[str, str]:
    return (
        _("Order %(number)s was cancelled after approval", number=s.order.number),
        " ".join(filter(None, [_from_dealer(s, _), _because(s, _)])),
    )


def _return_number(s: _Subject) -> str:
    return s.return_request.number if s.return_request else ""


def _return_requested(s: _Subject, _: Translator) -> tuple[str, str]:
    return (
        _("Return %(number)s requested", number=_return_number(s)),
        _(
            "%(dealer)s asks to return goods of order %(order)s.",
            dealer=s.dealer.display_name,
            order=s.order.number,
        ),
    )


def _shipment_created(s: _Subject, _: Translator) -> tuple[str, str]:
    number = s.shipment.number if s.shipment else ""
    tracking = s.shipment.tracking_number if s.shipment else ""
    return (
        _(
            "Shipment %(shipment)s of order %(number)s is on its way",
            shipment=number,
            number=s.order.number,
        ),
        _("Tracking number: %(tracking)s", tracking=tracking) if tracking else "",
    )


def _dealer_text(s: _Subject, _: Translator, kind: str) -> tuple[str, str]:
    """What the dealer's side reads about ``kind`` (see :data:`_DEALER_KINDS`)."""
    n = s.order.number
    titles = {
        "order.submitted": (
            _("Order %(number)s submitted", number=n),
            _("The brand is reviewing it."),
        ),
        "order.approved": (_("Order %(number)s approved", number=n), ""),
        "order.rejected": (_("Order %(number)s rejected", number=n), _because(s, _)),
        "order.cancelled": (_("Order %(number)s cancelled", number=n), _because(s, _)),
        "order.in_production": (_("Order %(number)s is in production", number=n), ""),
        "order.backordered": (_("Order %(number)s is backordered", number=n), _because(s, _)),
        "order.delivered": (_("Order %(number)s delivered", number=n), ""),
        "order.completed": (_("Order %(number)s completed", number=n), ""),
    }
    if kind == "shipment.created":
        return _shipment_created(s, _)
    if kind.startswith("return."):
        note = s.return_request.decision_note if s.return_request else ""
        number = _return_number(s)
        returns = {
            "return.approved": _("Return %(number)s approved", number=number),
            "return.rejected": _("Return %(number)s rejected", number=number),
            "return.received": _("Return %(number)s received", number=number),
        }
        return returns[kind], note
    return titles[kind]


_DEALER_KINDS = frozenset(
    {
        "order.submitted",
        "order.approved",
        "order.rejected",
        "order.cancelled",
        "order.in_production",
        "order.backordered",
        "order.delivered",
        "order.completed",
        "shipment.created",
        "return.approved",
        "return.rejected",
        "return.received",
    }
)
"""What the dealer's side hears about; ``order.shipped`` is told by ``shipment.created``
(one per parcel, with its tracking number)."""


# --- the signed-in user's notifications --------------------------------------------------


def _own(actor: Principal) -> int:
    """The actor's user id: notifications belong to people, not to integration clients."""
    if actor.user_id is None:
        raise PermissionDenied("Notifications belong to users; sign in as one.")
    return actor.user_id


def list_notifications(
    session: TenantSession,
    actor: Principal,
    *,
    unread: bool | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """The actor's notifications, newest first; ``unread=True`` for the unread ones only."""
    query = select(Notification).where(Notification.user_id == _own(actor))
    if unread is True:
        query = query.where(Notification.read_at.is_(None))
    elif unread is False:
        query = query.where(Notification.read_at.is_not(None))
    return paginate(
        session,
        query,
        id_column=Notification.id,
        sortable={"id": Notification.id},
        default_sort="-id",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def unread_count(session: TenantSession, actor: Principal) -> int:
    """How many notifications the actor has not read (the number on the bell)."""
    query = select(func.count(Notification.id)).where(
        Notification.user_id == _own(actor), Notification.read_at.is_(None)
    )
    return session.scalar(query) or 0


def mark_read(session: TenantSession, actor: Principal, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (another user's or tenant's: 404)."""
    notice = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == _own(actor)
        )
    )
    if notice is None:
        raise NotFound("No such notification.")
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.flush()
    return notice


def mark_all_read(session: TenantSession, actor: Principal) -> int:
    """Mark every unread notification of the actor read; returns how many there were."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == _own(actor), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
