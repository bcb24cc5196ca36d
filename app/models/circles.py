"""Circles, their facilitators and meetings."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin, enum_column
from app.models.places import BookingStatus
from app.models.search import Searchable
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.catalog import Course
    from app.models.people import User
    from app.models.places import Booking, Branch, Room


class CircleFormat(enum.StrEnum):
    in_person = "in_person"
    virtual = "virtual"
    hybrid = "hybrid"


class CircleStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    in_progress = "in_progress"  # shown, never stored: a published circle whose first meeting began
    completed = "completed"
    cancelled = "cancelled"


class Audience(enum.StrEnum):
    staff = "staff"
    public = "public"


class Circle(Searchable, TimestampMixin, db.Model):
    search_fields = ("title", "description")

    __table_args__ = (
        sa.CheckConstraint("capacity > 0 AND capacity <= 500", name="capacity_range"),
        sa.CheckConstraint(
            "enrolled_count >= 0 AND enrolled_count <= capacity", name="enrolled_within_capacity"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    welcome_message: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    course_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("course.id"), index=True)
    branch_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("branch.id"), index=True)
    room_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("room.id", ondelete="SET NULL"), index=True
    )
    format: so.Mapped[CircleFormat] = so.mapped_column(
        enum_column(CircleFormat, 16), default=CircleFormat.in_person
    )
    join_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64))
    capacity: so.Mapped[int]
    signup_closes_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    audience: so.Mapped[Audience] = so.mapped_column(
        enum_column(Audience, 8), default=Audience.staff
    )
    status: so.Mapped[CircleStatus] = so.mapped_column(
        enum_column(CircleStatus, 16), default=CircleStatus.draft, index=True
    )
    enrolled_count: so.Mapped[int] = so.mapped_column(default=0)
    # Hands out waitlist places in order; a place's position is its rank among those waiting.
    waitlist_next: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    ask_goals: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # Attendance: may participants check themselves in during a meeting, and how many
    # meetings make a completion (None: the facilitator decides without a rule).
    self_checkin: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    completion_min_meetings: so.Mapped[int | None]
    custom_question: so.Mapped[str] = so.mapped_column(
        sa.String(300), default="", server_default=""
    )
    # Local weekdays the circle meets on (bit 0 = Monday), kept for the "day of week" filter.
    weekday_mask: so.Mapped[int] = so.mapped_column(default=0)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    course: so.Mapped[Course] = so.relationship()
    branch: so.Mapped[Branch] = so.relationship()
    room: so.Mapped[Room | None] = so.relationship()
    meetings: so.Mapped[list[Meeting]] = so.relationship(
        back_populates="circle", order_by="Meeting.starts_at", cascade="all, delete-orphan"
    )
    facilitations: so.Mapped[list[Facilitation]] = so.relationship(
        back_populates="circle", cascade="all, delete-orphan", order_by="Facilitation.role.desc()"
    )

    def __repr__(self) -> str:
        return f"<Circle {self.id} {self.title!r}>"

    @property
    def scheduled_meetings(self) -> list[Meeting]:
        return [m for m in self.meetings if m.is_scheduled]

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)

    @property
    def is_draft(self) -> bool:
        return self.status == CircleStatus.draft

    @property
    def is_live(self) -> bool:
        """Not cancelled and not completed: it can still be edited, rescheduled, joined."""
        return self.status not in (CircleStatus.cancelled, CircleStatus.completed)

    @property
    def is_public(self) -> bool:
        return self.audience == Audience.public

    @property
    def meets_in_person(self) -> bool:
        """In a branch (in person or hybrid): it has a place and may book rooms."""
        return self.format != CircleFormat.virtual

    @property
    def meets_online(self) -> bool:
        """Online (virtual or hybrid): it has a join link."""
        return self.format != CircleFormat.in_person

    def is_in_progress(self, now: dt.datetime) -> bool:
        return self.state(now) == CircleStatus.in_progress

    def state(self, now: dt.datetime) -> CircleStatus:
        """The stored status, with "in progress" derived from the first meeting's start."""
        if self.status == CircleStatus.published:
            first = next(iter(self.scheduled_meetings), None)
            if first is not None and first.starts_at <= now:
                return CircleStatus.in_progress
        return CircleStatus(self.status)


class FacilitatorRole(enum.StrEnum):
    lead = "lead"
    co = "co"


class Facilitation(db.Model):
    """A facilitator of a circle: exactly one lead, any number of co-facilitators."""

    __table_args__ = (
        sa.Index(
            "uq_facilitation_one_lead",
            "circle_id",
            unique=True,
            sqlite_where=sa.text("role = 'lead'"),
            postgresql_where=sa.text("role = 'lead'"),
        ),
    )

    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: so.Mapped[FacilitatorRole] = so.mapped_column(enum_column(FacilitatorRole, 8))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    circle: so.Mapped[Circle] = so.relationship(back_populates="facilitations")
    user: so.Mapped[User] = so.relationship()

    @property
    def is_lead(self) -> bool:
        return self.role == FacilitatorRole.lead


class MeetingStatus(enum.StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class Meeting(TimestampMixin, db.Model):
    """One session of a circle, stored in UTC. ``sequence`` goes up with every change of
    time, place or status: calendar clients rely on it to replace their copy."""

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        sa.CheckConstraint(
            "present_count >= 0 AND present_count <= marked_count", name="attendance_counts"
        ),
        sa.Index("ix_meeting_circle_starts", "circle_id", "starts_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    circle_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("circle.id", ondelete="CASCADE"))
    starts_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, index=True)
    ends_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    status: so.Mapped[MeetingStatus] = so.mapped_column(
        enum_column(MeetingStatus, 12), default=MeetingStatus.scheduled
    )
    sequence: so.Mapped[int] = so.mapped_column(default=0)
    # The facilitator's optional one-line reflection on how it went (evaluation).
    reflection: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    # Its attendance marks (present, absent, excused) and how many say present, kept with the
    # marks: every flush that writes an ``Attendance`` counts its meetings' marks again
    # (app.models.attendance), and the seed's bulk load writes them itself. The reports add up
    # these two per meeting instead of counting every mark of the state on each request.
    present_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    marked_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    circle: so.Mapped[Circle] = so.relationship(back_populates="meetings")
    bookings: so.Mapped[list[Booking]] = so.relationship(back_populates="meeting")

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.starts_at:%Y-%m-%d %H:%M}Z>"

    @property
    def is_scheduled(self) -> bool:
        return self.status == MeetingStatus.scheduled

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.cancelled

    @property
    def booking(self) -> Booking | None:
        return next((b for b in self.bookings if b.status == BookingStatus.active), None)

    @property
    def room_name(self) -> str | None:
        """The booked room, the one place pages, feeds and emails read a meeting's room from:
        a room that is not booked (even the circle's usual one) is not shown."""
        booking = self.booking
        return booking.room.name if booking else None

    def changed(self) -> None:
        """Record a change of time, place or status (bumps SEQUENCE and LAST-MODIFIED)."""
        self.sequence += 1
        self.updated_at = utcnow()
