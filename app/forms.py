"""Form pieces shared by several areas."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.timeutil import is_timezone, timezone_names

PASSWORD_MIN = 12
PASSWORD_MAX = 256


def optional_int(value):
    """Coercion for a select whose first option is an empty "choose one"."""
    return int(value) if value not in (None, "", "None") else None


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
        choices=[SelectChoice(name, name.replace("_", " ")) for name in timezone_names()],
        default=default,
        validators=[DataRequired(), validate_timezone],
    )
