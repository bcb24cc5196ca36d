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


def meeting_problem(room: Room, meeting: Meeting) -> str | None:
    """Why this room cannot take this meeting, or None if it can."""
    pad_from = meeting.starts_at - dt.timedelta(minutes=room.setup_minutes)
    pad_until = meeting.ends_at + dt.timedelta(minutes=room.cleanup_minutes)
    clash = next(
        (b for b in overlapping(room.id, pad_from, pad_until) if b.meeting_id != meeting.id), None
    )
    if clash is not None:
        return clash_message(room, clash)
    try:
        check_opening(room, meeting.starts_at, meeting.ends_at)
    except RuleViolation as violation:
        return violation.message
    return None


def rooms_for_circle(
    circle: Circle, meetings: Sequence[Meeting], features: Sequence[str]
) -> list[RoomFit]:
    """Rooms of the circle's branch that seat it and have the features, with their clashes."""
    rooms = db.session.scalars(
        sa.select(Room)
        .where(Room.branch_id == circle.branch_id, Room.bookable, Room.capacity >= circle.capacity)
        .options(so.joinedload(Room.branch))
        .order_by(Room.capacity, Room.name)
    )
    fits = []
    for room in rooms:
        if not set(features) <= set(room.features):
            continue
        clashes = [(m, p) for m in meetings if (p := meeting_problem(room, m))]
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
    problems = [(m, p) for m in meetings if (p := meeting_problem(room, m))]
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
