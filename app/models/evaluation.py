"""Evaluation at a circle's end: participants' survey answers, the invitations sent to answer,
and the facilitators' wrap-up. (A meeting's one-line reflection is ``Meeting.reflection``.)"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.circles import Circle
    from app.models.participation import Enrollment


class SurveyAnswer(db.Model):
    """A participant's answer to a circle's end-of-circle survey: one per place."""

    __table_args__ = (
        sa.CheckConstraint("course_rating BETWEEN 1 AND 5", name="course_rating_range"),
        sa.CheckConstraint("circle_rating BETWEEN 1 AND 5", name="circle_rating_range"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    enrollment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("enrollment.id", ondelete="CASCADE"), unique=True
    )
    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), index=True
    )
    goal_met: so.Mapped[bool]
    recommend: so.Mapped[bool]
    changed_work: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    course_rating: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    circle_rating: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    enrollment: so.Mapped[Enrollment] = so.relationship()
    circle: so.Mapped[Circle] = so.relationship()


class SurveyInvitation(db.Model):
    """The invitation to answer, sent once per place (the hourly job records it here)."""

    enrollment_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("enrollment.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class WrapUp(TimestampMixin, db.Model):
    """The facilitators' wrap-up of a circle, one per circle (lead or co-facilitator)."""

    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), primary_key=True
    )
    went_well: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    attendance_notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    would_run_again: so.Mapped[bool]
    written_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
