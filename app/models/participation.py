"""Places in circles (enrolled, waitlisted, ...) and reminders sent."""

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
    from app.models.circles import Circle
    from app.models.people import User


class EnrollmentStatus(enum.StrEnum):
    enrolled = "enrolled"
    waitlisted = "waitlisted"
    withdrawn = "withdrawn"
    completed = "completed"

    @property
    def is_active(self) -> bool:
        """Holds a seat or a waitlist place (the ``ACTIVE_ENROLLMENT`` of the unique index)."""
        return self in (EnrollmentStatus.enrolled, EnrollmentStatus.waitlisted)


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
    # Indexed: places are matched by account or by email (pathway evidence, guests).
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    status: so.Mapped[EnrollmentStatus] = so.mapped_column(enum_column(EnrollmentStatus, 12))
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
    # A guest's secret manage link: only its SHA-256 is kept. Withdrawing clears it, and a new
    # link (asked for on the "lost your link?" page) replaces it, which ends the old one.
    manage_token_hash: so.Mapped[str | None] = so.mapped_column(
        sa.String(64), unique=True, index=True
    )
    # The language a guest's emails go out in (a member's follow their profile).
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    # Privacy (issue 16): the name, email and answers were replaced (a deleted account, or a
    # guest past the retention period); or only the contact details were removed from the
    # roster of a finished circle. The place itself stays, so report figures do not change.
    anonymised_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)
    contact_removed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    circle: so.Mapped[Circle] = so.relationship()
    user: so.Mapped[User | None] = so.relationship(foreign_keys=[user_id])

    # The manage token itself, known only in the request that made it (not a column), so
    # that the email sent then can carry the link.
    manage_token = None

    def __repr__(self) -> str:
        return f"<Enrollment {self.id} {self.email} {self.status}>"

    @property
    def is_enrolled(self) -> bool:
        return self.status == EnrollmentStatus.enrolled

    @property
    def is_waitlisted(self) -> bool:
        return self.status == EnrollmentStatus.waitlisted

    @property
    def is_completed(self) -> bool:
        return self.status == EnrollmentStatus.completed

    @property
    def is_active(self) -> bool:
        return EnrollmentStatus(self.status).is_active


class ReminderSent(db.Model):
    """A reminder already sent, so that the hourly job sends each one once."""

    meeting_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True
    )
    enrollment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("enrollment.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class GuestSignup(db.Model):
    """A guest's request to join a public circle, waiting for its address to confirm it by
    email. It holds no seat and no waitlist place: ``join`` runs when the link is used, once,
    within ``expires_at``. Only the SHA-256 of the link's token is kept."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    goals: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    answer: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consent_contact: so.Mapped[bool] = so.mapped_column(default=False)
    # The language the guest signed up in: the confirmation and later emails use it.
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    expires_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    circle: so.Mapped[Circle] = so.relationship()

    def __repr__(self) -> str:
        return f"<GuestSignup {self.id} circle {self.circle_id}>"


class OfferStatus(enum.StrEnum):
    offered = "offered"  # emailed, not answered
    accepted = "accepted"  # took the seat: enrolled in the overflow circle, off the waitlist
    declined = "declined"  # kept the waitlist place; the seat goes to the next in line


class OverflowOffer(db.Model):
    """A seat in an overflow cohort offered to one waitlisted place of the full circle, in
    waitlist order. Guests answer through the secret link (only its SHA-256 is kept)."""

    __table_args__ = (sa.UniqueConstraint("enrollment_id", "circle_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    enrollment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    status: so.Mapped[OfferStatus] = so.mapped_column(
        enum_column(OfferStatus, 10), default=OfferStatus.offered, index=True
    )
    offered_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    answered_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    enrollment: so.Mapped[Enrollment] = so.relationship()
    circle: so.Mapped[Circle] = so.relationship()
