from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.forms import BaseForm, MultiCheckboxField, optional_int, strip, timezone_field
from app.i18n import lazy_gettext as _l
from app.models import RoomFeature
from app.rooms.services import MAX_CLOSURE_DAYS

FEATURE_LABELS = {
    RoomFeature.projector: _l("Projector"),
    RoomFeature.computers: _l("Computers"),
    RoomFeature.accessible: _l("Wheelchair accessible"),
    RoomFeature.video_conferencing: _l("Video conferencing"),
    RoomFeature.whiteboard: _l("Whiteboard"),
    RoomFeature.hearing_loop: _l("Hearing loop"),
}


class BranchForm(BaseForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    slug = StringField(
        _l("Short name for links"),
        filters=[lambda v: v.strip().lower() if v else v],
        validators=[
            Optional(),
            Length(max=64),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Use lowercase letters, digits and single hyphens."),
            ),
        ],
        description=_l("Leave empty to make one from the name."),
    )
    address = TextAreaField(_l("Address"), filters=[strip], validators=[Length(max=300)])
    timezone = timezone_field()


class DayHoursForm(Form):
    opens = TimeField(_l("Opens"), validators=[Optional()])
    closes = TimeField(_l("Closes"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        # Checked here, not in a field validator: Optional() would stop the chain early.
        if not super().validate(extra_validators):
            return False
        opens, closes = self.opens.data, self.closes.data
        if (opens is None) != (closes is None):
            self.closes.errors.append(_l("Give both times, or neither for a closed day."))
        elif closes is not None and closes <= opens:
            self.closes.errors.append(_l("Closing time must be after opening time."))
        return not self.closes.errors


class HoursForm(BaseForm):
    days = FieldList(FormField(DayHoursForm), min_entries=7, max_entries=7)


class ClosureForm(BaseForm):
    date = DateField(_l("First day"), validators=[DataRequired(message=_l("Enter a date."))])
    last_day = DateField(
        _l("Last day"),
        validators=[Optional()],
        description=_l("Leave empty to close one day only. At most 366 days."),
    )
    reason = StringField(_l("Reason"), filters=[strip], validators=[Length(max=120)])

    def validate_last_day(self, field) -> None:
        first, last = self.date.data, field.data
        if first is None or last is None:
            return
        if last < first:
            raise ValidationError(_l("The last day cannot be before the first day."))
        if (last - first).days + 1 > MAX_CLOSURE_DAYS:
            raise ValidationError(
                _l("A closure covers at most %(days)d days.", days=MAX_CLOSURE_DAYS)
            )


class RoomForm(BaseForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=120)])
    capacity = IntegerField(
        _l("Seats"),
        validators=[
            InputRequired(message=_l("Enter the number of seats.")),
            NumberRange(min=1, max=1000, message=_l("Between 1 and 1000 seats.")),
        ],
    )
    features = MultiCheckboxField(
        _l("Features"),
        choices=[SelectChoice(f.value, label) for f, label in FEATURE_LABELS.items()],
    )
    bookable = BooleanField(_l("Can be booked"), default=True)
    setup_minutes = IntegerField(
        _l("Set-up time before each booking (minutes)"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=240, message=_l("Between 0 and 240 minutes.")),
        ],
    )
    cleanup_minutes = IntegerField(
        _l("Clean-up time after each booking (minutes)"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=240, message=_l("Between 0 and 240 minutes.")),
        ],
    )


class BookingForm(BaseForm):
    room_id = SelectField(
        _l("Room"), coerce=optional_int, validators=[InputRequired(_l("Choose a room."))]
    )
    title = StringField(
        _l("What for"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    date = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Enter a time."))])
    end_time = TimeField(_l("Until"), validators=[InputRequired(_l("Enter a time."))])
    repeat = IntegerField(
        _l("Repeat weekly, extra weeks"),
        default=0,
        validators=[
            Optional(),
            NumberRange(min=0, max=51, message=_l("Between 0 and 51 extra weeks.")),
        ],
        description=_l("0 for a single booking. Repeats are booked all together or not at all."),
    )


class MoveBookingForm(BaseForm):
    room_id = SelectField(
        _l("Room"), coerce=optional_int, validators=[InputRequired(_l("Choose a room."))]
    )
    date = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Enter a time."))])
    end_time = TimeField(_l("Until"), validators=[InputRequired(_l("Enter a time."))])


def owner_note(description: str) -> TextAreaField:
    """What the one cancelling says to whoever made the booking, quoted in their email."""
    return TextAreaField(
        _l("Note to them (optional)"),
        filters=[strip],
        validators=[Length(max=1000)],
        description=description,
    )


class CancelBookingForm(BaseForm):
    note = owner_note(_l("Sent with the cancellation, for example why or where to go instead."))


class BlockForm(BaseForm):
    first_day = DateField(_l("From (first day)"), validators=[DataRequired(_l("Enter a date."))])
    last_day = DateField(_l("Until (last day)"), validators=[DataRequired(_l("Enter a date."))])
    reason = StringField(
        _l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    # Shown once bookings are in the way: the ids of those listed, so that only what the
    # manager saw is cancelled (one made meanwhile is listed again instead).
    cancel_bookings = BooleanField(_l("Cancel these bookings and tell whoever made them"))
    listed = HiddenField(validators=[Optional(), Regexp(r"^\d{1,10}(,\d{1,10}){0,499}$")])
    note = owner_note(_l("Sent with the cancellation, for example why the room is blocked."))

    def cancelling(self) -> set[int]:
        """The bookings to cancel: those listed, if the manager ticked the box."""
        if not (self.cancel_bookings.data and self.listed.data):
            return set()
        return {int(i) for i in self.listed.data.split(",")}


class FreeRoomForm(BaseForm):
    """Which rooms are free at a time, across one's branches (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    date = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Enter a time."))])
    end_time = TimeField(_l("Until"), validators=[InputRequired(_l("Enter a time."))])
    seats = IntegerField(
        _l("Seats"),
        default=1,
        validators=[
            InputRequired(_l("Enter the number of seats.")),
            NumberRange(min=1, max=1000, message=_l("Between 1 and 1000 seats.")),
        ],
    )
    features = MultiCheckboxField(
        _l("Needs"),
        choices=[SelectChoice(f.value, label) for f, label in FEATURE_LABELS.items()],
    )

    def validate_end_time(self, field) -> None:
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))


class CircleRoomForm(BaseForm):
    room_id = SelectField(
        _l("Room"), coerce=optional_int, validators=[InputRequired(_l("Choose a room."))]
    )
    mode = SelectField(
        _l("If some meetings clash"),
        choices=[
            SelectChoice("all", _l("Book nothing (all or nothing)")),
            SelectChoice("free", _l("Book the free meetings and list the clashes")),
        ],
        default="all",
    )
