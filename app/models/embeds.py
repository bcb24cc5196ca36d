"""Where the app's embeds may be shown: the origins (library websites) an administrator lists
for the Content-Security-Policy ``frame-ancestors`` of the embed pages."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # names in annotations; SQLAlchemy resolves them through its registry
    from app.models.people import User


class EmbedOrigin(db.Model):
    """One origin that may frame the embeds, stored normalised (``https://library.example``:
    scheme and host in lower case, no default port, no path), once."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    origin: so.Mapped[str] = so.mapped_column(sa.String(255), unique=True)
    added_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    added_by: so.Mapped[User | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<EmbedOrigin {self.origin}>"
