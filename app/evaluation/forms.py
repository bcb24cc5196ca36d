"""The participants' survey, the facilitators' wrap-up and a meeting's reflection."""

from __future__ import annotations

from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.forms import BaseForm
from app.i18n import lazy_gettext as _l

YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
RATINGS = [SelectChoice(n, str(n)) for n in range(1, 6)]


def yes_no(label) -> RadioField:
    return RadioField(label, choices=YES_NO, validators=[InputRequired(_l("Choose yes or no."))])


def rating(label) -> RadioField:
    return RadioField(
        label,
        choices=RATINGS,
        coerce=int,
        validators=[InputRequired(_l("Choose a rating from 1 to 5."))],
        description=_l("1 is poor, 5 is excellent."),
    )


class SurveyForm(BaseForm):
    goal_met = yes_no(_l("Did the circle meet your goal?"))
    changed_work = TextAreaField(
        _l("What changed in your work? (optional)"), validators=[Optional(), Length(max=2000)]
    )
    recommend = yes_no(_l("Would you recommend it to a colleague?"))
    course_rating = rating(_l("Your rating of the course"))
    circle_rating = rating(_l("Your rating of the circle"))

    def values(self) -> dict:
        return {
            "goal_met": self.goal_met.data == "yes",
            "recommend": self.recommend.data == "yes",
            "changed_work": (self.changed_work.data or "").strip(),
            "course_rating": self.course_rating.data,
            "circle_rating": self.circle_rating.data,
        }


class WrapUpForm(BaseForm):
    went_well = TextAreaField(_l("What went well?"), validators=[Optional(), Length(max=4000)])
    attendance_notes = TextAreaField(
        _l("Notes on attendance"), validators=[Optional(), Length(max=4000)]
    )
    would_run_again = yes_no(_l("Would you run it again?"))

    def values(self) -> dict:
        return {
            "went_well": (self.went_well.data or "").strip(),
            "attendance_notes": (self.attendance_notes.data or "").strip(),
            "would_run_again": self.would_run_again.data == "yes",
        }


class ReflectionForm(BaseForm):
    reflection = StringField(
        _l("Your one-line reflection on this meeting (optional)"),
        validators=[Optional(), Length(max=200)],
    )
