"""The digest subscription form: how often, and which circles (empty: any)."""

from __future__ import annotations

from wtforms import RadioField, SelectField
from wtforms.validators import Optional

from app.forms import BaseForm, MultiCheckboxField, email_field, optional_int, timezone_field
from app.i18n import lazy_gettext as _l
from app.labels import CAREER_STAGES, CIRCLE_FORMATS, SKILL_AREAS, choices
from app.models import CareerStage, CircleFormat, DigestFrequency

FREQUENCIES = {DigestFrequency.weekly: _l("Weekly"), DigestFrequency.monthly: _l("Monthly")}


def optional_code(enum_cls):
    """Coercion for a select whose first option is "Any": None or the enum member."""

    def coerce(value):
        return None if value in (None, "", "None") else enum_cls(value)

    return coerce


class DigestForm(BaseForm):
    frequency = RadioField(
        _l("How often?"), choices=choices(FREQUENCIES), default=DigestFrequency.weekly
    )
    skill_areas = MultiCheckboxField(
        _l("Skill areas"),
        choices=choices(SKILL_AREAS),
        description=_l("Leave all unticked for every skill area."),
    )
    career_stage = SelectField(
        _l("Career stage"),
        choices=choices(
            {k: v for k, v in CAREER_STAGES.items() if k != CareerStage.all}, _l("Any")
        ),
        coerce=optional_code(CareerStage),
        validators=[Optional()],
    )
    branch_ids = MultiCheckboxField(
        _l("Branches"), coerce=optional_int, description=_l("Leave all unticked for every branch.")
    )
    format = SelectField(
        _l("Format"),
        choices=choices(CIRCLE_FORMATS, _l("Any")),
        coerce=optional_code(CircleFormat),
        validators=[Optional()],
    )


class GuestDigestForm(DigestForm):
    """Without an account: the address to confirm, and the time zone for meeting times."""

    email = email_field()
    timezone = timezone_field()
