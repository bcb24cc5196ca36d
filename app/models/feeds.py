"""Secret calendar feed links and rendered feeds."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.base import enum_column
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.people import User


class FeedScope(enum.StrEnum):
    branch = "branch"
    room = "room"
    facilitator = "facilitator"
    personal = "personal"


_LIVE = "revoked_at IS NULL"


class FeedToken(db.Model):
    """A secret feed link. Only the SHA-256 of the token is stored; revoking kills it."""

    # One live link per user and feed: a new one stops the old one, even in a race.
    __table_args__ = (
        sa.Index(
            "uq_feed_token_live_target",
            "user_id",
            "scope",
            "target_id",
            unique=True,
            sqlite_where=sa.text(f"{_LIVE} AND target_id IS NOT NULL"),
            postgresql_where=sa.text(f"{_LIVE} AND target_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_feed_token_live_own",
            "user_id",
            "scope",
            unique=True,
            sqlite_where=sa.text(f"{_LIVE} AND target_id IS NULL"),
            postgresql_where=sa.text(f"{_LIVE} AND target_id IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    scope: so.Mapped[FeedScope] = so.mapped_column(enum_column(FeedScope, 12))
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
