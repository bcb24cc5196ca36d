"""Models shared by several areas: people, branches, rooms, and the email outbox."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow


class TimestampMixin:
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class User(UserMixin, TimestampMixin, db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    is_admin: so.Mapped[bool] = so.mapped_column(default=False)
    is_facilitator: so.Mapped[bool] = so.mapped_column(default=False)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="America/New_York")
    locale: so.Mapped[str] = so.mapped_column(sa.String(8), default="en")
    # Part of the login cookie: bumping it signs out every copy of that cookie.
    session_version: so.Mapped[int] = so.mapped_column(default=1)
    last_login_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    managed_branches: so.Mapped[list[Branch]] = so.relationship(
        secondary="branch_manager", back_populates="managers", order_by="Branch.name"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        self.session_version += 1

    @property
    def roles(self) -> list[str]:
        roles = []
        if self.is_admin:
            roles.append("administrator")
        if self.managed_branches:
            roles.append("branch manager")
        if self.is_facilitator:
            roles.append("facilitator")
        return roles or ["participant"]


branch_manager = sa.Table(
    "branch_manager",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("branch_id", sa.ForeignKey("branch.id", ondelete="CASCADE"), primary_key=True),
)


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

    branch: so.Mapped[Branch] = so.relationship(back_populates="rooms")

    def __repr__(self) -> str:
        return f"<Room {self.id} {self.name}>"


class OutboxMessage(db.Model):
    """An email waiting to be sent, written in the same transaction as what caused it."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    to: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    ics: so.Mapped[str | None] = so.mapped_column(sa.Text)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: so.Mapped[dt.datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, index=True
    )
    sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime, index=True)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
