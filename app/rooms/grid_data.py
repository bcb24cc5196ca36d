"""What the rooms' time grid shows (``grid.py`` lays it out): the bookings of a branch's rooms
on the days shown, and the meetings that still need a room.

The questions are built once, with the branch and times bound at each request: building and
fingerprinting them took longer than the database took to answer them."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import (
    Booking,
    BookingStatus,
    Branch,
    Circle,
    CircleFormat,
    CircleStatus,
    Meeting,
    MeetingStatus,
    Room,
)
from app.timeutil import UTCDateTime

BRANCH_ID = sa.bindparam("branch_id", type_=sa.Integer())
NOW = sa.bindparam("now", type_=UTCDateTime())
START = sa.bindparam("start", type_=UTCDateTime())
END = sa.bindparam("end", type_=UTCDateTime())


@functools.cache
def _bookings_question() -> sa.Select[tuple[Booking]]:
    return (
        sa.select(Booking)
        .join(Room)
        .where(
            Room.branch_id == BRANCH_ID,
            Booking.status == BookingStatus.active,
            Booking.blocked_from < END,
            Booking.blocked_until > START,
        )
        .options(
            so.joinedload(Booking.created_by),
            so.joinedload(Booking.meeting).joinedload(Meeting.circle),
        )
        .order_by(Booking.blocked_from)
    )


def bookings_of(branch: Branch, days: Sequence[dt.date]) -> list[Booking]:
    """The active bookings of the branch's rooms that hold a room (set-up and clean-up
    included) on any of ``days``."""
    zone = ZoneInfo(branch.timezone)
    start = dt.datetime.combine(min(days), dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    asked = {"branch_id": branch.id, "start": start, "end": end}
    return list(db.session.scalars(_bookings_question(), asked).unique())


def _unbooked() -> sa.Select[tuple[Meeting]]:
    booked = sa.exists().where(
        Booking.meeting_id == Meeting.id, Booking.status == BookingStatus.active
    )
    return (
        sa.select(Meeting)
        .join(Circle)
        .where(
            Circle.branch_id == BRANCH_ID,
            Circle.format != CircleFormat.virtual,
            Circle.status.not_in([CircleStatus.cancelled, CircleStatus.completed]),
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > NOW,
            ~booked,
        )
        .order_by(Meeting.starts_at)
    )


@functools.cache
def _unbooked_questions() -> dict[str, sa.Select]:
    between = _unbooked().where(Meeting.starts_at >= START, Meeting.starts_at < END)
    after = _unbooked().where(Meeting.starts_at >= START)
    return {
        "between": between.options(so.contains_eager(Meeting.circle)),
        "count after": sa.select(sa.func.count()).select_from(after.subquery()),
        "first after": after.limit(1),
    }


def unbooked_meetings(
    branch: Branch, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[Meeting]:
    """Meetings that need a room: scheduled, in the branch (in person or hybrid), still to
    come, of a circle that goes on, with no active booking; those starting in start..end."""
    asked = {"branch_id": branch.id, "now": now, "start": start, "end": end}
    return list(db.session.scalars(_unbooked_questions()["between"], asked))


def unbooked_after(
    branch: Branch, after: dt.datetime, now: dt.datetime
) -> tuple[int, Meeting | None]:
    """How many meetings needing a room start at ``after`` or later, and the first of them."""
    asked = {"branch_id": branch.id, "now": now, "start": after}
    questions = _unbooked_questions()
    count = db.session.scalar(questions["count after"], asked) or 0
    first = db.session.scalars(questions["first after"], asked).first() if count else None
    return count, first
