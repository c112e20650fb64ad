"""The UI's forms (Flask-WTF: every one carries a CSRF token).

Where the API already validates the same input with a marshmallow schema, the
form hands its data to that schema (:func:`load_with_schema`) so both doors
apply one rule; errors raised by services land next to the field they name
(:func:`attach_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from marshmallow import Schema, ValidationError
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dinghuo.admin_ui.i18n import LOCALE_NAMES
from dinghuo.admin_ui.messages import translate
from dinghuo.core.crm.models import PaymentTerms
from dinghuo.platform.auth.models import Role
from dinghuo.platform.auth.service import MIN_PASSWORD_LENGTH

ROLE_LABELS = {
    Role.OWNER: _l("Owner"),
    Role.ADMIN: _l("Administrator"),
    Role.SALES: _l("Sales"),
    Role.WAREHOUSE: _l("Warehouse"),
    Role.FINANCE: _l("Finance"),
    Role.DEALER_ADMIN: _l("Dealer admin"),
    Role.BUYER: _l("Buyer"),
}
COMMON_TIME_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)


def _locale_choices() -> list[tuple[str, str]]:
    return list(LOCALE_NAMES.items())


def attach_errors(form: FlaskForm, fields: Mapping[str, Iterable[Any]]) -> None:
    """Show errors (from a service or a schema) next to their fields, translated."""
    for name, reasons in fields.items():
        messages = [translate(str(reason)) for reason in _flatten(reasons)]
        field = form._fields.get(name)
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def _flatten(reasons: Any) -> list[Any]:
    if isinstance(reasons, dict):
        return [m for value in reasons.values() for m in _flatten(value)]
    if isinstance(reasons, list | tuple):
        return [m for value in reasons for m in _flatten(value)]
    return [reasons]


def load_with_schema(
    form: FlaskForm, schema: Schema, names: Iterable[str]
) -> dict[str, Any] | None:
    """The form's data as ``schema`` loads it, or None with the errors attached to the form.

    Fields the browser did not send are left out, so the schema's defaults apply.
    """
    try:
        data = {name: form._fields[name].data for name in names}
        return schema.load({name: value for name, value in data.items() if value is not None})
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"": error.messages}
        attach_errors(form, messages)
        return None


class BusinessSettingsForm(FlaskForm):
    """The tenant's business rules; bounds are checked by the settings service."""

    FIELDS = (
        "overstock_days_of_cover",
        "demand_window_days",
        "default_lead_time_days",
        "service_level",
        "review_days",
        "backorders_allowed",
        "reserve_stock_on",
        "review_steps",
        "auto_approve_tiers",
        "auto_approve_max_total",
        "auto_approve_within_credit_only",
        "tax_rate",
        "prices_include_tax",
        "order_number_prefix",
    )
    CLEARABLE = frozenset({"auto_approve_max_total"})
    """Rules whose empty value means "none" rather than "leave as it is"."""

    overstock_days_of_cover = IntegerField(_l("Overstocked above (days of cover)"))
    demand_window_days = IntegerField(_l("Demand window for reorder points (days)"))
    default_lead_time_days = IntegerField(_l("Default replenishment lead time (days)"))
    service_level = DecimalField(_l("Service level (0.5 to 0.999)"), places=3)
    review_days = IntegerField(_l("Replenishment covers (days of demand)"))

    backorders_allowed = BooleanField(_l("Accept orders beyond available stock (backorders)"))
    reserve_stock_on = SelectField(
        _l("Reserve stock"),
        choices=[
            SelectChoice("submission", _l("When the order is submitted")),
            SelectChoice("approval", _l("When the order is approved")),
        ],
        validate_choice=False,
    )
    review_steps = SelectMultipleField(
        _l("Review steps, in this order"),
        choices=[
            SelectChoice("sales", _l("Sales review")),
            SelectChoice("finance", _l("Finance review")),
            SelectChoice("warehouse", _l("Warehouse review")),
        ],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    auto_approve_tiers = StringField(_l("Auto-approve dealer tiers"), validators=[Length(max=200)])
    auto_approve_max_total = DecimalField(
        _l("Auto-approve orders up to (total)"), places=2, validators=[Optional()]
    )
    auto_approve_within_credit_only = BooleanField(
        _l("Auto-approve only on-account orders within the dealer's credit")
    )
    tax_rate = DecimalField(_l("VAT rate (0.13 = 13%)"), places=4)
    prices_include_tax = BooleanField(_l("Prices include VAT"))
    order_number_prefix = StringField(_l("Order number prefix"), validators=[Length(max=6)])

    @classmethod
    def for_settings(cls, settings: Any) -> BusinessSettingsForm:
        """The form showing the current rules (tiers as "A, B")."""
        form = cls(formdata=None, obj=settings)
        form.auto_approve_tiers.data = ", ".join(settings.auto_approve_tiers)
        return form

    def changes(self) -> dict[str, Any]:
        """The submitted rules as the settings service takes them.

        Tiers are typed "A, B"; review steps keep the pipeline's order
        whatever order they were ticked in; an empty field leaves its rule
        alone, except the clearable ones, where empty means none.
        """
        changes: dict[str, Any] = {}
        for name in self.FIELDS:
            value = self._fields[name].data
            if name == "auto_approve_tiers":
                value = [t for t in (part.strip() for part in (value or "").split(",")) if t]
            elif name == "review_steps":
                picked = set(value or [])
                value = [c.value for c in self.review_steps.choices if c.value in picked]
            elif name == "order_number_prefix":
                value = (value or "").strip().upper() or None
            if value is None and name not in self.CLEARABLE:
                continue
            changes[name] = value
        return changes


class ActionForm(FlaskForm):
    """A button that changes something: carries only the CSRF token."""


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class AcceptInvitationForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class LocaleForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=_locale_choices)
    next = HiddenField()


class InviteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"))
    dealer_id = SelectField(_l("Dealer"), coerce=int, default=0)

    def set_choices(self, roles: Iterable[Role], dealers: Iterable[tuple[int, str]]) -> None:
        self.role.choices = [(role.value, str(ROLE_LABELS[role])) for role in roles]
        self.dealer_id.choices = [(0, str(_l("— choose a dealer —"))), *dealers]


class BrandingForm(FlaskForm):
    FIELDS = ("display_name", "primary_color", "welcome_text", "locale", "timezone")

    display_name = StringField(_l("Display name"), validators=[DataRequired()])
    primary_color = StringField(_l("Primary colour"), validators=[DataRequired()])
    welcome_text = TextAreaField(_l("Welcome text on the dealer portal"))
    locale = SelectField(_l("Default language"), choices=_locale_choices)
    timezone = StringField(_l("Time zone"), validators=[DataRequired()])


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo (PNG or JPEG)"), validators=[FileRequired(_l("Choose a file."))])


class TenantCreateForm(FlaskForm):
    FIELDS = ("slug", "name", "owner_name", "owner_email", "owner_password", "locale")

    slug = StringField(_l("Slug (subdomain)"), validators=[DataRequired()])
    name = StringField(_l("Company name"), validators=[DataRequired()])
    owner_name = StringField(_l("Owner's name"))
    owner_email = EmailField(_l("Owner's email"), validators=[DataRequired()])
    owner_password = PasswordField(_l("Owner's initial password"), validators=[DataRequired()])
    locale = SelectField(_l("Language"), choices=_locale_choices)


PAYMENT_TERM_LABELS = {
    PaymentTerms.PREPAID: _l("Prepaid"),
    PaymentTerms.NET15: _l("Net 15 days"),
    PaymentTerms.NET30: _l("Net 30 days"),
    PaymentTerms.NET60: _l("Net 60 days"),
}


def _payment_term_choices() -> list[tuple[str, str]]:
    return [(terms.value, str(label)) for terms, label in PAYMENT_TERM_LABELS.items()]


class DealerForm(FlaskForm):
    """A dealer account; the CRM service checks codes, tiers, amounts and the sales rep."""

    FIELDS = (
        "code",
        "name_zh",
        "name_en",
        "tier",
        "region",
        "credit_limit",
        "payment_terms",
        "sales_rep_id",
    )

    code = StringField(_l("Dealer code"), validators=[DataRequired(), Length(max=40)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Length(max=200)])
    tier = StringField(_l("Tier"), validators=[DataRequired(), Length(max=10)], default="C")
    region = StringField(_l("Region"), validators=[Length(max=100)])
    credit_limit = StringField(_l("Credit limit"), validators=[DataRequired()], default="0.00")
    payment_terms = SelectField(_l("Payment terms"), choices=_payment_term_choices)
    sales_rep_id = SelectField(_l("Sales rep"), coerce=int, default=0)

    def set_choices(self, sales_reps: Iterable[tuple[int, str]]) -> None:
        self.sales_rep_id.choices = [(0, str(_l("— none —"))), *sales_reps]

    def changes(self) -> dict[str, Any]:
        """The fields as the CRM service takes them."""
        values = {name: self._fields[name].data for name in self.FIELDS}
        values["sales_rep_id"] = values["sales_rep_id"] or None
        values["credit_limit"] = (values["credit_limit"] or "").strip().replace(",", "")
        return values


class ReasonForm(FlaskForm):
    """Suspending or reactivating something, with the reason kept in the audit log."""

    reason = StringField(_l("Reason"), validators=[Length(max=500)])
