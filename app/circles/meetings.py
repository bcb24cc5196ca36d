"""A circle's meetings after creation: add, move, cancel; and the checks they share with
creation (a live circle, the booking horizon)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from app.circles.clashes import clash_message, facilitator_clashes
from app.circles.schedule import MAX_MEETINGS
from app.extensions import db
from app.labels import status_word
from app.models import Circle, Meeting, MeetingStatus
from app.participation import notifications as participation_notifications
from app.places import check_open
from app.rooms import bookings
from app.rules import RuleViolation
from app.timeutil import to_utc, utcnow


def check_horizon(ends: dt.datetime, field: str) -> None:
    """Meetings are planned no further ahead than rooms can be booked."""
    if ends > bookings.horizon_end():
        raise RuleViolation(
            _(
                "Meetings can be planned up to %(days)d days ahead.",
                days=current_app.config["BOOKING_HORIZON_DAYS"],
            ),
            field,
        )


def refresh_weekdays(circle: Circle) -> None:
    zone = ZoneInfo(circle.timezone)
    mask = 0
    for meeting in circle.scheduled_meetings:
        mask |= 1 << meeting.starts_at.astimezone(zone).weekday()
    circle.weekday_mask = mask


def future_meetings(circle: Circle) -> list[Meeting]:
    now = utcnow()
    return [m for m in circle.scheduled_meetings if m.starts_at > now]


def require_live(circle: Circle) -> None:
    if not circle.is_live:
        state = status_word(circle.status)
        raise RuleViolation(_("This circle is %(state)s and can no longer change.", state=state))


def _check_meeting_time(
    circle: Circle, day: dt.date, at: dt.time, minutes: int, exclude: Meeting | None
) -> tuple[dt.datetime, dt.datetime]:
    if not 1 <= minutes <= 8 * 60:
        raise RuleViolation(_("A meeting lasts between 1 minute and 8 hours."), "duration_minutes")
    starts = to_utc(day, at, circle.timezone)
    if starts <= utcnow():
        raise RuleViolation(_("Choose a time in the future."), "date")
    check_open(circle.branch, day)
    ends = starts + dt.timedelta(minutes=minutes)
    check_horizon(ends, "date")
    for other in circle.scheduled_meetings:
        if other is not exclude and other.starts_at < ends and other.ends_at > starts:
            raise RuleViolation(_("The circle already meets at that time."), "date")
    clashes = [
        c
        for c in facilitator_clashes([f.user_id for f in circle.facilitations], [(starts, ends)])
        if c.circle_id != circle.id
    ]
    if clashes:
        raise RuleViolation(clash_message(clashes, circle.timezone), "date")
    return starts, ends


def add_meeting(circle: Circle, day: dt.date, at: dt.time, minutes: int) -> Meeting:
    require_live(circle)
    if len(circle.scheduled_meetings) >= MAX_MEETINGS:
        raise RuleViolation(_("Between 1 and %(max)d meetings.", max=MAX_MEETINGS))
    starts, ends = _check_meeting_time(circle, day, at, minutes, exclude=None)
    meeting = Meeting(circle=circle, starts_at=starts, ends_at=ends, status=MeetingStatus.scheduled)
    db.session.add(meeting)
    refresh_weekdays(circle)
    db.session.flush()
    return meeting


def reschedule_meeting(meeting: Meeting, day: dt.date, at: dt.time, minutes: int) -> None:
    require_live(meeting.circle)
    if not meeting.is_scheduled:
        raise RuleViolation(_("A cancelled meeting cannot be moved; add a new one."))
    if meeting.starts_at <= utcnow():
        raise RuleViolation(_("This meeting has already started."))
    starts, ends = _check_meeting_time(meeting.circle, day, at, minutes, exclude=meeting)
    was = meeting.starts_at
    meeting.starts_at, meeting.ends_at = starts, ends
    meeting.changed()
    bookings.follow_meeting(meeting)
    refresh_weekdays(meeting.circle)
    db.session.flush()
    participation_notifications.meeting_changed(meeting, "moved", was=was)


def cancel_meeting(meeting: Meeting, note: str = "") -> None:
    """Cancel one meeting (its room is freed); the people enrolled are told, with ``note``."""
    if not meeting.is_scheduled:
        raise RuleViolation(_("This meeting is already cancelled."))
    if meeting.starts_at <= utcnow():
        raise RuleViolation(_("This meeting has already started."))
    meeting.status = MeetingStatus.cancelled
    meeting.changed()
    bookings.release_meeting(meeting)
    refresh_weekdays(meeting.circle)
    db.session.flush()
    participation_notifications.meeting_changed(meeting, "cancelled", note=note)
