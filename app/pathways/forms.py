"""The admin's pathway forms: the pathway itself, and one step at a time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm, strip
from app.labels import CAREER_STAGES, SKILL_AREAS, choices
from app.models import Course, Credential


class PathwayForm(BaseForm):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the pathway's name.")), Length(max=200)],
    )
    career_stage = SelectField(_l("Career stage"), choices=choices(CAREER_STAGES))
    goal = StringField(
        _l("Goal"),
        filters=[strip],
        validators=[Length(max=300)],
        description=_l("One sentence: where the pathway leads, e.g. “Ready to lead a team”."),
    )
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Length(max=5000)])


class StepForm(BaseForm):
    """The target is one choice among courses, skill areas and credentials (grouped)."""

    target = SelectField(
        _l("The step asks for"),
        validators=[DataRequired(_l("Choose what the step asks for."))],
        validate_choice=False,  # the rules say why not (retired, gone, already there)
    )
    optional = BooleanField(_l("Optional step"))

    def offer(self, courses: list[Course], credentials: list[Credential]) -> None:
        self.target.choices = {
            None: [("", _l("Choose…"))],
            str(_l("A course")): [(f"course:{c.id}", c.title) for c in courses],
            str(_l("Any course in a skill area")): [
                (f"skill_area:{code}", str(label)) for code, label in SKILL_AREAS.items()
            ],
            str(_l("A credential")): [(f"credential:{c.id}", c.name) for c in credentials],
        }
