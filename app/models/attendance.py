"""Attendance at meetings and the outcomes of circles."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin, enum_column
from app.models.circles import Meeting
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.circles import Circle
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


# --- the counts kept on each meeting (Meeting.present_count, Meeting.marked_count) -----------


def count_marks_again(meeting_ids: Collection[int]) -> sa.Update:
    """Set these meetings' counts from their marks as the transaction sees them. A count, not
    an increment: run after the meeting's row lock (app.attendance.services), it is right
    however many sheets or check-ins for one meeting are saved at once."""
    meeting = Meeting.__table__
    marks = sa.select(sa.func.count()).where(Attendance.meeting_id == meeting.c.id)
    present = marks.where(Attendance.status == AttendanceStatus.present)
    return (
        sa.update(meeting)
        .where(meeting.c.id.in_(sorted(meeting_ids)))
        .values(
            present_count=present.scalar_subquery(),
            marked_count=marks.scalar_subquery(),
            # Marks are no change of the meeting: its feeds' LAST-MODIFIED and fingerprints
            # (calendar services) stay as they were.
            updated_at=meeting.c.updated_at,
        )
    )


_RECOUNTED = "attendance_recounted"  # session.info: meetings counted again in this flush


@sa.event.listens_for(so.Session, "before_flush")
def _know_meetings_of_deleted_marks(session: so.Session, _context, _instances) -> None:
    for mark in session.deleted:
        if isinstance(mark, Attendance):
            mark.meeting_id  # noqa: B018  (loaded now: after the flush the row is gone)


@sa.event.listens_for(so.Session, "after_flush")
def _count_marks_again(session: so.Session, _context) -> None:
    """Whoever writes marks through the ORM (sheets, check-in, the demo, tests) keeps the
    counts in the same transaction; the seed's bulk load writes them itself."""
    changed = (*session.new, *session.dirty, *session.deleted)
    meeting_ids = set()
    for mark in changed:
        if isinstance(mark, Attendance):  # its meeting, and the one before if it moved
            meeting_ids |= {mark.meeting_id, *sa.inspect(mark).attrs.meeting_id.history.deleted}
    meeting_ids.discard(None)
    if meeting_ids:
        session.connection().execute(count_marks_again(meeting_ids))
        session.info.setdefault(_RECOUNTED, set()).update(meeting_ids)


@sa.event.listens_for(so.Session, "after_flush_postexec")
def _forget_old_counts(session: so.Session, _context) -> None:
    for meeting_id in session.info.pop(_RECOUNTED, ()):
        meeting = session.identity_map.get(so.util.identity_key(Meeting, meeting_id))
        if meeting is not None:
            session.expire(meeting, ["present_count", "marked_count"])


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


class CredentialKind(enum.StrEnum):
    """The outcome kinds a credential on the admin's list can be (``OutcomeKind`` values)."""

    credential = "credential"
    certificate = "certificate"


def credential_key(name: str) -> str:
    """What makes two spellings one credential: case and surrounding spaces do not count."""
    return " ".join(name.split()).casefold()


class Credential(TimestampMixin, db.Model):
    """A credential or certificate on the list the admin keeps, so that outcomes name it one
    way (reports count "CHIS Level 1" once, not once per spelling). Retired, not deleted,
    once outcomes use it."""

    __table_args__ = (
        sa.CheckConstraint("ce_hours IS NULL OR ce_hours >= 0", name="ce_hours_positive"),
        sa.CheckConstraint(
            "renewal_months IS NULL OR (renewal_months >= 1 AND renewal_months <= 120)",
            name="renewal_months_range",
        ),
        sa.CheckConstraint(
            "renewal_ce_hours IS NULL OR renewal_ce_hours >= 0", name="renewal_ce_hours_positive"
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    # ``credential_key(name)``: unique, so two names that differ only in case cannot both exist.
    name_key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    awarding_body: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    ce_hours: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(6, 2))
    kind: so.Mapped[CredentialKind] = so.mapped_column(enum_column(CredentialKind, 16))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # Lapses this many months after it was achieved (None: never lapses); renewing asks for
    # ``renewal_ce_hours`` of continuing education within the period (None: none required).
    renewal_months: so.Mapped[int | None]
    renewal_ce_hours: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(6, 2))

    @so.validates("name")
    def _keep_key(self, _key: str, name: str) -> str:
        self.name_key = credential_key(name)
        return name


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
    # From the admin's list for credentials and certificates (``title`` is then its name when
    # recorded); none for other kinds and for outcomes recorded before the list existed.
    credential_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("credential.id"),
        index=True,  # NO ACTION: a credential in use stays
    )
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
    credential: so.Mapped[Credential | None] = so.relationship()

    @property
    def name(self) -> str:
        """What the outcome is called: the credential's name (as it is now), else its title."""
        return self.credential.name if self.credential else self.title

    @property
    def is_reported(self) -> bool:
        """Reported by the participant and not yet confirmed by a facilitator."""
        return self.status == OutcomeStatus.reported


class CredentialReminder(db.Model):
    """A reminder that a person's credential (an outcome) lapses on ``lapses_on``: sent once
    per outcome and lapse date, so a renewal (a new outcome) is reminded afresh."""

    __table_args__ = (sa.UniqueConstraint("outcome_id", "lapses_on"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    outcome_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("outcome.id", ondelete="CASCADE"), index=True
    )
    lapses_on: so.Mapped[dt.date]
    sent_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
