"""Moving a circle's series: a form, its review, confirm. Part of the ``circles`` blueprint
(``views.py``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms import IntegerField, SelectField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from app.auth.permissions import editable_circle_or_404
from app.boundary import saving
from app.circles import series
from app.circles.meetings import future_meetings
from app.circles.views import bp
from app.extensions import db
from app.forms import BaseForm, optional_int
from app.i18n import lazy_gettext as _l
from app.labels import WEEKDAY_NAMES, when
from app.models import Circle, Room
from app.timeutil import utcnow


class MoveSeriesForm(BaseForm):
    from_meeting = SelectField(_l("Which meetings"), coerce=optional_int, validators=[Optional()])
    weekday = SelectField(
        _l("New weekday"),
        coerce=optional_int,
        validators=[Optional()],
        description=_l("Each meeting moves to this day of its own week."),
    )
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Enter a start time."))])
    duration_minutes = IntegerField(
        _l("Length in minutes"),
        validators=[
            InputRequired(_l("Enter the length in minutes.")),
            NumberRange(1, 8 * 60, _l("A meeting lasts between 1 minute and 8 hours.")),
        ],
    )
    room_id = SelectField(_l("Room"), coerce=optional_int, validators=[Optional()])


def _choices(form: MoveSeriesForm, circle: Circle) -> list:
    future = future_meetings(circle)
    form.from_meeting.choices = [SelectChoice("", _("Every meeting still to come"))] + [
        SelectChoice(
            m.id,
            _(
                "From meeting %(num)d (%(when)s) on",
                num=circle.meetings.index(m) + 1,
                when=when(m.starts_at, circle.timezone),
            ),
        )
        for m in future[1:]
    ]
    form.weekday.choices = [SelectChoice("", _("Keep each meeting's day"))] + [
        SelectChoice(day, name) for day, name in enumerate(WEEKDAY_NAMES)
    ]
    rooms = db.session.scalars(
        sa.select(Room).where(Room.branch_id == circle.branch_id, Room.bookable).order_by(Room.name)
    )
    form.room_id.choices = [SelectChoice("", _("No room"))] + [
        SelectChoice(r.id, f"{r.name} ({r.capacity})") for r in rooms
    ]
    return future


def _input(form: MoveSeriesForm) -> series.SeriesInput:
    return series.SeriesInput(
        from_meeting_id=form.from_meeting.data,
        weekday=form.weekday.data,
        start_time=form.start_time.data,
        duration_minutes=form.duration_minutes.data,
        room_id=form.room_id.data,
    )


@bp.route("/circles/<int:circle_id>/series", methods=["GET", "POST"])
def move_series(circle_id: int):
    """Form → review (what moves where, what has no room, who clashes) → confirm. Nothing is
    stored until the review is confirmed; the review and the move run the same checks."""
    item = editable_circle_or_404(circle_id)
    form = MoveSeriesForm()
    future = _choices(form, item)
    if not form.is_submitted() and future:
        first = future[0]
        form.start_time.data = first.starts_at.astimezone(ZoneInfo(item.timezone)).time()
        form.duration_minutes.data = int((first.ends_at - first.starts_at).total_seconds() // 60)
        form.room_id.data = item.room_id
    review = None
    status = 200
    if form.validate_on_submit():
        confirming = request.form.get("action") == "confirm"
        me = current_user._get_current_object()
        with saving(form) as saved:
            if confirming:
                done = series.move_series(item, _input(form), by=me, now=utcnow())
            else:
                review = series.preview_series_move(item, _input(form), utcnow())
        status = saved.status
        if saved and confirming:
            _flash_moved(done)
            return redirect(url_for("circles.circle", circle_id=item.id))
    return (
        render_template(
            "circles/move_series.html", form=form, circle=item, future=future, review=review
        ),
        status,
    )


def _flash_moved(done: series.SeriesMove) -> None:
    said = ngettext(
        "%(num)d meeting moved. The people enrolled have been told.",
        "%(num)d meetings moved. The people enrolled have been told.",
        len(done.moves),
    )
    if done.unbooked:
        said += " " + ngettext(
            "%(num)d meeting has no room yet: book one with “Book rooms”.",
            "%(num)d meetings have no room yet: book them with “Book rooms”.",
            len(done.unbooked),
        )
    flash(said, "info" if done.unbooked else "success")
