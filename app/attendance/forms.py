from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import BaseForm, MultiCheckboxField, optional_int, strip, validate_web_url
from app.labels import OUTCOME_KINDS, choices

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


class OutcomeForm(BaseForm):
    """What a participant reports about themself."""

    kind = SelectField(_l("Kind of outcome"), choices=choices(OUTCOME_KINDS), default="credential")
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[DataRequired(_l("Enter a title.")), Length(max=200)],
        description=_l("For example: NNLM Consumer Health Information Specialization (CHIS)."),
    )
    achieved_on = DateField(
        _l("Date achieved"), validators=[InputRequired(_l("Enter the date it was achieved."))]
    )
    ce_hours = NumberField(
        _l("Continuing-education hours"),
        validators=[Optional()],
        description=_l("For credentials and certificates."),
        render_kw={"inputmode": "decimal"},
    )
    funder = StringField(
        _l("Funder"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("For grants."),
    )
    amount = NumberField(
        _l("Amount in dollars"),
        validators=[Optional()],
        description=_l("For grants, up to $10,000,000."),
        render_kw={"inputmode": "decimal"},
    )
    evidence_url = StringField(
        _l("Link to evidence (optional)"),
        filters=[strip],
        validators=[Length(max=500), validate_web_url],
        description=_l("A certificate, badge or announcement page."),
        render_kw={"inputmode": "url"},
    )


class RecordOutcomeForm(OutcomeForm):
    """What a facilitator records: for one participant or the whole circle."""

    enrollment_id = SelectField(_l("For"), coerce=optional_int, validators=[Optional()])
