"""What every model shares."""

from __future__ import annotations

import datetime as dt

import sqlalchemy.orm as so

from app.timeutil import UTCDateTime, utcnow


class TimestampMixin:
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
