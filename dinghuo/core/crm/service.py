"""Dealer accounts: the rules for creating, changing and reading them.

Plain functions over a tenant-bound session; the API and the console call the
same ones. Every function that takes an ``actor`` authorises it: staff read
with ``dealers:read`` and change with ``dealers:manage``; a dealer's own users
read only their own account (``own_dealer:read``). ``actor=None`` is the system
itself (seeding, jobs, other services that have already authorised).

A missing id and another tenant's id raise the same :class:`NotFound`. Bad
input raises :class:`ValidationFailed` naming the field, before anything is
written. Every change writes an audit entry in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from dinghuo.api.pagination import Page, paginate
from dinghuo.core.checks import load, reject_unknown, require, text
from dinghuo.core.crm.models import (
    AddressKind,
    Dealer,
    DealerAddress,
    DealerContact,
    DealerGroup,
    DealerGroupMember,
    DealerStatus,
    PaymentTerms,
)
from dinghuo.db import TenantSession, utcnow
from dinghuo.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dinghuo.platform.audit.service import record
from dinghuo.platform.auth.models import Role, User
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.events.service import emit

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
"""Dealer and group codes: what ERPs and spreadsheets accept as a key."""

TIER_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
"""Tiers are short codes (A, B, C, D, or a brand's own such as VIP)."""

MAX_CREDIT_LIMIT = Decimal("999999999999.99")
"""The largest amount the Money column (integer minor units) holds with room to spare."""

MAX_GROUPS_PER_DEALER = 50
SALES_REP_ROLES = frozenset({Role.SALES, Role.ADMIN, Role.OWNER})

DEALER_SORTS = {
    "code": Dealer.code,
    "name_zh": Dealer.name_zh,
    "name_en": Dealer.name_en,
    "tier": Dealer.tier,
    "created_at": Dealer.created_at,
}
GROUP_SORTS = {"code": DealerGroup.code, "name": DealerGroup.name}

DEALER_FIELDS = frozenset(
    {
        "code",
        "name_zh",
        "name_en",
        "tier",
        "region",
        "credit_limit",
        "payment_terms",
        "sales_rep_id",
        "group_ids",
    }
)
ADDRESS_FIELDS = frozenset(
    {
        "kind",
        "label",
        "recipient",
        "phone",
        "province",
        "city",
        "district",
        "street",
        "postal_code",
        "is_default",
    }
)
CONTACT_FIELDS = frozenset({"name", "title", "phone", "email"})
GROUP_FIELDS = frozenset({"code", "name"})

# (max length, required) of free-text fields, matching the columns.
_ADDRESS_TEXT = {
    "label": (100, False),
    "recipient": (100, True),
    "phone": (40, True),
    "province": (50, True),
    "city": (50, True),
    "district": (50, False),
    "street": (300, True),
    "postal_code": (20, False),
}
_CONTACT_TEXT = {"name": (100, True), "title": (100, False), "phone": (40, False)}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- authorisation -------------------------------------------------------------------------


def _may_read_dealer(actor: Principal | None, dealer_id: int) -> bool:
    """Whether ``actor`` may see this dealer; raises 403 for those who may see none."""
    if actor is None or actor.can(Permission.DEALERS_READ):
        return True
    if actor.can(Permission.OWN_DEALER_READ):
        return actor.dealer_id == dealer_id
    raise PermissionDenied(f"This needs the permission: {Permission.DEALERS_READ.value}.")


# --- validation ----------------------------------------------------------------------------


def _code(field: str, value: Any) -> str:
    code = text(field, value, 40, required=True).upper()
    if not CODE_PATTERN.match(code):
        raise ValidationFailed.field(
            field, "Use letters, digits, dashes or underscores (at most 40)."
        )
    return code


def _tier(value: Any) -> str:
    tier = text("tier", value, 10, required=True).upper()
    if not TIER_PATTERN.match(tier):
        raise ValidationFailed.field("tier", "Use a short code such as A, B, C or D.")
    return tier


def _credit_limit(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationFailed.field("credit_limit", "Must be a decimal amount.")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise ValidationFailed.field("credit_limit", "Must be a decimal amount.") from exc
    if not amount.is_finite():
        raise ValidationFailed.field("credit_limit", "Must be a decimal amount.")
    if amount < 0:
        raise ValidationFailed.field("credit_limit", "Must not be negative.")
    if amount > MAX_CREDIT_LIMIT:
        raise ValidationFailed.field("credit_limit", f"Must be at most {MAX_CREDIT_LIMIT}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed.field("credit_limit", "Use at most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def _payment_terms(value: Any) -> PaymentTerms:
    try:
        return PaymentTerms(value)
    except ValueError as exc:
        allowed = ", ".join(t.value for t in PaymentTerms)
        raise ValidationFailed.field("payment_terms", f"Use one of: {allowed}.") from exc


def _sales_rep_id(session: TenantSession, value: Any) -> int | None:
    """An active staff user of this tenant who can sell, or ``None`` for no rep."""
    if value is None:
        return None
    is_id = isinstance(value, int) and not isinstance(value, bool)
    rep = load(session, User, value) if is_id else None
    if rep is None or not rep.is_active or rep.role not in SALES_REP_ROLES:
        raise ValidationFailed.field(
            "sales_rep_id", "Choose an active sales, admin or owner user of this brand."
        )
    return rep.id


def _groups(session: TenantSession, value: Any) -> list[DealerGroup]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    ):
        raise ValidationFailed.field("group_ids", "Must be a list of group ids.")
    ids = list(dict.fromkeys(value))
    if len(ids) > MAX_GROUPS_PER_DEALER:
        raise ValidationFailed.field("group_ids", f"At most {MAX_GROUPS_PER_DEALER} groups.")
    groups = (
        list(session.scalars(select(DealerGroup).where(DealerGroup.id.in_(ids)))) if ids else []
    )
    found = {g.id for g in groups}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed.field("group_ids", f"No such dealer group: {missing[0]}.")
    return sorted(groups, key=lambda g: g.id)


def _unique_code(
    session: TenantSession, model: type[Dealer] | type[DealerGroup], code: str, own_id: int | None
) -> None:
    existing = session.scalar(select(model.id).where(model.code == code))
    if existing is not None and existing != own_id:
        noun = "dealer" if model is Dealer else "dealer group"
        raise ValidationFailed.field("code", f"A {noun} with this code already exists.")


def _dealer_values(
    session: TenantSession, changes: Mapping[str, Any], own_id: int | None
) -> dict[str, Any]:
    """Validate and normalise dealer fields; nothing is written until all pass."""
    reject_unknown(changes, DEALER_FIELDS)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "code":
            values[name] = _code("code", value)
            _unique_code(session, Dealer, values[name], own_id)
        elif name == "name_zh":
            values[name] = text(name, value, 200, required=True)
        elif name == "name_en":
            values[name] = text(name, value, 200, required=False)
        elif name == "region":
            values[name] = text(name, value, 100, required=False)
        elif name == "tier":
            values[name] = _tier(value)
        elif name == "credit_limit":
            values[name] = _credit_limit(value)
        elif name == "payment_terms":
            values[name] = _payment_terms(value)
        elif name == "sales_rep_id":
            values[name] = _sales_rep_id(session, value)
        elif name == "group_ids":
            values[name] = _groups(session, value)
    return values


def _set_groups(dealer: Dealer, groups: Iterable[DealerGroup]) -> None:
    """Make the memberships match ``groups``, keeping the rows that stay."""
    wanted = {g.id: g for g in groups}
    dealer.memberships = [m for m in dealer.memberships if m.group_id in wanted]
    kept = {m.group_id for m in dealer.memberships}
    for group_id, group in wanted.items():
        if group_id not in kept:
            dealer.memberships.append(DealerGroupMember(group_id=group_id, group=group))


def _audit_value(name: str, value: Any) -> Any:
    return [g.id for g in value] if name == "group_ids" else value


# --- dealers -------------------------------------------------------------------------------


def get_dealer(session: TenantSession, dealer_id: int, actor: Principal | None = None) -> Dealer:
    """The bound tenant's dealer as ``actor`` may see it, or NotFound.

    A missing id, another tenant's id and (for a dealer's own users) another
    dealer's id all raise the same NotFound; a principal who may read no
    dealer at all gets PermissionDenied.
    """
    allowed = _may_read_dealer(actor, dealer_id)
    dealer = load(session, Dealer, dealer_id) if allowed else None
    if dealer is None:
        raise NotFound("No such dealer.")
    return dealer


def get_own_dealer(session: TenantSession, actor: Principal) -> Dealer:
    """The dealer account of a dealer user (``/my/dealer``); staff belong to none."""
    require(actor, Permission.OWN_DEALER_READ)
    if actor.dealer_id is None:
        raise NotFound("You do not belong to a dealer.")
    return get_dealer(session, actor.dealer_id, actor)


def _managed_dealer(session: TenantSession, actor: Principal | None, dealer_id: int) -> Dealer:
    require(actor, Permission.DEALERS_MANAGE)
    return get_dealer(session, dealer_id, actor)


def create_dealer(
    session: TenantSession,
    actor: Principal | None,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    tier: str = "C",
    region: str = "",
    credit_limit: Decimal = Decimal("0"),
    payment_terms: PaymentTerms | str = PaymentTerms.PREPAID,
    sales_rep_id: int | None = None,
    group_ids: list[int] | None = None,
) -> Dealer:
    """Open a dealer account for the bound tenant.

    The code is upper-cased and unique per tenant; the credit limit is in the
    tenant's currency. The account starts active.
    """
    require(actor, Permission.DEALERS_MANAGE)
    values = _dealer_values(
        session,
        {
            "code": code,
            "name_zh": name_zh,
            "name_en": name_en,
            "tier": tier,
            "region": region,
            "credit_limit": credit_limit,
            "payment_terms": payment_terms,
            "sales_rep_id": sales_rep_id,
            "group_ids": group_ids or [],
        },
        own_id=None,
    )
    groups = values.pop("group_ids")
    dealer = Dealer(status=DealerStatus.ACTIVE, **values)
    _set_groups(dealer, groups)
    session.add(dealer)
    session.flush()
    record(
        session,
        actor,
        "dealer.create",
        "dealer",
        dealer.id,
        {"code": dealer.code, "tier": dealer.tier},
    )
    emit(
        session,
        "dealer.created",
        "dealer",
        dealer.id,
        {"code": dealer.code, "name_zh": dealer.name_zh, "tier": dealer.tier},
    )
    return dealer


def update_dealer(
    session: TenantSession, actor: Principal | None, dealer_id: int, **changes: Any
) -> Dealer:
    """Change some of a dealer's fields (those of :data:`DEALER_FIELDS`).

    ``sales_rep_id=None`` unassigns the rep; ``group_ids`` replaces the
    memberships. The audit entry lists the fields whose value changed.
    """
    dealer = _managed_dealer(session, actor, dealer_id)
    values = _dealer_values(session, changes, own_id=dealer.id)
    changed: dict[str, Any] = {}
    if "group_ids" in values:
        groups = values.pop("group_ids")
        if [g.id for g in groups] != sorted(m.group_id for m in dealer.memberships):
            _set_groups(dealer, groups)
            changed["group_ids"] = groups
    for name, value in values.items():
        if getattr(dealer, name) != value:
            setattr(dealer, name, value)
            changed[name] = value
    if changed:
        session.flush()
        record(
            session,
            actor,
            "dealer.update",
            "dealer",
            dealer.id,
            {name: _audit_value(name, value) for name, value in changed.items()},
        )
    return dealer


def suspend_dealer(
    session: TenantSession, actor: Principal | None, dealer_id: int, reason: str
) -> Dealer:
    """Suspend a dealer: its users can no longer sign in or use their tokens.

    The reason is kept on the account (staff see why) and in the audit log.
    """
    dealer = _managed_dealer(session, actor, dealer_id)
    reason = text("reason", reason, 500, required=True)
    if dealer.status == DealerStatus.SUSPENDED:
        raise Conflict("This dealer is already suspended.")
    dealer.status = DealerStatus.SUSPENDED
    dealer.suspended_reason = reason
    dealer.suspended_at = utcnow()
    record(session, actor, "dealer.suspend", "dealer", dealer.id, {"reason": reason})
    return dealer


def reactivate_dealer(
    session: TenantSession, actor: Principal | None, dealer_id: int, reason: str = ""
) -> Dealer:
    """Lift a suspension; the dealer's active users can sign in again."""
    dealer = _managed_dealer(session, actor, dealer_id)
    reason = text("reason", reason, 500, required=False)
    if dealer.status == DealerStatus.ACTIVE:
        raise Conflict("This dealer is already active.")
    dealer.status = DealerStatus.ACTIVE
    dealer.suspended_reason = None
    dealer.suspended_at = None
    record(session, actor, "dealer.activate", "dealer", dealer.id, {"reason": reason})
    return dealer


def dealer_allows_access(session: TenantSession, dealer_id: int | None) -> bool:
    """Whether users of this dealer may sign in and use their tokens (staff: always)."""
    if dealer_id is None:
        return True
    status = session.scalar(select(Dealer.status).where(Dealer.id == dealer_id))
    return status == DealerStatus.ACTIVE


def dealer_query(
    *,
    status: DealerStatus | None = None,
    tier: str | None = None,
    region: str | None = None,
    group_id: int | None = None,
    sales_rep_id: int | None = None,
    q: str | None = None,
) -> Select[Any]:
    """The dealers matching every given filter (``q`` searches code and both names)."""
    query = select(Dealer).options(selectinload(Dealer.memberships), selectinload(Dealer.sales_rep))
    if status is not None:
        query = query.where(Dealer.status == status)
    if tier:
        query = query.where(Dealer.tier == tier.strip().upper())
    if region:
        query = query.where(Dealer.region == region.strip())
    if group_id is not None:
        members = select(DealerGroupMember.dealer_id).where(DealerGroupMember.group_id == group_id)
        query = query.where(Dealer.id.in_(members))
    if sales_rep_id is not None:
        query = query.where(Dealer.sales_rep_id == sales_rep_id)
    if q and q.strip():
        term = q.strip()
        query = query.where(
            or_(
                Dealer.code.icontains(term, autoescape=True),
                Dealer.name_zh.icontains(term, autoescape=True),
                Dealer.name_en.icontains(term, autoescape=True),
            )
        )
    return query


def list_dealers(
    session: TenantSession,
    actor: Principal | None,
    *,
    status: DealerStatus | None = None,
    tier: str | None = None,
    region: str | None = None,
    group_id: int | None = None,
    sales_rep_id: int | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of the tenant's dealers (staff only), keyset-paginated.

    ``sort`` is one of :data:`DEALER_SORTS` (``-`` for descending; default
    ``code``); pass the returned ``next_cursor`` back for the next page.
    """
    require(actor, Permission.DEALERS_READ)
    query = dealer_query(
        status=status,
        tier=tier,
        region=region,
        group_id=group_id,
        sales_rep_id=sales_rep_id,
        q=q,
    )
    return paginate(
        session,
        query,
        id_column=Dealer.id,
        sortable=DEALER_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


# --- addresses -----------------------------------------------------------------------------


def _address_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown(changes, ADDRESS_FIELDS)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "kind":
            try:
                values[name] = AddressKind(value)
            except ValueError as exc:
                raise ValidationFailed.field("kind", "Use ship_to or bill_to.") from exc
        elif name == "is_default":
            if not isinstance(value, bool):
                raise ValidationFailed.field("is_default", "Must be true or false.")
            values[name] = value
        else:
            max_length, required = _ADDRESS_TEXT[name]
            values[name] = text(name, value, max_length, required=required)
    return values


def _siblings(dealer: Dealer, kind: AddressKind, but: DealerAddress) -> list[DealerAddress]:
    return [a for a in dealer.addresses if a.kind == kind and a is not but]


def _settle_default(
    session: TenantSession, dealer: Dealer, address: DealerAddress, want_default: bool
) -> None:
    """Keep exactly one default per kind once a dealer has an address of that kind.

    Call with ``address.is_default`` false in memory: the old default is cleared
    and flushed before the new one is set, so the unique index on (dealer,
    kind) where is_default never sees two at once, whatever order the flush
    writes rows in.
    """
    siblings = _siblings(dealer, address.kind, address)
    if want_default:
        previous = [a for a in siblings if a.is_default]
        for other in previous:
            other.is_default = False
        if previous:
            session.flush()
        address.is_default = True
    else:
        address.is_default = not any(a.is_default for a in siblings)


def _promote_default(dealer: Dealer, kind: AddressKind, leaving: DealerAddress) -> None:
    """After the default of ``kind`` leaves, the oldest remaining address of that kind takes over."""
    remaining = _siblings(dealer, kind, leaving)
    if remaining and not any(a.is_default for a in remaining):
        remaining[0].is_default = True


def _child(children: list[Any], child_id: int, kind: str) -> Any:
    """One of a dealer's loaded addresses or contacts by id: a dealer's own ids only."""
    for child in children:
        if child.id == child_id:
            return child
    raise NotFound(f"No such {kind}.")


def list_addresses(
    session: TenantSession, actor: Principal | None, dealer_id: int
) -> list[DealerAddress]:
    """A dealer's addresses, oldest first."""
    return list(get_dealer(session, dealer_id, actor).addresses)


def get_address(
    session: TenantSession, actor: Principal | None, dealer_id: int, address_id: int
) -> DealerAddress:
    """One address of a dealer ``actor`` may see, or NotFound."""
    return _child(get_dealer(session, dealer_id, actor).addresses, address_id, "address")


def add_address(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    *,
    kind: AddressKind | str,
    recipient: str,
    phone: str,
    province: str,
    city: str,
    street: str,
    label: str = "",
    district: str = "",
    postal_code: str = "",
    is_default: bool = False,
) -> DealerAddress:
    """Add a ship-to or bill-to address; the first of its kind becomes the default."""
    dealer = _managed_dealer(session, actor, dealer_id)
    values = _address_values(
        {
            "kind": kind,
            "recipient": recipient,
            "phone": phone,
            "province": province,
            "city": city,
            "street": street,
            "label": label,
            "district": district,
            "postal_code": postal_code,
            "is_default": is_default,
        }
    )
    want_default = values.pop("is_default")
    address = DealerAddress(**values, is_default=False)
    _settle_default(session, dealer, address, want_default)
    dealer.addresses.append(address)
    session.flush()
    record(
        session,
        actor,
        "dealer.address.create",
        "dealer_address",
        address.id,
        {"dealer_id": dealer.id, "kind": address.kind, "is_default": address.is_default},
    )
    return address


def update_address(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    address_id: int,
    **changes: Any,
) -> DealerAddress:
    """Change some of an address's fields (:data:`ADDRESS_FIELDS`).

    ``is_default=True`` makes it the default of its kind; a default cannot be
    unset directly (make another address the default instead).
    """
    require(actor, Permission.DEALERS_MANAGE)
    address = get_address(session, actor, dealer_id, address_id)
    dealer = address.dealer
    values = _address_values(changes)
    changed = {name: value for name, value in values.items() if getattr(address, name) != value}
    if not changed:
        return address
    old_kind = address.kind
    new_kind = changed.get("kind", old_kind)
    want_default = values.get("is_default", address.is_default and new_kind == old_kind)
    if address.is_default and not want_default and new_kind == old_kind:
        raise ValidationFailed.field(
            "is_default", "Make another address the default of this kind instead."
        )
    if address.is_default:
        address.is_default = False
        session.flush()
        if new_kind != old_kind:
            _promote_default(dealer, old_kind, address)
            session.flush()
    for name, value in changed.items():
        if name != "is_default":
            setattr(address, name, value)
    _settle_default(session, dealer, address, want_default)
    session.flush()
    record(
        session,
        actor,
        "dealer.address.update",
        "dealer_address",
        address.id,
        {"dealer_id": dealer.id, **changed, "is_default": address.is_default},
    )
    return address


def delete_address(
    session: TenantSession, actor: Principal | None, dealer_id: int, address_id: int
) -> None:
    """Remove an address; if it was the default, the oldest of its kind takes over."""
    require(actor, Permission.DEALERS_MANAGE)
    address = get_address(session, actor, dealer_id, address_id)
    dealer = address.dealer
    dealer.addresses.remove(address)
    session.flush()
    if address.is_default:
        _promote_default(dealer, address.kind, address)
    record(
        session,
        actor,
        "dealer.address.delete",
        "dealer_address",
        address_id,
        {"dealer_id": dealer.id, "kind": address.kind},
    )


# --- contacts ------------------------------------------------------------------------------


def _contact_values(changes: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown(changes, CONTACT_FIELDS)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "email":
            email = text("email", value, 254, required=False).lower()
            if email and not _EMAIL.match(email):
                raise ValidationFailed.field("email", "Not a valid e-mail address.")
            values[name] = email
        else:
            max_length, required = _CONTACT_TEXT[name]
            values[name] = text(name, value, max_length, required=required)
    return values


def list_contacts(
    session: TenantSession, actor: Principal | None, dealer_id: int
) -> list[DealerContact]:
    """A dealer's contacts, oldest first."""
    return list(get_dealer(session, dealer_id, actor).contacts)


def get_contact(
    session: TenantSession, actor: Principal | None, dealer_id: int, contact_id: int
) -> DealerContact:
    """One contact of a dealer ``actor`` may see, or NotFound."""
    return _child(get_dealer(session, dealer_id, actor).contacts, contact_id, "contact")


def add_contact(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    *,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
) -> DealerContact:
    """Add a person to talk to at the dealer."""
    dealer = _managed_dealer(session, actor, dealer_id)
    values = _contact_values({"name": name, "title": title, "phone": phone, "email": email})
    contact = DealerContact(**values)
    dealer.contacts.append(contact)
    session.flush()
    record(
        session,
        actor,
        "dealer.contact.create",
        "dealer_contact",
        contact.id,
        {"dealer_id": dealer.id, "name": contact.name},
    )
    return contact


def update_contact(
    session: TenantSession,
    actor: Principal | None,
    dealer_id: int,
    contact_id: int,
    **changes: Any,
) -> DealerContact:
    """Change some of a contact's fields (:data:`CONTACT_FIELDS`)."""
    require(actor, Permission.DEALERS_MANAGE)
    contact = get_contact(session, actor, dealer_id, contact_id)
    values = _contact_values(changes)
    changed = {name: value for name, value in values.items() if getattr(contact, name) != value}
    for name, value in changed.items():
        setattr(contact, name, value)
    if changed:
        record(
            session,
            actor,
            "dealer.contact.update",
            "dealer_contact",
            contact.id,
            {"dealer_id": contact.dealer_id, **changed},
        )
    return contact


def delete_contact(
    session: TenantSession, actor: Principal | None, dealer_id: int, contact_id: int
) -> None:
    """Remove a contact."""
    require(actor, Permission.DEALERS_MANAGE)
    contact = get_contact(session, actor, dealer_id, contact_id)
    contact.dealer.contacts.remove(contact)
    record(
        session,
        actor,
        "dealer.contact.delete",
        "dealer_contact",
        contact_id,
        {"dealer_id": dealer_id},
    )


# --- dealer groups -------------------------------------------------------------------------


def _group_values(
    session: TenantSession, changes: Mapping[str, Any], own_id: int | None
) -> dict[str, Any]:
    reject_unknown(changes, GROUP_FIELDS)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "code":
            values[name] = _code("code", value)
            _unique_code(session, DealerGroup, values[name], own_id)
        else:
            values[name] = text("name", value, 200, required=True)
    return values


def get_group(session: TenantSession, actor: Principal | None, group_id: int) -> DealerGroup:
    """One dealer group of the bound tenant (staff), or NotFound."""
    require(actor, Permission.DEALERS_READ)
    group = load(session, DealerGroup, group_id)
    if group is None:
        raise NotFound("No such dealer group.")
    return group


def list_groups(
    session: TenantSession,
    actor: Principal | None,
    *,
    limit: int = 50,
    cursor: str | None = None,
    sort: str | None = None,
) -> Page:
    """One page of the tenant's dealer groups (staff only), sorted by code by default."""
    require(actor, Permission.DEALERS_READ)
    return paginate(
        session,
        select(DealerGroup),
        id_column=DealerGroup.id,
        sortable=GROUP_SORTS,
        default_sort="code",
        limit=limit,
        cursor=cursor,
        sort=sort,
    )


def create_group(
    session: TenantSession, actor: Principal | None, *, code: str, name: str
) -> DealerGroup:
    """Create a dealer group; its code is upper-cased and unique per tenant."""
    require(actor, Permission.DEALERS_MANAGE)
    group = DealerGroup(**_group_values(session, {"code": code, "name": name}, own_id=None))
    session.add(group)
    session.flush()
    record(session, actor, "dealer_group.create", "dealer_group", group.id, {"code": group.code})
    return group


def update_group(
    session: TenantSession, actor: Principal | None, group_id: int, **changes: Any
) -> DealerGroup:
    """Rename a group or change its code (:data:`GROUP_FIELDS`)."""
    require(actor, Permission.DEALERS_MANAGE)
    group = get_group(session, actor, group_id)
    values = _group_values(session, changes, own_id=group.id)
    changed = {name: value for name, value in values.items() if getattr(group, name) != value}
    for name, value in changed.items():
        setattr(group, name, value)
    if changed:
        record(session, actor, "dealer_group.update", "dealer_group", group.id, changed)
    return group


def delete_group(session: TenantSession, actor: Principal | None, group_id: int) -> None:
    """Delete a group; its dealers simply stop being members."""
    require(actor, Permission.DEALERS_MANAGE)
    group = get_group(session, actor, group_id)
    members = select(DealerGroupMember.dealer_id).where(DealerGroupMember.group_id == group.id)
    for dealer in session.scalars(select(Dealer).where(Dealer.id.in_(members))):
        dealer.memberships = [m for m in dealer.memberships if m.group_id != group.id]
    session.flush()
    session.delete(group)
    record(session, actor, "dealer_group.delete", "dealer_group", group_id, {"code": group.code})
