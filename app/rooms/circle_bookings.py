"""Booking a room for a circle's meetings: which rooms of the branch fit the circle (and
where each clashes), and booking one for some or all of the meetings. The booking rules
themselves are in ``bookings.py``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.extensions import db
from app.models import BookingKind, BookingStatus, Circle, Meeting, Room, User
from app.rooms.bookings import book, check_opening, clash_message, overlapping
from app.rules import RuleViolation


@dataclass
class RoomFit:
    room: Room
    clashes: list[tuple[Meeting, str]]

    @property
    def free_for_all(self) -> bool:
        return not self.clashes


Span = tuple[dt.datetime, dt.datetime, int | None]  # start, end (UTC) and the meeting's id


def span_problems(room: Room, spans: Sequence[Span]) -> list[str | None]:
    """Why this room cannot take each span (a meeting planned or stored: its own booking
    does not count against it), or None where it can. One query for all of them."""
    if not spans:
        return []
    setup = dt.timedelta(minutes=room.setup_minutes)
    cleanup = dt.timedelta(minutes=room.cleanup_minutes)
    taken = overlapping(
        room.id, min(s for s, _e, _m in spans) - setup, max(e for _s, e, _m in spans) + cleanup
    )
    problems: list[str | None] = []
    for starts, ends, meeting_id in spans:
        clash = next(
            (
                b
                for b in taken
                if b.blocked_from < ends + cleanup
                and b.blocked_until > starts - setup
                and (meeting_id is None or b.meeting_id != meeting_id)
            ),
            None,
        )
        if clash is not None:
            problems.append(clash_message(room, clash))
            continue
        try:
            check_opening(room, starts, ends)
        except RuleViolation as violation:
            problems.append(violation.message)
            continue
        problems.append(None)
    return problems


def meeting_problem(room: Room, meeting: Meeting) -> str | None:
    """Why this room cannot take this meeting, or None if it can."""
    return span_problems(room, [(meeting.starts_at, meeting.ends_at, meeting.id)])[0]


def branch_rooms(branch_id: int, seats: int = 1) -> list[Room]:
    """The bookable rooms of a branch that seat ``seats``, smallest first."""
    return list(
        db.session.scalars(
            sa.select(Room)
            .where(Room.branch_id == branch_id, Room.bookable, Room.capacity >= seats)
            .options(so.joinedload(Room.branch))
            .order_by(Room.capacity, Room.name)
        )
    )


def rooms_for_circle(
    circle: Circle, meetings: Sequence[Meeting], features: Sequence[str]
) -> list[RoomFit]:
    """Rooms of the circle's branch that seat it and have the features, with their clashes."""
    spans = [(m.starts_at, m.ends_at, m.id) for m in meetings]
    fits = []
    for room in branch_rooms(circle.branch_id, circle.capacity):
        if not set(features) <= set(room.features):
            continue
        problems = span_problems(room, spans)
        clashes = [(m, p) for m, p in zip(meetings, problems, strict=True) if p]
        fits.append(RoomFit(room, clashes))
    fits.sort(key=lambda f: (len(f.clashes), f.room.capacity))
    return fits


def book_meetings(
    circle: Circle, room: Room, meetings: Sequence[Meeting], *, by: User, all_or_nothing: bool
) -> tuple[list[Meeting], list[tuple[Meeting, str]]]:
    """Book the room for these meetings (replacing their current room). Returns what was
    booked and what clashed; with ``all_or_nothing`` any clash books nothing."""
    if room.branch_id != circle.branch_id:
        raise RuleViolation(_("Choose a room of this branch."), "room_id")
    if room.capacity < circle.capacity:
        raise RuleViolation(
            _("%(room)s seats %(seats)d.", room=room.name, seats=room.capacity), "room_id"
        )
    found = span_problems(room, [(m.starts_at, m.ends_at, m.id) for m in meetings])
    problems = [(m, p) for m, p in zip(meetings, found, strict=True) if p]
    if problems and all_or_nothing:
        return [], problems
    clashed = {m.id for m, _p in problems}
    booked = []
    for meeting in meetings:
        if meeting.id in clashed:
            continue
        try:
            with db.session.begin_nested():
                current = meeting.booking  # None once cancelled: keep hold of it
                if current is not None:
                    current.status = BookingStatus.cancelled
                    current.sequence += 1
                    db.session.flush()
                book(
                    room,
                    meeting.starts_at,
                    meeting.ends_at,
                    title=circle.title,
                    by=by,
                    kind=BookingKind.meeting,
                    meeting=meeting,
                )
                meeting.changed()
            db.session.expire(meeting, ["bookings"])  # ``meeting.booking`` is the new one
        except RuleViolation as violation:
            if all_or_nothing:
                raise
            problems.append((meeting, violation.message))
            continue
        booked.append(meeting)
    if all_or_nothing and problems:
        raise RuleViolation(problems[0][1], "room_id", conflict=True)
    return booked, problems


def book_circle(
    circle: Circle, room: Room, meetings: Sequence[Meeting], *, by: User, all_or_nothing: bool
) -> tuple[list[Meeting], list[tuple[Meeting, str]]]:
    """Book a room for the circle's meetings, and make it the circle's room if any were."""
    booked, problems = book_meetings(circle, room, meetings, by=by, all_or_nothing=all_or_nothing)
    if booked:
        circle.room = room
        db.session.flush()
    return booked, problems
