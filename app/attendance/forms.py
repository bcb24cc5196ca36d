from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import BaseForm, MultiCheckboxField, optional_int, strip, validate_web_url
from app.i18n import lazy_gettext as _l
from app.labels import OUTCOME_KINDS, choices
from app.models import CredentialKind

MARK_PREFIX = "mark-"  # the sheet's radio groups are named mark-<enrollment id>


class SheetForm(BaseForm):
    """Walk-ins and the note; the marks are one radio group per person (``MARK_PREFIX``)."""

    walk_ins = IntegerField(
        _l("Walk-ins"),
        default=0,
        validators=[Optional()],
        description=_l("People who came without signing up, counted by head."),
        render_kw={"inputmode": "numeric"},
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=2000)])


class CompletionForm(BaseForm):
    completed = MultiCheckboxField(_l("Completed the circle"), coerce=int)


class NumberField(DecimalField):
    """A decimal that may be typed as "$2,500.50"; anything else is a clear error."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip().lstrip("$").replace(",", "")
        self.data = None
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise ValueError(_l("Enter a number, like 2500 or 2500.50."))
        self.data = value


class MonthsField(IntegerField):
    """Whole months as digits ("36"); anything else is a clear error, not "not an integer"."""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        if not (text.isascii() and text.isdigit()) or len(text) > 4:
            raise ValueError(_l("Enter whole months from 1 to 120, like 36."))
        self.data = int(text)


class OutcomeForm(BaseForm):
    """What a participant reports about themself. A credential or certificate is chosen from
    the admin's list (``credential_id``, its choices set by the view); the other kinds have a
    title."""

    kind = SelectField(_l("Kind of outcome"), choices=choices(OUTCOME_KINDS), default="credential")
    credential_id = SelectField(
        _l("Credential or certificate"),
        coerce=optional_int,
        validators=[Optional()],
        validate_choice=False,  # the rules say why not (retired, not on the list)
        description=_l(
            "For credentials and certificates. Not on the list? Choose the kind “Other” and "
            "give its title (an administrator can add it to the list)."
        ),
    )
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("For grants, promotions and other outcomes."),
    )
    achieved_on = DateField(
        _l("Date achieved"), validators=[InputRequired(_l("Enter the date it was achieved."))]
    )
    ce_hours = NumberField(
        _l("Continuing-education hours"),
        validators=[Optional()],
        description=_l("For credentials and certificates; left empty, the credential's own hours."),
        render_kw={"inputmode": "decimal"},
    )
    funder = StringField(
        _l("Funder"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("Who gave the grant (required for grants)."),
    )
    amount = NumberField(
        _l("Amount in dollars"),
        validators=[Optional()],
        description=_l("For grants (required): more than $0, up to $10,000,000."),
        render_kw={"inputmode": "decimal"},
    )
    evidence_url = StringField(
        _l("Link to evidence (optional)"),
        filters=[strip],
        validators=[Length(max=500), validate_web_url],
        description=_l("A certificate, badge or announcement page."),
        render_kw={"inputmode": "url"},
    )
    again = BooleanField(
        _l("Record it again"),
        description=_l("It is another one of a credential already reported, such as a renewal."),
    )


class RecordOutcomeForm(OutcomeForm):
    """What a facilitator records: for one participant or the whole circle."""

    enrollment_id = SelectField(_l("For"), coerce=optional_int, validators=[Optional()])


class CredentialForm(BaseForm):
    """A credential on the admin's list."""

    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the credential's name.")), Length(max=200)],
        description=_l("As reports should show it, e.g. NNLM CHIS Level 1."),
    )
    kind = SelectField(
        _l("Kind"),
        choices=choices({k: OUTCOME_KINDS[k] for k in CredentialKind}),
        default=CredentialKind.credential.value,
    )
    awarding_body = StringField(
        _l("Awarded by"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("e.g. Medical Library Association."),
    )
    ce_hours = NumberField(
        _l("Continuing-education hours"),
        validators=[Optional()],
        description=_l("What earning it takes or gives; outcomes start from this."),
        render_kw={"inputmode": "decimal"},
    )
    renewal_months = MonthsField(
        _l("Renewal period in months"),
        validators=[Optional()],
        description=_l(
            "It lapses this long after it is earned, e.g. 36 for three years. "
            "Empty: it never lapses."
        ),
        render_kw={"inputmode": "numeric"},
    )
    renewal_ce_hours = NumberField(
        _l("CE hours to renew"),
        validators=[Optional()],
        description=_l("Continuing education to earn within the period to renew it. Empty: none."),
        render_kw={"inputmode": "decimal"},
    )
