"""Moving a circle's series (every meeting still to come, or from one of them on) to another
start time, weekday, length or room, with the review creation has: where closures move a
meeting, the opening hours, the facilitators' other circles and the room's other bookings.
The review and the move run the same code (``preview_series_move``); the move happens in
one transaction, bookings follow, and each person enrolled gets one email listing it all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.circles import planning
from app.circles.clashes import Clash, clash_message, facilitator_clashes
from app.circles.meetings import check_horizon, future_meetings, refresh_weekdays, require_live
from app.circles.schedule import PlannedMeeting, plan_meetings
from app.extensions import db
from app.models import Circle, CircleFormat, Meeting, Room, User
from app.participation import notifications as participation_notifications
from app.places import branch_calendar
from app.rooms import bookings, circle_bookings
from app.rules import RuleViolation


@dataclass(frozen=True)
class SeriesInput:
    from_meeting_id: int | None  # None: every meeting still to come
    weekday: int | None  # None: each meeting keeps its day
    start_time: dt.time
    duration_minutes: int
    room_id: int | None


@dataclass(frozen=True)
class SeriesMove:
    """What moving the series would do: each meeting with where it goes, the room (if any),
    the meetings that room cannot take (they lose their room), the facilitators' clashes and
    the warnings about the new times."""

    circle: Circle
    room: Room | None
    moves: list[tuple[Meeting, PlannedMeeting]]
    clashes: list[Clash]
    warnings: list[str] = field(default_factory=list)
    unbooked: list[tuple[PlannedMeeting, str]] = field(default_factory=list)

    @property
    def books_room(self) -> bool:
        return self.room is not None and self.circle.format != CircleFormat.virtual


def meetings_to_move(circle: Circle, from_meeting_id: int | None) -> list[Meeting]:
    future = future_meetings(circle)
    if from_meeting_id is None:
        return future
    index = next((i for i, m in enumerate(future) if m.id == from_meeting_id), None)
    if index is None:
        raise RuleViolation(_("Choose one of the meetings still to come."), "from_meeting")
    return future[index:]


def preview_series_move(circle: Circle, data: SeriesInput, now: dt.datetime) -> SeriesMove:
    require_live(circle)
    moving = meetings_to_move(circle, data.from_meeting_id)
    if not moving:
        raise RuleViolation(_("No meeting is still to come."), "from_meeting")
    room = db.session.get(Room, data.room_id) if data.room_id else None
    if data.room_id and (room is None or room.branch_id != circle.branch_id or not room.bookable):
        raise RuleViolation(_("Choose a room of this branch."), "room_id")
    if (
        room is not None
        and circle.format != CircleFormat.virtual
        and room.capacity < circle.capacity
    ):
        raise RuleViolation(
            _("%(room)s seats %(seats)d.", room=room.name, seats=room.capacity), "room_id"
        )
    zone = ZoneInfo(circle.timezone)
    dates = []
    for meeting in moving:
        day = meeting.starts_at.astimezone(zone).date()
        if data.weekday is not None:
            day += dt.timedelta(days=data.weekday - day.weekday())  # the same week
        dates.append(day)
    plan = plan_meetings(
        dates,
        count=None,
        start_time=data.start_time,
        duration=dt.timedelta(minutes=data.duration_minutes),
        tz=circle.timezone,
        calendar=branch_calendar(circle.branch),
        on_closure="move",
    )
    if len(plan.meetings) != len(moving):
        raise RuleViolation(_("Two meetings would fall on the same day."), "weekday")
    if plan.meetings[0].starts_at <= now:
        raise RuleViolation(_("The first meeting moved must be in the future."), "weekday")
    check_horizon(plan.meetings[-1].ends_at, "weekday")
    staying = [m for m in circle.scheduled_meetings if m not in moving]
    for planned in plan.meetings:
        if any(m.starts_at < planned.ends_at and m.ends_at > planned.starts_at for m in staying):
            raise RuleViolation(_("The circle already meets at that time."), "start_time")
    if planning.needs_opening_hours(circle.format, room):
        planning.check_hours(circle.branch, plan.meetings)
    intervals = [(p.starts_at, p.ends_at) for p in plan.meetings]
    clashes = facilitator_clashes(
        [f.user_id for f in circle.facilitations], intervals, exclude_circle_id=circle.id
    )
    moves = list(zip(moving, plan.meetings, strict=True))
    unbooked: list[tuple[PlannedMeeting, str]] = []
    if room is not None and circle.format != CircleFormat.virtual:
        problems = circle_bookings.span_problems(
            room, [(p.starts_at, p.ends_at, m.id) for m, p in moves]
        )
        unbooked = [(p, why) for (_m, p), why in zip(moves, problems, strict=True) if why]
    return SeriesMove(
        circle,
        room,
        moves,
        clashes,
        planning.warnings(plan.meetings, circle.timezone),
        unbooked,
    )


def move_series(circle: Circle, data: SeriesInput, *, by: User, now: dt.datetime) -> SeriesMove:
    """Move the meetings as the review showed; refuse a facilitator's clash. A meeting the
    room cannot take stays without a room; the others' bookings follow (or are made)."""
    move = preview_series_move(circle, data, now)
    if move.clashes:
        raise RuleViolation(clash_message(move.clashes, circle.timezone), "start_time")
    unbooked = {p.starts_at for p, _why in move.unbooked}
    before = [(m, m.starts_at, m.ends_at) for m, _p in move.moves]
    # Free what no longer has a room first, so the rest never trips over it.
    to_book = []
    for meeting, planned in move.moves:
        booking = meeting.booking
        keeps = (
            move.books_room
            and planned.starts_at not in unbooked
            and booking is not None
            and booking.room_id == move.room.id
        )
        if booking is not None and not keeps:
            bookings.release_meeting(meeting)
        meeting.starts_at, meeting.ends_at = planned.starts_at, planned.ends_at
        meeting.changed()
        if keeps:
            bookings.follow_meeting(meeting)
        elif move.books_room and planned.starts_at not in unbooked:
            to_book.append(meeting)
    if to_book:
        circle_bookings.book_meetings(circle, move.room, to_book, by=by, all_or_nothing=True)
    circle.room = move.room
    refresh_weekdays(circle)
    db.session.flush()
    participation_notifications.series_moved(circle, before)
    return move
