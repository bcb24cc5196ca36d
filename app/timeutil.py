"""Time: every timestamp is stored as aware UTC through one column type."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa

UTC = dt.UTC


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in and out; a naive value is a bug and is refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@cache
def timezone_names() -> tuple[str, ...]:
    """IANA zone names offered in forms (the deprecated aliases left out)."""
    return (
        *sorted(
            name
            for name in available_timezones()
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
        ),
        "UTC",
    )


def is_timezone(name: str) -> bool:
    return name in timezone_names()


def local_today(tz: str) -> dt.date:
    return utcnow().astimezone(ZoneInfo(tz)).date()
