from __future__ import annotations

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm, email_field, strip
from app.i18n import lazy_gettext as _l


class JoinForm(BaseForm):
    """For signed-in staff: name and email come from the account."""

    goals = TextAreaField(
        _l("What do you hope to get from this circle? (optional)"),
        filters=[strip],
        validators=[Length(max=2000)],
    )
    answer = TextAreaField(_l("Answer"), filters=[strip], validators=[Length(max=2000)])
    consent_contact = BooleanField(
        _l("The facilitators may email me about this circle and future circles.")
    )


class GuestJoinForm(JoinForm):
    name = StringField(
        _l("Your name"),
        filters=[strip],
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = email_field(_l("Your email"))


class AddParticipantForm(BaseForm):
    email = email_field()
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[Length(max=120)],
        description=_l("Not needed for someone with an account."),
    )


class MessageForm(BaseForm):
    subject = StringField(
        _l("Subject"), filters=[strip], validators=[DataRequired(), Length(max=150)]
    )
    body = TextAreaField(
        _l("Message"), filters=[strip], validators=[DataRequired(), Length(max=5000)]
    )


class LostLinkForm(BaseForm):
    email = email_field(_l("Your email"))
