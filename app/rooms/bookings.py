"""Room booking rules. The database holds the no-overlap invariant; the check here comes
first so that the common case gets a message naming the clash, and the constraint catches
the rare race (two requests checking at the same moment).

Booking rooms for a circle's meetings (which rooms fit, booking one) is in
``circle_bookings.py``; a meeting's booking follows the meeting here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.labels import when
from app.models import Booking, BookingKind, BookingStatus, Branch, Meeting, Room, User
from app.places import check_open, outside_hours
from app.rooms import notifications
from app.rules import RuleViolation
from app.timeutil import to_utc, utcnow

MAX_BOOKING = dt.timedelta(hours=24)
MAX_BLOCK = dt.timedelta(days=92)
MAX_REPEAT = 52


def overlapping(room_id: int, start: dt.datetime, end: dt.datetime, exclude_id: int | None = None):
    query = (
        sa.select(Booking)
        .where(
            Booking.room_id == room_id,
            Booking.status == BookingStatus.active,
            Booking.blocked_from < end,
            Booking.blocked_until > start,
        )
        .order_by(Booking.starts_at)
    )
    if exclude_id is not None:
        query = query.where(Booking.id != exclude_id)
    return list(db.session.scalars(query))


def clash_message(room: Room, clash: Booking) -> str:
    tz = room.branch.timezone
    return _(
        "%(room)s is taken %(start)s–%(end)s by “%(title)s”.",
        room=room.name,
        start=when(clash.starts_at, tz),
        end=when(clash.ends_at, tz, "HH:mm"),
        title=clash.title,
    )


def check_opening(room: Room, starts: dt.datetime, ends: dt.datetime) -> None:
    """Inside the branch's opening hours on an open day (local time)."""
    branch: Branch = room.branch
    check_open(branch, starts.astimezone(ZoneInfo(branch.timezone)).date())
    outside = outside_hours(branch, starts, ends)  # no hours on record: nothing to hold to
    if outside is not None:
        hours = outside.hours
        raise RuleViolation(
            _(
                "Outside opening hours: %(branch)s is open %(opens)s–%(closes)s that day.",
                branch=branch.name,
                opens=when(hours.opens),
                closes=when(hours.closes),
            ),
            "start_time",
        )


def _check_span(kind: str, starts: dt.datetime, ends: dt.datetime) -> None:
    if ends <= starts:
        raise RuleViolation(_("The end must be after the start."), "end_time")
    limit = MAX_BLOCK if kind == BookingKind.block else MAX_BOOKING
    if ends - starts > limit:
        raise RuleViolation(
            _("A block lasts at most 92 days.")
            if kind == BookingKind.block
            else _("A booking lasts at most 24 hours."),
            "end_time",
        )


def horizon_end() -> dt.datetime:
    """How far ahead rooms (and circles' meetings) may be booked: BOOKING_HORIZON_DAYS."""
    return utcnow() + dt.timedelta(days=current_app.config["BOOKING_HORIZON_DAYS"])


def _check_horizon(kind: str, ends: dt.datetime) -> None:
    if ends > horizon_end():
        raise RuleViolation(
            _(
                "Rooms can be booked up to %(days)d days ahead.",
                days=current_app.config["BOOKING_HORIZON_DAYS"],
            ),
            "last_day" if kind == BookingKind.block else "date",
        )


def _save(booking: Booking, room: Room) -> None:
    """Flush in a savepoint; the database's overlap refusal becomes a conflict message."""
    with db.session.no_autoflush:
        clash = next(
            iter(overlapping(room.id, booking.blocked_from, booking.blocked_until, booking.id)),
            None,
        )
    if clash is not None:
        raise RuleViolation(clash_message(room, clash), "room_id", conflict=True)
    try:
        with db.session.begin_nested():
            db.session.add(booking)
            db.session.flush()
    except IntegrityError as error:
        if not _is_overlap(error):
            raise
        clash = next(iter(overlapping(room.id, booking.blocked_from, booking.blocked_until)), None)
        message = (
            clash_message(room, clash) if clash else _("That room was just booked by someone else.")
        )
        raise RuleViolation(message, "room_id", conflict=True) from None


def _is_overlap(error: IntegrityError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate == "23P01" or "booking_overlap" in str(error.orig)


def book(
    room: Room,
    starts: dt.datetime,
    ends: dt.datetime,
    *,
    title: str,
    by: User | None,
    kind: str = BookingKind.event,
    meeting: Meeting | None = None,
) -> Booking:
    _check_span(kind, starts, ends)
    _check_horizon(kind, ends)
    if kind != BookingKind.block:
        if not room.bookable:
            raise RuleViolation(_("%(room)s cannot be booked.", room=room.name), "room_id")
        check_opening(room, starts, ends)
    # Ids rather than relationships: nothing joins the session before the savepoint.
    booking = Booking(
        kind=kind,
        title=title,
        meeting_id=meeting.id if meeting else None,
        created_by_id=by.id if by else None,
        status=BookingStatus.active,
        sequence=0,
    )
    booking.place(room, starts, ends)
    _save(booking, room)
    return booking


def book_series(
    room: Room, spans: Sequence[tuple[dt.datetime, dt.datetime]], *, title: str, by: User
) -> list[Booking]:
    """A repeating booking: all of it or none of it."""
    if len(spans) > MAX_REPEAT:
        raise RuleViolation(_("At most %(max)d repeats.", max=MAX_REPEAT), "repeat")
    return [book(room, s, e, title=title, by=by) for s, e in spans]


def room_of(branch: Branch, room_id: int | None) -> Room:
    room = db.session.get(Room, room_id) if room_id else None
    if room is None or room.branch_id != branch.id:
        raise RuleViolation(_("Choose a room of this branch."), "room_id")
    return room


def span(
    branch: Branch, day: dt.date, start: dt.time, end: dt.time, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """A time on a day of the branch's calendar, in UTC; it must not have begun."""
    starts, ends = to_utc(day, start, branch.timezone), to_utc(day, end, branch.timezone)
    if starts <= now:
        raise RuleViolation(_("Choose a time in the future."), "date")
    return starts, ends


def book_weekly(
    branch: Branch,
    room_id: int | None,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    *,
    repeats: int,
    title: str,
    by: User,
    now: dt.datetime,
) -> tuple[Room, list[Booking]]:
    """A booking on ``day`` and the same time on the ``repeats`` weeks after: all or none."""
    room = room_of(branch, room_id)
    spans = [
        span(branch, day + dt.timedelta(weeks=week), start, end, now) for week in range(repeats + 1)
    ]
    return room, book_series(room, spans, title=title, by=by)


def _block_span(
    room: Room, first_day: dt.date, last_day: dt.date, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """Whole days of the branch's calendar, in UTC, from now if the first day is today."""
    if last_day < first_day:
        raise RuleViolation(_("The last day must not be before the first day."), "last_day")
    starts = to_utc(first_day, dt.time(0), room.branch.timezone)
    ends = to_utc(last_day + dt.timedelta(days=1), dt.time(0), room.branch.timezone)
    if ends <= now:
        raise RuleViolation(_("Choose days that have not passed."), "last_day")
    return max(starts, now), ends


def in_the_way(
    room: Room, first_day: dt.date, last_day: dt.date, now: dt.datetime
) -> list[Booking]:
    """The active bookings a block of these days would overlap (none if the days are wrong)."""
    try:
        starts, ends = _block_span(room, first_day, last_day, now)
    except RuleViolation:
        return []
    return overlapping(room.id, starts, ends)


def block(
    room: Room,
    first_day: dt.date,
    last_day: dt.date,
    *,
    reason: str,
    by: User,
    now: dt.datetime,
    cancelling: Collection[int] = (),
    note: str = "",
) -> tuple[Booking, list[Booking]]:
    """Take a room out of use for whole days (maintenance, an event), from now if today.

    Bookings in the way are cancelled, and their owners told (with ``note``), when
    ``cancelling`` holds the id of every one of them: the manager saw them listed and chose
    so. Otherwise nothing changes and the refusal says how many there are (``in_the_way``
    lists them). Returns the block and the bookings cancelled for it."""
    starts, ends = _block_span(room, first_day, last_day, now)
    clashes = overlapping(room.id, starts, ends)
    if any(clash.id not in cancelling for clash in clashes):
        raise RuleViolation(
            ngettext(
                "%(room)s has %(num)d booking in those days: cancel it to block the room, "
                "or choose other days.",
                "%(room)s has %(num)d bookings in those days: cancel them to block the room, "
                "or choose other days.",
                len(clashes),
                room=room.name,
            ),
            "cancel_bookings",
            conflict=True,
        )
    for clash in clashes:
        cancel(clash, by=by, note=note)
    made = book(room, starts, ends, title=reason, by=by, kind=BookingKind.block)
    return made, clashes


def move_to(
    booking: Booking,
    room_id: int | None,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    *,
    by: User,
    now: dt.datetime,
) -> None:
    branch = booking.room.branch
    room = room_of(branch, room_id)
    starts, ends = span(branch, day, start, end, now)
    move(booking, room, starts, ends, by=by)


def move(booking: Booking, room: Room, starts: dt.datetime, ends: dt.datetime, *, by: User) -> None:
    if booking.status != BookingStatus.active:
        raise RuleViolation(_("This booking is cancelled."))
    _check_span(booking.kind, starts, ends)
    _check_horizon(booking.kind, ends)
    if booking.kind != BookingKind.block:
        check_opening(room, starts, ends)
    booking.place(room, starts, ends)
    booking.room = room  # place() sets only the id: the owner's email names the new room
    booking.sequence += 1
    _save(booking, room)
    notifications.booking_changed(booking, by, "moved")


def cancel(booking: Booking, *, by: User | None, note: str = "") -> None:
    """Cancel a booking; whoever made it is told (with ``note``, if any), unless it was them."""
    if booking.status != BookingStatus.active:
        raise RuleViolation(_("This booking is already cancelled."))
    booking.status = BookingStatus.cancelled
    booking.sequence += 1
    if booking.meeting is not None:
        booking.meeting.changed()  # the meeting's place changes: calendars must know
    db.session.flush()
    notifications.booking_changed(booking, by, "cancelled", note=note)


# --- a meeting's booking -----------------------------------------------------------------------


def follow_meeting(meeting: Meeting) -> None:
    """After a meeting moves, its booking moves with it, or the move is refused."""
    booking = meeting.booking
    if booking is None:
        return
    room = booking.room
    try:
        check_opening(room, meeting.starts_at, meeting.ends_at)
        booking.place(room, meeting.starts_at, meeting.ends_at)
        booking.sequence += 1
        _save(booking, room)
    except RuleViolation as violation:
        raise RuleViolation(violation.message, "date", conflict=violation.conflict) from None


def release_meeting(meeting: Meeting) -> None:
    """A cancelled meeting frees its room."""
    booking = meeting.booking
    if booking is not None:
        booking.status = BookingStatus.cancelled
        booking.sequence += 1
        db.session.flush()
