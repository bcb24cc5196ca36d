from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import (
    BaseForm,
    MultiCheckboxField,
    optional_int,
    strip,
    validate_timezone,
    validate_web_url,
)
from app.i18n import lazy_gettext as _l
from app.labels import AUDIENCES, CIRCLE_FORMATS, SKILL_AREAS, WEEKDAY_NAMES, choices
from app.models import Audience, CircleFormat
from app.timeutil import timezone_choices


class CircleDetailsForm(BaseForm):
    """What can be set at creation and changed later."""

    course_id = SelectField(
        _l("Course"), coerce=optional_int, validators=[InputRequired(_l("Choose a course."))]
    )
    room_id = SelectField(_l("Room"), coerce=optional_int, validators=[Optional()])
    format = RadioField(
        _l("Format"), choices=choices(CIRCLE_FORMATS), default=CircleFormat.in_person
    )
    join_url = StringField(
        _l("Join link for online meetings"),
        filters=[strip],
        validators=[Length(max=500), validate_web_url],
        render_kw={"inputmode": "url"},
    )
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l("Leave empty to use the course title."),
    )
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Length(max=4000)])
    welcome_message = TextAreaField(
        _l("Welcome message"),
        filters=[strip],
        validators=[Length(max=4000)],
        description=_l("Sent to people when they join."),
    )
    capacity = IntegerField(
        _l("Seats"),
        default=12,
        validators=[
            InputRequired(_l("Enter the number of seats.")),
            NumberRange(min=1, max=500, message=_l("Between 1 and 500 seats.")),
        ],
    )
    signup_closes_on = DateField(
        _l("Sign-up closes after"),
        validators=[Optional()],
        description=_l("Leave empty to keep sign-up open until the circle ends."),
    )
    audience = RadioField(_l("Who can join"), choices=choices(AUDIENCES), default=Audience.staff)
    ask_goals = BooleanField(_l("Ask people joining what they hope to get from the circle"))
    custom_question = StringField(
        _l("One question of your own for people joining (optional)"),
        filters=[strip],
        validators=[Length(max=300)],
    )
    self_checkin = BooleanField(_l("Participants may check themselves in during meetings"))
    completion_min_meetings = IntegerField(
        _l("Meetings to attend for completion"),
        validators=[Optional()],
        description=_l("Leave empty to require every meeting."),
    )


class NewCircleForm(CircleDetailsForm):
    branch_id = SelectField(
        _l("Branch"), coerce=optional_int, validators=[InputRequired(_l("Choose a branch."))]
    )
    timezone = SelectField(
        _l("Time zone"),
        choices=lambda: timezone_choices(_l("The branch's time zone")),
        validators=[Optional(), validate_timezone],
    )
    first_date = DateField(_l("First meeting"), validators=[Optional()])
    weekdays = MultiCheckboxField(
        _l("Meets on"),
        coerce=int,
        choices=[SelectChoice(i, name) for i, name in enumerate(WEEKDAY_NAMES)],
    )
    # No default: the step offers a time inside the chosen branch's opening hours, and offers
    # it again for another branch or length until the facilitator changes it.
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Enter a start time."))])
    start_suggested = HiddenField()
    duration_minutes = IntegerField(
        _l("Length in minutes"),
        default=90,
        validators=[
            InputRequired(),
            NumberRange(
                min=1, max=480, message=_l("A meeting lasts between 1 minute and 8 hours.")
            ),
        ],
    )
    meeting_count = IntegerField(
        _l("Number of meetings"),
        default=6,
        validators=[
            Optional(),
            NumberRange(min=1, max=52, message=_l("Between 1 and 52 meetings.")),
        ],
    )
    explicit_dates = TextAreaField(
        _l("Or list the dates"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l(
            "For a schedule that is not weekly: one date per line, like 2027-01-31. "
            "When filled, it replaces the weekly schedule."
        ),
    )
    closure_policy = RadioField(
        _l("When the branch is closed on a meeting day"),
        choices=choices(
            {"move": _l("Move the meeting to the next open day"), "skip": _l("Skip that week")}
        ),
        default="move",
    )
    publish = BooleanField(_l("Publish now (people can see and join it)"))

    # Set by the view: every field of "where and when" is readable, so its meetings can be
    # planned (to count the meetings each room is free for) before the step is left.
    plannable = False


STEPS = ("course", "when", "details", "review")
STEP_FIELDS = {
    "course": ("csrf_token", "course_id"),
    "when": (
        "branch_id",
        "room_id",
        "format",
        "join_url",
        "timezone",
        "first_date",
        "weekdays",
        "start_time",
        "start_suggested",
        "duration_minutes",
        "meeting_count",
        "explicit_dates",
        "closure_policy",
    ),
    "details": (
        "title",
        "description",
        "welcome_message",
        "capacity",
        "signup_closes_on",
        "audience",
        "ask_goals",
        "custom_question",
    ),
    "review": ("publish",),
}


class MeetingForm(BaseForm):
    date = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired()])
    duration_minutes = IntegerField(
        _l("Length in minutes"),
        validators=[
            InputRequired(),
            NumberRange(
                min=1, max=480, message=_l("A meeting lasts between 1 minute and 8 hours.")
            ),
        ],
    )


class CancelMeetingForm(BaseForm):
    note = TextAreaField(
        _l("Note to participants (optional)"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l("Sent with the cancellation, e.g. why, or what to do before next time."),
    )


class AssignForm(BaseForm):
    user_id = SelectField(_l("Facilitator"), coerce=int, validators=[InputRequired()])
    override = BooleanField(_l("Assign even if it clashes with their other circles"))


class HandOverForm(BaseForm):
    user_id = SelectField(_l("New lead"), coerce=int, validators=[InputRequired()])


class CircleFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Search"), filters=[strip], validators=[Optional(), Length(max=100)])
    branch = SelectField(_l("Branch"), coerce=optional_int, validators=[Optional()])
    skill_area = SelectField(
        _l("Skill area"), choices=choices(SKILL_AREAS, _l("Any")), validators=[Optional()]
    )
    format = SelectField(
        _l("Format"), choices=choices(CIRCLE_FORMATS, _l("Any")), validators=[Optional()]
    )
    language = SelectField(_l("Language"), validators=[Optional()])
    weekday = SelectField(
        _l("Day of the week"),
        coerce=optional_int,
        choices=[SelectChoice("", _l("Any"))]
        + [SelectChoice(i, n) for i, n in enumerate(WEEKDAY_NAMES)],
        validators=[Optional()],
    )
    open_seats = BooleanField(_l("Only with open seats"))
