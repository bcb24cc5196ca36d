"""What needs a facilitator: attendance to take, completions and outcomes to confirm, rooms to
book; for one person across their circles (the home page) and for one circle (its page's
facilitator panel). One query per kind, whatever the number of circles."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AttendanceSheet,
    Booking,
    BookingStatus,
    Circle,
    CircleFormat,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Facilitation,
    Meeting,
    MeetingStatus,
    Outcome,
    OutcomeStatus,
    User,
)
from app.timeutil import UTCDateTime


@dataclass(frozen=True)
class Todo:
    kind: str  # "attendance", "completion", "outcomes", "rooms"
    circle_id: int
    circle_title: str
    count: int  # meetings, outcomes or people, by kind
    meeting_id: int | None = None  # the oldest meeting without a sheet ("attendance")
    starts_at: dt.datetime | None = None


KINDS = ("attendance", "completion", "outcomes", "rooms")


# Who asks and when: bound at each execution. The questions themselves are built once
# (``_questions``): building and fingerprinting them took longer than the database took to
# answer them.
USER_ID = sa.bindparam("user_id", type_=sa.Integer())
CIRCLE_ID = sa.bindparam("circle_id", type_=sa.Integer())
NOW = sa.bindparam("now", type_=UTCDateTime())


def _facilitated_by(user_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    return Circle.id.in_(sa.select(Facilitation.circle_id).where(Facilitation.user_id == user_id))


def _held_without_sheet(now: sa.BindParameter) -> sa.Select:
    """The circle's meetings that have started and have no attendance sheet (correlated to
    the enclosing query's circle)."""
    return sa.select(Meeting.id).where(
        Meeting.circle_id == Circle.id,
        Meeting.status == MeetingStatus.scheduled,
        Meeting.starts_at <= now,
        ~sa.exists().where(AttendanceSheet.meeting_id == Meeting.id),
    )


def _no_booking() -> sa.ColumnElement[bool]:
    return ~sa.exists().where(
        Booking.meeting_id == Meeting.id, Booking.status == BookingStatus.active
    )


def _last_meeting_started(now: sa.BindParameter) -> sa.ColumnElement[bool]:
    last = (
        sa.select(sa.func.max(Meeting.starts_at))
        .where(Meeting.circle_id == Circle.id, Meeting.status == MeetingStatus.scheduled)
        .scalar_subquery()
    )
    return last <= now


def _places(status: EnrollmentStatus) -> sa.ScalarSelect:
    return (
        sa.select(sa.func.count(Enrollment.id))
        .where(Enrollment.circle_id == Circle.id, Enrollment.status == status)
        .scalar_subquery()
    )


@functools.cache
def _questions() -> dict[str, sa.Select]:
    """What waits for ``USER_ID`` at ``NOW``, one question per kind, oldest first within it."""
    mine = _facilitated_by(USER_ID)
    # Attendance: meetings that started in a running circle and have no sheet yet; the link
    # goes to the oldest of them.
    held = _held_without_sheet(NOW)
    count = held.with_only_columns(sa.func.count(Meeting.id)).scalar_subquery()
    oldest = held.order_by(Meeting.starts_at, Meeting.id).limit(1)
    attendance = (
        sa.select(
            Circle.id,
            Circle.title,
            count,
            oldest.with_only_columns(Meeting.id).scalar_subquery(),
            oldest.with_only_columns(Meeting.starts_at).scalar_subquery(),
        )
        .where(mine, Circle.status == CircleStatus.published, count > 0)
        .order_by(Circle.id)
    )
    # Completion: the last meeting has started and nobody is marked completed yet.
    completion = (
        sa.select(Circle.id, Circle.title, _places(EnrollmentStatus.enrolled))
        .where(
            mine,
            Circle.status == CircleStatus.published,
            _last_meeting_started(NOW),
            _places(EnrollmentStatus.enrolled) > 0,
            _places(EnrollmentStatus.completed) == 0,
        )
        .order_by(Circle.id)
    )
    # Outcomes that participants reported and nobody has confirmed.
    outcomes = (
        sa.select(Circle.id, Circle.title, sa.func.count(Outcome.id))
        .join(Outcome, Outcome.circle_id == Circle.id)
        .where(mine, Outcome.status == OutcomeStatus.reported)
        .group_by(Circle.id, Circle.title)
        .order_by(sa.func.min(Outcome.created_at))
    )
    # Rooms: future meetings in a branch without a booked room, in circles still to run.
    rooms = (
        sa.select(
            Circle.id, Circle.title, sa.func.count(Meeting.id), sa.func.min(Meeting.starts_at)
        )
        .join(Meeting, Meeting.circle_id == Circle.id)
        .where(
            mine,
            Circle.status.in_([CircleStatus.draft, CircleStatus.published]),
            Circle.format != CircleFormat.virtual,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > NOW,
            _no_booking(),
        )
        .group_by(Circle.id, Circle.title)
        .order_by(sa.func.min(Meeting.starts_at))
    )
    return {
        "attendance": attendance,
        "completion": completion,
        "outcomes": outcomes,
        "rooms": rooms,
    }


def todos_of(user: User, now: dt.datetime) -> list[Todo]:
    """Everything that waits for ``user`` in the circles they lead or co-lead, oldest first
    within each kind: four queries."""
    asked = {"user_id": user.id, "now": now}
    rows = {kind: db.session.execute(q, asked).all() for kind, q in _questions().items()}
    todos = [
        Todo("attendance", cid, title, n, meeting_id=mid, starts_at=first)
        for cid, title, n, mid, first in sorted(rows["attendance"], key=lambda r: r[4])
    ]
    todos += [Todo("completion", cid, title, n) for cid, title, n in rows["completion"]]
    todos += [Todo("outcomes", cid, title, n) for cid, title, n in rows["outcomes"]]
    todos += [
        Todo("rooms", cid, title, n, starts_at=first) for cid, title, n, first in rows["rooms"]
    ]
    return todos


@dataclass(frozen=True)
class Panel:
    """The figures of a circle's facilitator panel."""

    enrolled: int
    waitlisted: int
    completed: int
    outcomes_to_confirm: int
    sheets_missing: int


@functools.cache
def _panel_question() -> sa.Select:
    """The panel's figures for ``CIRCLE_ID`` at ``NOW`` (built once, as ``_questions``)."""
    reported = (
        sa.select(sa.func.count(Outcome.id))
        .where(Outcome.circle_id == Circle.id, Outcome.status == OutcomeStatus.reported)
        .scalar_subquery()
    )
    missing = (
        _held_without_sheet(NOW).with_only_columns(sa.func.count(Meeting.id)).scalar_subquery()
    )
    return sa.select(
        _places(EnrollmentStatus.enrolled),
        _places(EnrollmentStatus.waitlisted),
        _places(EnrollmentStatus.completed),
        reported,
        missing,
    ).where(Circle.id == CIRCLE_ID)


def panel_of(circle: Circle, now: dt.datetime) -> Panel:
    """One query: places by status, reported outcomes, meetings held without a sheet."""
    row = db.session.execute(_panel_question(), {"circle_id": circle.id, "now": now}).one()
    return Panel(*row)
