"""Branches, their hours and closures, rooms, and room bookings."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin, enum_column
from app.timeutil import UTCDateTime

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.circles import Meeting
    from app.models.people import User


class Branch(TimestampMixin, db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64))

    managers: so.Mapped[list[User]] = so.relationship(
        secondary="branch_manager", back_populates="managed_branches", order_by="User.name"
    )
    rooms: so.Mapped[list[Room]] = so.relationship(
        back_populates="branch", order_by="Room.name", cascade="all, delete-orphan"
    )
    hours: so.Mapped[list[OpeningHours]] = so.relationship(
        order_by="OpeningHours.weekday", cascade="all, delete-orphan"
    )
    closures: so.Mapped[list[Closure]] = so.relationship(
        order_by="Closure.date", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Branch {self.slug}>"

    def hours_on(self, weekday: int) -> OpeningHours | None:
        return next((h for h in self.hours if h.weekday == weekday), None)


class OpeningHours(db.Model):
    """One opening interval per weekday (0 = Monday); no row means closed that day."""

    __table_args__ = (
        sa.UniqueConstraint("branch_id", "weekday"),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("closes > opens", name="closes_after_opens"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    branch_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"))
    weekday: so.Mapped[int]
    opens: so.Mapped[dt.time]
    closes: so.Mapped[dt.time]


class Closure(db.Model):
    """A day the branch is closed (holiday, staff day, emergency)."""

    __table_args__ = (sa.UniqueConstraint("branch_id", "date"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    branch_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"))
    date: so.Mapped[dt.date]
    reason: so.Mapped[str] = so.mapped_column(sa.String(120), default="")


class RoomFeature(enum.StrEnum):
    projector = "projector"
    computers = "computers"
    accessible = "accessible"
    video_conferencing = "video_conferencing"
    whiteboard = "whiteboard"
    hearing_loop = "hearing_loop"


class Room(TimestampMixin, db.Model):
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "name", name="uq_room_branch_name"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    branch_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("branch.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    capacity: so.Mapped[int]
    features: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    bookable: so.Mapped[bool] = so.mapped_column(default=True)
    # Time kept free before and after each booking (setting up chairs, cleaning).
    setup_minutes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    cleanup_minutes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    branch: so.Mapped[Branch] = so.relationship(back_populates="rooms")

    def __repr__(self) -> str:
        return f"<Room {self.id} {self.name}>"


class BookingKind(enum.StrEnum):
    meeting = "meeting"  # a circle's meeting
    event = "event"  # anything else staff book the room for
    block = "block"  # the room is out of use (maintenance)


class BookingStatus(enum.StrEnum):
    active = "active"
    cancelled = "cancelled"


class Booking(TimestampMixin, db.Model):
    """A room held for a time. ``blocked_from``/``blocked_until`` add the room's set-up and
    clean-up padding; the database refuses two active bookings whose blocked times overlap
    (an exclusion constraint on PostgreSQL, triggers on SQLite: see migration 0003)."""

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        sa.CheckConstraint(
            "blocked_from <= starts_at AND blocked_until >= ends_at", name="padding"
        ),
        sa.Index("ix_booking_room_blocked", "room_id", "blocked_from"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    room_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("room.id", ondelete="CASCADE"))
    meeting_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    kind: so.Mapped[BookingKind] = so.mapped_column(
        enum_column(BookingKind, 12), default=BookingKind.event
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    starts_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    blocked_from: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    blocked_until: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    status: so.Mapped[BookingStatus] = so.mapped_column(
        enum_column(BookingStatus, 12), default=BookingStatus.active
    )
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    sequence: so.Mapped[int] = so.mapped_column(default=0)

    room: so.Mapped[Room] = so.relationship()
    meeting: so.Mapped[Meeting | None] = so.relationship(back_populates="bookings")
    created_by: so.Mapped[User | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Booking {self.id} room={self.room_id} {self.starts_at:%Y-%m-%d %H:%M}Z>"

    @property
    def is_event(self) -> bool:
        """Booked by staff for its own sake: it can be moved on its own (a meeting's booking
        moves with the meeting)."""
        return self.kind == BookingKind.event

    def place(self, room: Room, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        """Put the booking in this room at this time, with the room's padding around it."""
        self.room_id = room.id
        self.starts_at, self.ends_at = starts_at, ends_at
        self.blocked_from = starts_at - dt.timedelta(minutes=room.setup_minutes)
        self.blocked_until = ends_at + dt.timedelta(minutes=room.cleanup_minutes)
