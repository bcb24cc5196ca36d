"""Form pieces shared by several areas."""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.edges import (
    CONTROL_CHARACTERS,
    CONTROL_CHARACTERS_MULTILINE,
    DATE_MESSAGE,
    INT_MAX,
    date_in_range,
)
from app.i18n import lazy_gettext as _l
from app.i18n import wtforms_translations
from app.security import is_web_url
from app.timeutil import is_timezone, timezone_choices
from app.widgets import faster, faster_label

CONTROL_MESSAGE = _l("Remove the control character (an invisible one, perhaps pasted).")


def _no_control_characters(form, field) -> None:
    pattern = (
        CONTROL_CHARACTERS_MULTILINE if isinstance(field, TextAreaField) else CONTROL_CHARACTERS
    )
    if isinstance(field.data, str) and pattern.search(field.data):
        raise ValidationError(CONTROL_MESSAGE)


def _date_within_range(form, field) -> None:
    if isinstance(field.data, dt.date) and not date_in_range(field.data):  # not a TimeField
        raise ValidationError(DATE_MESSAGE)


class BaseForm(FlaskForm):
    """Every form of the app: each text field refuses control characters (NUL breaks
    PostgreSQL; tab and line breaks stay allowed in multi-line fields), and each date field
    refuses dates outside app.edges' range (they overflow on arithmetic), beside the field."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.widget = faster(field.widget)  # the same HTML, cheaper (app/widgets.py)
            field.label = faster_label(field.label)
            if isinstance(field, StringField):
                field.validators = [*field.validators, _no_control_characters]
            elif isinstance(field, DateTimeField):  # also DateField, TimeField
                field.validators = [*field.validators, _date_within_range]
            return field

        def get_translations(self, form):
            if has_request_context() and current_app.config.get("WTF_I18N_ENABLED", True):
                return wtforms_translations()  # the same messages, read once per language
            return super().get_translations(form)


class ConfirmForm(BaseForm):
    """An empty form: its CSRF token is the confirmation (buttons that change something)."""


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def validate_web_url(form, field) -> None:
    """WTForms validator: an http(s) link with a host (see app.security.is_web_url)."""
    if field.data and not is_web_url(field.data):
        raise ValidationError(_l("Enter a web address starting with https:// or http://."))


PASSWORD_MIN = 12
PASSWORD_MAX = 256


def optional_int(value):
    """Coercion for a select whose first option is an empty "choose one"."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if abs(number) > INT_MAX:  # an id past the database's integer: "not a valid choice"
        raise ValueError(value)
    return number


def strip(value):
    return value.strip() if isinstance(value, str) else value


def lower_strip(value):
    return value.strip().lower() if isinstance(value, str) else value


def email_field(label: str | None = None) -> StringField:
    return StringField(
        label or _l("Email"),
        filters=[lower_strip],
        validators=[
            DataRequired(),
            Length(max=254),
            Email(check_deliverability=False, message=_l("Enter a valid email address.")),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and its confirmation: long enough, no composition rules."""
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l(
                    "Use between %(min)d and %(max)d characters; a short sentence works well.",
                    min=PASSWORD_MIN,
                    max=PASSWORD_MAX,
                ),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def validate_timezone(form, field) -> None:
    if not is_timezone(field.data or ""):
        raise ValidationError(_l("Choose a time zone from the list."))


def timezone_field(label: str | None = None, default: str = "America/New_York") -> SelectField:
    return SelectField(
        label or _l("Time zone"),
        choices=lambda: timezone_choices(),  # grouped, common US zones first, translated
        default=default,
        validators=[DataRequired(), validate_timezone],
    )
