"""The Learning Services digest: people subscribe to new and upcoming circles that match
their filters, weekly or monthly; what each subscription was sent is kept, so that each
circle is told once."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import TimestampMixin, enum_column
from app.models.catalog import CareerStage
from app.models.circles import CircleFormat
from app.timeutil import UTCDateTime, utcnow


class DigestFrequency(enum.StrEnum):
    weekly = "weekly"
    monthly = "monthly"


class DigestSubscription(TimestampMixin, db.Model):
    """One subscription: a signed-in person's (``user_id``, active at once) or a guest's
    (``user_id`` empty, public circles only, active once the address is confirmed).
    Empty filters mean "any"; ``skill_areas`` and ``branch_ids`` are JSON lists."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    locale: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64))
    frequency: so.Mapped[DigestFrequency] = so.mapped_column(enum_column(DigestFrequency, 8))
    skill_areas: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    branch_ids: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    career_stage: so.Mapped[CareerStage | None] = so.mapped_column(enum_column(CareerStage, 32))
    format: so.Mapped[CircleFormat | None] = so.mapped_column(enum_column(CircleFormat, 12))
    confirmed_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime, index=True)
    last_sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime)

    user = so.relationship("User")

    def __repr__(self) -> str:
        return f"<DigestSubscription {self.id} {self.frequency} for {self.email}>"


class DigestSent(db.Model):
    """A circle a subscription was told of: once, written with the email's outbox row."""

    subscription_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("digest_subscription.id", ondelete="CASCADE"), primary_key=True
    )
    circle_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("circle.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    sent_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
