from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, SearchField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import BaseForm, strip, validate_web_url
from app.i18n import lazy_gettext as _l
from app.labels import CAREER_STAGES, COURSE_FORMATS, COURSE_LANGUAGES, SKILL_AREAS, choices
from app.models import CareerStage, CourseFormat
from app.text import hours_text

MIN_HOURS, MAX_HOURS = Decimal("0.25"), Decimal(500)
HOURS_MESSAGE = _l("Between 0.25 and 500 hours, like 2 or 1.5.")


class HoursField(StringField):
    """Estimated hours: empty, or a number like 2, 1.5 or 1,5 (at most two decimals)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        try:
            value = Decimal(self.raw.replace(",", "."))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value.as_tuple().exponent < -2:
            raise ValueError(HOURS_MESSAGE)
        if not MIN_HOURS <= value <= MAX_HOURS:
            raise ValueError(HOURS_MESSAGE)
        self.data = value

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else hours_text(self.data)


class CourseForm(BaseForm):
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    provider = StringField(
        _l("Provider"),
        filters=[strip],
        validators=[DataRequired(), Length(max=80)],
        description=_l("For example Coursera, edX, NNLM, WebJunction, GCFGlobal."),
    )
    url = StringField(
        _l("Course link"),
        filters=[strip],
        validators=[DataRequired(), Length(max=500), validate_web_url],
        render_kw={"inputmode": "url", "type": "url"},
    )
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Length(max=4000)])
    language = SelectField(_l("Language"), choices=choices(COURSE_LANGUAGES), default="en")
    format = SelectField(
        _l("Format"), choices=choices(COURSE_FORMATS), default=CourseFormat.self_paced
    )
    hours = HoursField(
        _l("Estimated hours"),
        description=_l("Decimals are fine: 1.5 is an hour and a half."),
        render_kw={"inputmode": "decimal"},
    )
    is_free = BooleanField(_l("Free to take"), default=True)
    credential = StringField(
        _l("Credential or CE credit"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("For example: NNLM Consumer Health Information Specialization (CHIS)."),
    )
    skill_area = SelectField(_l("Skill area"), choices=choices(SKILL_AREAS))
    career_stage = SelectField(
        _l("Career stage"), choices=choices(CAREER_STAGES), default=CareerStage.all
    )


class CourseFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search"), filters=[strip], validators=[Optional(), Length(max=100)])
    skill_area = SelectField(
        _l("Skill area"), choices=choices(SKILL_AREAS, _l("Any")), validators=[Optional()]
    )
    provider = SelectField(_l("Provider"), validators=[Optional()])
    language = SelectField(
        _l("Language"), choices=choices(COURSE_LANGUAGES, _l("Any")), validators=[Optional()]
    )
    format = SelectField(
        _l("Format"), choices=choices(COURSE_FORMATS, _l("Any")), validators=[Optional()]
    )
    career_stage = SelectField(
        _l("Career stage"), choices=choices(CAREER_STAGES, _l("Any")), validators=[Optional()]
    )
    credential = BooleanField(_l("Leads to a credential"))
    sort = SelectField(
        _l("Sort by"),
        choices=choices(
            {
                "title": _l("Title"),
                "provider": _l("Provider"),
                "hours": _l("Shortest first"),
                "newest": _l("Newest"),
            }
        ),
        default="title",
        validators=[Optional()],
    )
