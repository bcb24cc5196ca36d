"""Email waiting to be sent, and how far the facilitators' daily digests have got."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """An email waiting to be sent, written in the same transaction as what caused it."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    to: so.Mapped[str] = so.mapped_column(sa.String(254))
    # Where answers go, e.g. a circle's lead facilitator (the From address is the app's own).
    reply_to: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    ics: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Extra header lines, e.g. List-Unsubscribe on a digest (RFC 8058): {name: value}.
    headers: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: so.Mapped[dt.datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, index=True
    )
    sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(UTCDateTime, index=True)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))


class FacilitatorDigest(db.Model):
    """Per facilitator, the end of the time their last daily digest covered: the next one
    tells what happened after it (who joined or left, outcomes reported)."""

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    covered_until: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime)
