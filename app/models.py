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
    # Time kept free before and after each booking (setting up chairs, cleaning).
    setup_minutes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    cleanup_minutes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

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


class AuditEvent(db.Model):
    """Who did what, for changes that need a trail (overrides, withdrawals, corrections)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    action: so.Mapped[str] = so.mapped_column(sa.String(64))
    subject: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    detail: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)


# --- the catalogue and circles ---------------------------------------------------------------


class CourseFormat(enum.StrEnum):
    self_paced = "self_paced"
    scheduled = "scheduled"
    on_demand_video = "on_demand_video"


class SkillArea(enum.StrEnum):
    management = "management"
    collection_management = "collection_management"
    programming = "programming"
    outreach = "outreach"
    technology = "technology"
    customer_service = "customer_service"
    health_information = "health_information"
    grant_writing = "grant_writing"
    leadership = "leadership"
    digital_literacy = "digital_literacy"


class CareerStage(enum.StrEnum):
    new_staff = "new_staff"
    emerging_managers = "emerging_managers"
    experienced_staff = "experienced_staff"
    all = "all"


class Course(TimestampMixin, db.Model):
    """A free online course (MOOC) that circles work through."""

    __table_args__ = (sa.CheckConstraint("hours IS NULL OR hours > 0", name="hours_positive"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200), index=True)
    provider: so.Mapped[str] = so.mapped_column(sa.String(80), index=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    language: so.Mapped[str] = so.mapped_column(sa.String(8), default="en")
    format: so.Mapped[str] = so.mapped_column(sa.String(20), default=CourseFormat.self_paced)
    hours: so.Mapped[int | None]
    is_free: so.Mapped[bool] = so.mapped_column(default=True)
    credential: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    skill_area: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    career_stage: so.Mapped[str] = so.mapped_column(sa.String(32), default=CareerStage.all)
    retired_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.title!r}>"

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


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


class Circle(TimestampMixin, db.Model):
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
    format: so.Mapped[str] = so.mapped_column(sa.String(16), default=CircleFormat.in_person)
    join_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64))
    capacity: so.Mapped[int]
    signup_opens_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    signup_closes_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    audience: so.Mapped[str] = so.mapped_column(sa.String(8), default=Audience.staff)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default=CircleStatus.draft, index=True)
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
    def lead(self) -> User | None:
        return next((f.user for f in self.facilitations if f.role == "lead"), None)

    @property
    def facilitators(self) -> list[User]:
        return [f.user for f in self.facilitations]

    @property
    def scheduled_meetings(self) -> list[Meeting]:
        return [m for m in self.meetings if m.status == MeetingStatus.scheduled]

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)

    def state(self, now: dt.datetime) -> CircleStatus:
        """The stored status, with "in progress" derived from the first meeting's start."""
        if self.status == CircleStatus.published:
            first = next(iter(self.scheduled_meetings), None)
            if first is not None and first.starts_at <= now:
                return CircleStatus.in_progress
        return CircleStatus(self.status)


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
    role: so.Mapped[str] = so.mapped_column(sa.String(8))  # "lead" or "co"
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    circle: so.Mapped[Circle] = so.relationship(back_populates="facilitations")
    user: so.Mapped[User] = so.relationship()


class MeetingStatus(enum.StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class Meeting(TimestampMixin, db.Model):
    """One session of a circle, stored in UTC. ``sequence`` goes up with every change of
    time, place or status: calendar clients rely on it to replace their copy."""

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        sa.Index("ix_meeting_circle_starts", "circle_id", "starts_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    circle_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("circle.id", ondelete="CASCADE"))
    starts_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, index=True)
    ends_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=MeetingStatus.scheduled)
    sequence: so.Mapped[int] = so.mapped_column(default=0)

    circle: so.Mapped[Circle] = so.relationship(back_populates="meetings")
    bookings: so.Mapped[list[Booking]] = so.relationship(back_populates="meeting")

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.starts_at:%Y-%m-%d %H:%M}Z>"

    @property
    def booking(self) -> Booking | None:
        return next((b for b in self.bookings if b.status == BookingStatus.active), None)

    def changed(self) -> None:
        """Record a change of time, place or status (bumps SEQUENCE and LAST-MODIFIED)."""
        self.sequence += 1
        self.updated_at = utcnow()


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
    kind: so.Mapped[str] = so.mapped_column(sa.String(12), default=BookingKind.event)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    starts_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    blocked_from: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    blocked_until: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=BookingStatus.active)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    sequence: so.Mapped[int] = so.mapped_column(default=0)

    room: so.Mapped[Room] = so.relationship()
    meeting: so.Mapped[Meeting | None] = so.relationship(back_populates="bookings")
    created_by: so.Mapped[User | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<Booking {self.id} room={self.room_id} {self.starts_at:%Y-%m-%d %H:%M}Z>"

    def place(self, room: Room, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        """Put the booking in this room at this time, with the room's padding around it."""
        self.room_id = room.id
        self.starts_at, self.ends_at = starts_at, ends_at
        self.blocked_from = starts_at - dt.timedelta(minutes=room.setup_minutes)
        self.blocked_until = ends_at + dt.timedelta(minutes=room.cleanup_minutes)


class EnrollmentStatus(enum.StrEnum):
    enrolled = "enrolled"
    waitlisted = "waitlisted"
    withdrawn = "withdrawn"
    completed = "completed"


ACTIVE_ENROLLMENT = "status IN ('enrolled', 'waitlisted')"


class Enrollment(TimestampMixin, db.Model):
    """A person's place in a circle: a signed-in user, or a guest known by name and email."""

    __table_args__ = (
        # One live place per person per circle.
        sa.Index(
            "uq_enrollment_active_email",
            "circle_id",
            "email",
            unique=True,
            sqlite_where=sa.text(ACTIVE_ENROLLMENT),
            postgresql_where=sa.text(ACTIVE_ENROLLMENT),
        ),
        # The waitlist is served in order: no two people share a place in it.
        sa.Index(
            "uq_enrollment_waitlist_place",
            "circle_id",
            "waitlist_seq",
            unique=True,
            sqlite_where=sa.text("status = 'waitlisted'"),
            postgresql_where=sa.text("status = 'waitlisted'"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    status: so.Mapped[str] = so.mapped_column(sa.String(12))
    waitlist_seq: so.Mapped[int | None]
    goals: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    answer: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consent_contact: so.Mapped[bool] = so.mapped_column(default=False)
    enrolled_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    completed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    withdrawn_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    withdrawn_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    circle: so.Mapped[Circle] = so.relationship()
    user: so.Mapped[User | None] = so.relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<Enrollment {self.id} {self.email} {self.status}>"


class ReminderSent(db.Model):
    """A reminder already sent, so that the hourly job sends each one once."""

    meeting_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    enrollment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("enrollment.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)


# --- attendance and outcomes -----------------------------------------------------------------


class AttendanceStatus(enum.StrEnum):
    present = "present"
    absent = "absent"
    excused = "excused"


class Attendance(db.Model):
    """Whether one enrolled person came to one meeting."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "enrollment_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    updated_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    meeting: so.Mapped[Meeting] = so.relationship()
    enrollment: so.Mapped[Enrollment] = so.relationship()


class AttendanceChange(db.Model):
    """The history of an attendance mark: who changed what, and when."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    attendance_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("attendance.id", ondelete="CASCADE"), index=True
    )
    old_status: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    new_status: so.Mapped[str] = so.mapped_column(sa.String(10))
    changed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    changed_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class AttendanceSheet(db.Model):
    """Per meeting: walk-ins counted by head (not enrolled) and the facilitator's note."""

    __table_args__ = (
        sa.CheckConstraint("walk_ins >= 0 AND walk_ins <= 1000", name="walk_ins_range"),
    )

    meeting_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    walk_ins: so.Mapped[int] = so.mapped_column(default=0)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    updated_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )


class OutcomeKind(enum.StrEnum):
    credential = "credential"  # e.g. NNLM CHIS, with CE hours
    certificate = "certificate"  # a course certificate
    grant = "grant"  # funder, amount, date
    promotion = "promotion"  # promotion or new role
    other = "other"


class OutcomeStatus(enum.StrEnum):
    reported = "reported"  # by the participant, waiting for a facilitator
    confirmed = "confirmed"


class Outcome(TimestampMixin, db.Model):
    """A result of a circle, for one participant (enrollment) or the whole circle."""

    __table_args__ = (
        sa.CheckConstraint("amount_cents IS NULL OR amount_cents >= 0", name="amount_positive"),
        sa.CheckConstraint("ce_hours IS NULL OR ce_hours >= 0", name="ce_hours_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    ce_hours: so.Mapped[float | None] = so.mapped_column(sa.Numeric(6, 2))
    funder: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    amount_cents: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    achieved_on: so.Mapped[dt.date]
    evidence_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default=OutcomeStatus.confirmed)
    reported_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    confirmed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    circle: so.Mapped[Circle] = so.relationship()
    enrollment: so.Mapped[Enrollment | None] = so.relationship()


# --- calendar feeds ----------------------------------------------------------------------------


class FeedScope(enum.StrEnum):
    branch = "branch"
    room = "room"
    facilitator = "facilitator"
    personal = "personal"


class FeedToken(db.Model):
    """A secret feed link. Only the SHA-256 of the token is stored; revoking kills it."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    scope: so.Mapped[str] = so.mapped_column(sa.String(12))
    target_id: so.Mapped[int | None]  # the branch or room; None for the user's own feeds
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    revoked_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    last_used_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    user: so.Mapped[User] = so.relationship()


class FeedCache(db.Model):
    """Rendered feeds keyed by their ETag: an unchanged feed is a lookup, not a render."""

    etag: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    body: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
