"""What every model shares."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.timeutil import UTCDateTime, utcnow


class TimestampMixin:
    created_at: so.Mapped[dt.datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


def enum_column(enum_cls: type[enum.StrEnum], length: int) -> sa.Enum:
    """A status, role or kind column: stored as VARCHAR(length) holding the member's value,
    loaded as the enum member. Python refuses an unknown value before it reaches the database;
    the database refuses it too (CHECK constraints and SQLite triggers, migration 0009), which
    is why the type itself adds no constraint."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        values_callable=lambda members: [m.value for m in members],
        length=length,
        validate_strings=True,
        create_constraint=False,
    )
