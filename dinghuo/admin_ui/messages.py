"""Messages of services and schemas that the UI shows, marked for translation.

Services speak English and know nothing of the request's language; the UI
translates their messages when it shows them. The list below exists so
``pybabel extract -k N_`` puts these strings into the catalogs; a message
missing here is shown untranslated, never lost.
"""

from __future__ import annotations

from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction without translating it yet."""
    return message


SERVICE_MESSAGES = (
    N_("Email or password is incorrect."),
    N_("Use at least 8 characters."),
    N_("A user with this email already exists."),
    N_("Dealer users need a dealer."),
    N_("Staff users do not belong to a dealer."),
    N_("Only an owner can invite another owner."),
    N_("Dealer admins invite only their own dealer's users."),
    N_("You cannot invite users."),
    N_("This invitation link is unknown or has expired."),
    N_("This invitation has already been used."),
    N_("You cannot deactivate yourself."),
    N_("No such user."),
    N_("No such dealer."),
    N_("No such tenant."),
    N_("Not found."),
    N_("No tenant at this address."),
    N_("This address serves no tenant; use the tenant's own domain."),
    N_("Sign in first."),
    N_("Use 3-40 lowercase letters, digits or dashes, starting with a letter."),
    N_("This name is reserved."),
    N_("This slug is already taken."),
    N_("Use a colour like #1f6feb."),
    N_("Unknown time zone; use an IANA name like Asia/Shanghai."),
    N_("Use an ISO 4217 code."),
    N_("Missing data for required field."),
    N_("Not a valid email address."),
    N_("Field may not be null."),
    N_("Must not be negative."),
    N_("A dealer with this code already exists."),
    N_("Unknown field."),
    N_("Required."),
    N_("Use letters, digits, dashes or underscores (at most 40)."),
    N_("Use a short code such as A, B, C or D."),
    N_("Must be a decimal amount."),
    N_("Use at most two decimal places."),
    N_("Choose an active sales, admin or owner user of this brand."),
    N_("This dealer is already suspended."),
    N_("This dealer is already active."),
    N_("You do not belong to a dealer."),
    N_("Only an owner can activate or deactivate an owner."),
)


def translate(message: str) -> str:
    """The message in the page's language when the catalog knows it, else as written."""
    return gettext(message) if message else message
