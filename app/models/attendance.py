"""Attendance at meetings and the outcomes of circles."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin, enum_column
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.circles import Circle, Meeting
    from app.models.participation import Enrollment


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
    status: so.Mapped[AttendanceStatus] = so.mapped_column(enum_column(AttendanceStatus, 10))
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
    old_status: so.Mapped[AttendanceStatus | None] = so.mapped_column(
        enum_column(AttendanceStatus, 10)
    )
    new_status: so.Mapped[AttendanceStatus] = so.mapped_column(enum_column(AttendanceStatus, 10))
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
    kind: so.Mapped[OutcomeKind] = so.mapped_column(enum_column(OutcomeKind, 16), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    ce_hours: so.Mapped[float | None] = so.mapped_column(sa.Numeric(6, 2))
    funder: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    amount_cents: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    achieved_on: so.Mapped[dt.date]
    evidence_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    status: so.Mapped[OutcomeStatus] = so.mapped_column(
        enum_column(OutcomeStatus, 12), default=OutcomeStatus.confirmed
    )
    reported_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    confirmed_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    circle: so.Mapped[Circle] = so.relationship()
    enrollment: so.Mapped[Enrollment | None] = so.relationship()

    @property
    def is_reported(self) -> bool:
        """Reported by the participant and not yet confirmed by a facilitator."""
        return self.status == OutcomeStatus.reported
