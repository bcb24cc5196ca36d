"""What the home page shows: to visitors, public circles to join and featured courses; to
someone signed in, their next meetings (as facilitator or participant) and what needs them
(``app/circles/todos.py``). A few queries each, however many circles there are."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import AnonymousUserMixin

from app.circles import listing
from app.extensions import db
from app.models import (
    Booking,
    Circle,
    CircleStatus,
    Course,
    Enrollment,
    EnrollmentStatus,
    Facilitation,
    Meeting,
    MeetingStatus,
    User,
)
from app.timeutil import UTCDateTime

PUBLIC_CIRCLES = 6
FEATURED_COURSES = 4
NEXT_MEETINGS = 5


def public_circles(now: dt.datetime, limit: int = PUBLIC_CIRCLES) -> list[Circle]:
    """Published public circles still to meet, soonest first, with branch and course: one
    query (``listing.next_starts`` tells when each meets next)."""
    query = listing.list_circles(AnonymousUserMixin(), now, with_meetings=False).limit(limit)
    return list(db.session.scalars(query))


def featured_courses(limit: int = FEATURED_COURSES) -> list[Course]:
    """The courses colleagues run most (circles published, running or done), then the newest:
    one query."""
    used = (
        sa.select(sa.func.count(Circle.id))
        .where(
            Circle.course_id == Course.id,
            Circle.status.in_([CircleStatus.published, CircleStatus.completed]),
        )
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Course)
            .where(Course.retired_at.is_(None))
            .order_by(used.desc(), Course.created_at.desc(), Course.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class NextMeeting:
    meeting: Meeting
    facilitating: bool

    @property
    def circle(self) -> Circle:
        return self.meeting.circle

    @property
    def room_name(self) -> str | None:
        """Only a booked room: a room that is not booked is not shown."""
        booking = self.meeting.booking
        return booking.room.name if booking else None


@functools.cache
def _next_meetings_question(limit: int) -> sa.Select:
    """The next meetings of ``user_id`` (signed up as ``email``) at ``now``, built once: only
    those change from one request to the next."""
    user_id = sa.bindparam("user_id", type_=sa.Integer())
    now = sa.bindparam("now", type_=UTCDateTime())
    facilitated = sa.select(Facilitation.circle_id).where(Facilitation.user_id == user_id)
    seated = sa.select(Enrollment.circle_id).where(
        Enrollment.email == sa.bindparam("email", type_=sa.String()),
        Enrollment.status == EnrollmentStatus.enrolled,
    )
    facilitating = Meeting.circle_id.in_(facilitated)
    # From the person's few circles to their meetings: asked as "a meeting whose circle is
    # one of theirs", PostgreSQL walked every meeting in time order to find five.
    theirs = sa.union(facilitated, seated).subquery()
    return (
        sa.select(Meeting, facilitating.label("facilitating"))
        .join(theirs, theirs.c.circle_id == Meeting.circle_id)
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.ends_at > now,
            # Facilitators see their drafts' meetings too; participants only published ones.
            sa.or_(
                Circle.status == CircleStatus.published,
                sa.and_(Circle.status == CircleStatus.draft, facilitating),
            ),
        )
        .options(
            so.contains_eager(Meeting.circle).joinedload(Circle.branch),
            so.selectinload(Meeting.bookings).joinedload(Booking.room),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )


def next_meetings(user: User, now: dt.datetime, limit: int = NEXT_MEETINGS) -> list[NextMeeting]:
    """The next meetings ``user`` facilitates or holds a seat in (not yet over), with circle,
    branch and booked room: three queries."""
    rows = db.session.execute(
        _next_meetings_question(limit),
        {"user_id": user.id, "email": user.email.lower(), "now": now},
    ).all()
    return [NextMeeting(meeting, bool(mine)) for meeting, mine in rows]
