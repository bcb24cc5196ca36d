"""Time: every timestamp is stored as aware UTC through one column type."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from babel.dates import format_date, format_time, get_timezone_location, get_timezone_name
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.i18n import lazy_gettext as _l
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


# tzdata's "backward" aliases by country (each the same as an America/... zone), and the rest.
_LEFT_OUT = (
    *("Brazil/", "Canada/", "Chile/", "Mexico/", "US/"),
    *("Etc/", "SystemV/", "posix/", "right/"),
)


@cache
def timezone_names() -> tuple[str, ...]:
    """IANA zone names offered in forms (the deprecated aliases left out: a list in Spanish
    showed "Canada/Atlantic" as "Atlantic", an English word, beside America/Halifax)."""
    return (
        *sorted(
            name for name in available_timezones() if "/" in name and not name.startswith(_LEFT_OUT)
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
                time=format_time(at, "short", locale=get_locale()),
                day=format_date(day, "medium", locale=get_locale()),
                tz=zone_name(tz),
            ),
            "start_time",
        )
    return instant


# The zones most of our readers live in, first in every time-zone list, with the name people
# use for them (Arizona keeps standard time all year, Puerto Rico is on Atlantic time).
COMMON_US_ZONES = (
    ("America/New_York", _l("Eastern Time")),
    ("America/Chicago", _l("Central Time")),
    ("America/Denver", _l("Mountain Time")),
    ("America/Los_Angeles", _l("Pacific Time")),
    ("America/Anchorage", _l("Alaska Time")),
    ("Pacific/Honolulu", _l("Hawaii Time")),
    ("America/Phoenix", _l("Arizona (Mountain Time, no daylight saving)")),
    ("America/Puerto_Rico", _l("Puerto Rico (Atlantic Time)")),
)

REGIONS = {
    "America": _l("Americas"),
    "Europe": _l("Europe"),
    "Africa": _l("Africa"),
    "Asia": _l("Asia"),
    "Australia": _l("Australia"),
    "Pacific": _l("Pacific"),
    "Atlantic": _l("Atlantic"),
    "Indian": _l("Indian Ocean"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
}


def zone_name(tz: str) -> str:
    """A zone as people say it, in the reader's language: "Eastern Time", "hora oriental"."""
    if tz == "UTC":
        return "UTC"
    locale = get_locale()
    name = get_timezone_name(ZoneInfo(tz), "long", locale=locale)
    if "(" in name:  # no generic name (e.g. Honolulu): the one it has today
        name = get_timezone_name(utcnow().astimezone(ZoneInfo(tz)), "long", locale=locale)
    return name


def timezone_choices(blank: str | None = None) -> list[SelectChoice]:
    """Every zone of :func:`timezone_names` for a select: the common US zones first, then the
    rest grouped by region (``<optgroup>``), each as "City (zone name)", sorted by city, so
    typing a city's first letters finds it."""
    options = list(_zone_options(str(get_locale())))
    return [SelectChoice("", str(blank)), *options] if blank is not None else options


@cache
def _zone_options(locale: str) -> tuple[SelectChoice, ...]:
    common = str(_l("Common in the United States"))
    options = [SelectChoice(name, str(label), optgroup=common) for name, label in COMMON_US_ZONES]
    firsts = {name for name, _label in COMMON_US_ZONES}
    rest: dict[str, list[SelectChoice]] = {}
    for name in timezone_names():
        if name in firsts:
            continue
        region, _slash, place = name.partition("/")
        group = str(REGIONS.get(region, _l("Other")))
        # The city as the language writes it ("Ciudad de México", "Londres"), not the zone id's.
        city = get_timezone_location(name, locale=locale, return_city=True)
        label = f"{city} ({zone_name(name)})" if place else zone_name(name)
        rest.setdefault(group, []).append(SelectChoice(name, label, optgroup=group))
    for group in [*map(str, REGIONS.values()), str(_l("Other"))]:
        options += sorted(rest.get(group, []), key=lambda c: c.label)
    return tuple(options)
