"""Secret calendar feed links and rendered feeds."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.people import User


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
