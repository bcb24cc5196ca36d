"""labels.when keeps what it worked out (a week grid shows the same times of day dozens of
times): a kept answer is only ever given for the same language, zone and kind of value."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_babel import force_locale

from app.labels import when

INSTANT = dt.datetime(2026, 3, 10, 23, 0, tzinfo=dt.UTC)


def test_the_same_value_reads_in_each_language(app):
    with app.test_request_context():
        with force_locale("en"):
            english = when(dt.time(18, 0))
        with force_locale("es"):
            spanish = when(dt.time(18, 0))
        with force_locale("en"):
            again = when(dt.time(18, 0))
    assert (english, spanish, again) == ("6:00 PM", "18:00", "6:00 PM")


def test_one_instant_reads_in_its_own_zone_or_the_zone_named(app):
    new_york = INSTANT.astimezone(ZoneInfo("America/New_York"))
    chicago = INSTANT.astimezone(ZoneInfo("America/Chicago"))
    assert new_york == chicago  # the same instant: a memo keyed on the value alone mixes them
    with app.test_request_context(), force_locale("en"):
        shown = [when(new_york, pattern="time"), when(chicago, pattern="time")]
        shown += [when(INSTANT, "America/Denver", "time"), when(INSTANT, "UTC", "time")]
    assert shown == ["7:00 PM", "6:00 PM", "5:00 PM", "11:00 PM"]


def test_a_repeated_hour_keeps_its_two_halves_apart(app):
    zone = ZoneInfo("America/New_York")
    first = dt.datetime(2026, 11, 1, 1, 30, tzinfo=zone)
    second = first.replace(fold=1)  # 1:30 again, an hour later, once the clocks went back
    with app.test_request_context(), force_locale("en"):
        shown = [when(first, "UTC", "time"), when(second, "UTC", "time")]
    assert shown == ["5:30 AM", "6:30 AM"]


def test_a_day_and_its_midnight_read_differently(app):
    midnight = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    with app.test_request_context(), force_locale("en"):
        day, moment = when(midnight.date()), when(midnight)
    assert day == "Tue, Mar 10, 2026"
    assert moment == "Tue, Mar 10, 2026, 12:00 AM"
