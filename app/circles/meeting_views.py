"""A circle's meetings: adding one, moving one, cancelling one. Part of the ``circles``
blueprint (``views.py``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.permissions import editable_circle_or_404, editable_part_or_404
from app.boundary import saving
from app.circles import meetings as meeting_rules
from app.circles.forms import CancelMeetingForm, MeetingForm
from app.circles.views import bp
from app.labels import when
from app.models import Meeting


def _fill_from(form: MeetingForm, meeting: Meeting) -> None:
    """The form's date, start and length from ``meeting``, in its circle's local time."""
    local = meeting.starts_at.astimezone(ZoneInfo(meeting.circle.timezone))
    form.date.data, form.start_time.data = local.date(), local.time()
    form.duration_minutes.data = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)


@bp.route("/circles/<int:circle_id>/meetings/new", methods=["GET", "POST"])
def add_meeting(circle_id: int):
    item = editable_circle_or_404(circle_id)
    form = MeetingForm()
    if not form.is_submitted() and item.scheduled_meetings:
        _fill_from(form, item.scheduled_meetings[-1])  # the next one is usually like the last
        form.date.data = None
    if form.validate_on_submit():
        with saving(form) as saved:
            meeting_rules.add_meeting(
                item, form.date.data, form.start_time.data, form.duration_minutes.data
            )
        if saved:
            flash(_("Meeting added."), "success")
            return redirect(url_for("circles.circle", circle_id=item.id))
    return render_template("circles/meeting_form.html", form=form, circle=item, meeting=None)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
def reschedule_meeting(meeting_id: int):
    meeting = editable_part_or_404(Meeting, meeting_id)
    item = meeting.circle
    form = MeetingForm()
    if not form.is_submitted():
        _fill_from(form, meeting)
    if form.validate_on_submit():
        with saving(form) as saved:
            meeting_rules.reschedule_meeting(
                meeting, form.date.data, form.start_time.data, form.duration_minutes.data
            )
        if saved:
            flash(_("Meeting moved. Calendars update on their next refresh."), "success")
            return redirect(url_for("circles.circle", circle_id=item.id))
    return render_template("circles/meeting_form.html", form=form, circle=item, meeting=meeting)


@bp.route("/meetings/<int:meeting_id>/cancel", methods=["GET", "POST"])
def cancel_meeting(meeting_id: int):
    """Asks for an optional note, which goes to the people enrolled with the cancellation."""
    meeting = editable_part_or_404(Meeting, meeting_id)
    form = CancelMeetingForm()
    status = 200
    if form.validate_on_submit():
        with saving(form) as saved:
            meeting_rules.cancel_meeting(meeting, note=form.note.data or "")
        if saved:
            flash(_("Meeting cancelled. The people enrolled have been told."), "success")
            return redirect(url_for("circles.circle", circle_id=meeting.circle_id))
        status = saved.status
    return (
        render_template(
            "circles/cancel_meeting.html",
            form=form,
            meeting=meeting,
            circle=meeting.circle,
            when=_format_when(meeting),
        ),
        status,
    )


def _format_when(meeting: Meeting) -> str:
    return when(meeting.starts_at, meeting.circle.timezone)
