"""The interest form (how and when a person would join a circle) and the words for its codes."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.forms import BaseForm, MultiCheckboxField, optional_int, strip
from app.i18n import lazy_gettext as _l
from app.labels import SKILL_AREAS, choices
from app.models import CareerGoal, InterestFormat, TimeOfDay

FORMATS = {
    InterestFormat.in_person: _l("In person"),
    InterestFormat.virtual: _l("Online, at set times"),
    InterestFormat.on_demand: _l("On demand, at my own pace"),
}

TIMES_OF_DAY = {
    TimeOfDay.morning: _l("Morning"),
    TimeOfDay.afternoon: _l("Afternoon"),
    TimeOfDay.evening: _l("Evening"),
}


class InterestForm(BaseForm):
    format = RadioField(
        _l("How would you join?"), choices=choices(FORMATS), default=InterestFormat.in_person
    )
    time_of_day = RadioField(
        _l("When suits you best?"), choices=choices(TIMES_OF_DAY), default=TimeOfDay.afternoon
    )
    branch_id = SelectField(
        _l("Branch"),
        coerce=optional_int,
        description=_l("Where you would like to meet, if in person; leave empty for any."),
    )


# --- the yearly needs survey -------------------------------------------------------------------

CAREER_GOALS = {
    CareerGoal.advance: _l("Move up: a new role or a promotion"),
    CareerGoal.lead: _l("Take on leadership"),
    CareerGoal.milestone: _l("Reach a career milestone, such as a credential"),
    CareerGoal.deepen: _l("Grow in my current role"),
}


class OpenSurveyForm(BaseForm):
    intro = TextAreaField(
        _l("Introduction"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l("What staff read above the questions: why it matters, who reads it."),
    )
    closes_on = DateField(
        _l("Closing date"),
        validators=[InputRequired(_l("Enter the closing date."))],
        description=_l("The last day staff can answer; after today."),
    )


class NeedsAnswerForm(BaseForm):
    areas = MultiCheckboxField(
        _l("Skill areas you want to grow in"),
        choices=choices(SKILL_AREAS),
        description=_l("Choose one to five."),
        validate_choice=False,  # the service refuses unknown ones, beside the field
    )
    career_goal = RadioField(
        _l("Your career goal for the coming year"),
        choices=choices(CAREER_GOALS),
        validate_choice=False,  # the service refuses an unknown one, beside the field
    )
    format = RadioField(
        _l("How would you join a circle?"), choices=choices(FORMATS), validate_choice=False
    )
    time_of_day = RadioField(
        _l("When suits you best?"), choices=choices(TIMES_OF_DAY), validate_choice=False
    )
    comments = TextAreaField(
        _l("Anything else we should know? (optional)"),
        filters=[strip],
        validators=[Length(max=1000)],
        description=_l(
            "Up to 1000 characters. Admins and your branch's managers read it, with your name."
        ),
    )
