"""The admin's pathway forms (the pathway itself, one step at a time), and the self-paced
completion forms (the person's report, the manager's review)."""

from __future__ import annotations

from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from app.forms import BaseForm, optional_int, strip
from app.i18n import lazy_gettext as _l
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


class SelfPacedForm(BaseForm):
    """ "I finished a course on my own": the course (active catalogue), when, and evidence."""

    course = SelectField(
        _l("Course"),
        coerce=optional_int,
        validators=[InputRequired(_l("Choose the course you finished."))],
    )
    completed_on = DateField(
        _l("The day you finished it"),
        validators=[InputRequired(_l("Enter the day you finished it."))],
    )
    evidence = TextAreaField(
        _l("Evidence"),
        filters=[strip],
        validators=[
            DataRequired(_l("Add a link to your certificate, or a note on how you finished it.")),
            Length(max=500),
        ],
        description=_l("A link to your certificate or badge, or a short note for your manager."),
    )

    def offer(self, courses: list[Course]) -> None:
        self.course.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(c.id, c.title) for c in courses
        ]


class ReviewForm(BaseForm):
    """A manager's answer to a reported self-paced course."""

    decision = RadioField(
        _l("Your decision"),
        choices=[
            SelectChoice("confirm", _l("Confirm: it counts")),
            SelectChoice("decline", _l("Decline")),
        ],
        validators=[InputRequired(_l("Choose confirm or decline."))],
    )
    note = TextAreaField(
        _l("Note to the person"),
        filters=[strip],
        validators=[Length(max=300)],
        description=_l("Required when you decline: say why."),
    )
