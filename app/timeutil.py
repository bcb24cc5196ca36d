"""Time: every timestamp is stored as aware UTC through one column type."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from flask_babel import gettext as _

from app.rules import RuleViolation

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


def to_utc(day: dt.date, at: dt.time, tz: str) -> dt.datetime:
    """The UTC instant of a local wall-clock time; refuses times that do not exist locally."""
    zone = ZoneInfo(tz)
    local = dt.datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise RuleViolation(
            _(
                "%(time)s does not exist on %(day)s in %(tz)s (the clocks go forward).",
                time=at.strftime("%H:%M"),
                day=day.isoformat(),
                tz=tz,
            ),
            "start_time",
        )
    return instant
