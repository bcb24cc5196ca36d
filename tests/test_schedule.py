"""Schedule expansion: local wall-clock time kept across DST, closures, explicit dates.
Pure functions: no database, so these run once, not per database."""

from __future__ import annotations

import datetime as dt

import pytest

from app.circles.schedule import (
    parse_dates,
    plan_meetings,
    to_utc,
    weekly_dates,
)
from app.places import BranchCalendar
from app.rules import RuleViolation

UTC = dt.UTC
OPEN = BranchCalendar()


def plan(
    first,
    weekdays=(1,),
    count=6,
    at=dt.time(18),
    minutes=90,
    tz="America/New_York",
    calendar=OPEN,
    on_closure="move",
):
    return plan_meetings(
        weekly_dates(first, weekdays),
        count=count,
        start_time=at,
        duration=dt.timedelta(minutes=minutes),
        tz=tz,
        calendar=calendar,
        on_closure=on_closure,
    )


@pytest.mark.parametrize(
    ("tz", "est_hour", "edt_hour"),
    [("America/New_York", 23, 22), ("America/Chicago", 0, 23)],
)
def test_weekly_series_keeps_local_time_across_fall_back(tz, est_hour, edt_hour):
    # Tuesdays at 6 pm from 20 Oct 2026; DST ends Sunday 1 Nov 2026.
    result = plan(dt.date(2026, 10, 20), tz=tz, count=4)
    starts = [m.starts_at for m in result.meetings]
    assert [s.astimezone(UTC).hour for s in starts] == [edt_hour, edt_hour, est_hour, est_hour]
    from zoneinfo import ZoneInfo

    local = [s.astimezone(ZoneInfo(tz)) for s in starts]
    assert [(d.date().isoformat(), d.hour, d.minute) for d in local] == [
        ("2026-10-20", 18, 0),
        ("2026-10-27", 18, 0),
        ("2026-11-03", 18, 0),
        ("2026-11-10", 18, 0),
    ]
    assert all(m.ends_at - m.starts_at == dt.timedelta(minutes=90) for m in result.meetings)


def test_weekly_series_keeps_local_time_across_spring_forward():
    # Thursdays 10:00 from 4 Mar 2027; DST starts Sunday 14 Mar 2027.
    result = plan(dt.date(2027, 3, 4), weekdays=(3,), count=3, at=dt.time(10))
    assert [m.starts_at for m in result.meetings] == [
        dt.datetime(2027, 3, 4, 15, tzinfo=UTC),
        dt.datetime(2027, 3, 11, 15, tzinfo=UTC),
        dt.datetime(2027, 3, 18, 14, tzinfo=UTC),
    ]


def test_nonexistent_local_time_is_refused():
    with pytest.raises(RuleViolation, match="does not exist"):
        to_utc(dt.date(2027, 3, 14), dt.time(2, 30), "America/New_York")


def test_ambiguous_local_time_takes_the_first():
    assert to_utc(dt.date(2026, 11, 1), dt.time(1, 30), "America/New_York") == dt.datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_two_weekdays_and_count():
    result = plan(dt.date(2027, 1, 4), weekdays=(0, 2), count=5)  # Mon and Wed
    assert [m.local_date.isoformat() for m in result.meetings] == [
        "2027-01-04",
        "2027-01-06",
        "2027-01-11",
        "2027-01-13",
        "2027-01-18",
    ]


CHRISTMAS = BranchCalendar(
    closures={dt.date(2026, 12, 24): "Christmas Eve", dt.date(2026, 12, 25): "Christmas Day"},
    open_weekdays=frozenset(range(6)),  # closed on Sundays
)


def test_closure_moves_meeting_to_next_open_day():
    # Thursdays from 17 Dec: 24 Dec (closed) moves to Sat 26 Dec (25th closed too).
    result = plan(dt.date(2026, 12, 17), weekdays=(3,), count=3, calendar=CHRISTMAS)
    assert [m.local_date.isoformat() for m in result.meetings] == [
        "2026-12-17",
        "2026-12-26",
        "2026-12-31",
    ]
    moved = result.meetings[1]
    assert moved.moved_from == dt.date(2026, 12, 24)
    assert moved.reason == "Christmas Eve"
    assert result.skipped == []


def test_closure_skipped_extends_the_series():
    result = plan(
        dt.date(2026, 12, 17), weekdays=(3,), count=3, calendar=CHRISTMAS, on_closure="skip"
    )
    assert [m.local_date.isoformat() for m in result.meetings] == [
        "2026-12-17",
        "2026-12-31",
        "2027-01-07",
    ]
    assert result.skipped == [(dt.date(2026, 12, 24), "Christmas Eve")]


def test_weekday_without_opening_hours_counts_as_closed():
    result = plan(dt.date(2027, 1, 3), weekdays=(6,), count=2, calendar=CHRISTMAS)  # Sundays
    assert [m.local_date.weekday() for m in result.meetings] == [0, 0]


def test_branch_closed_on_every_date():
    closed = BranchCalendar(open_weekdays=frozenset({0}))
    with pytest.raises(RuleViolation, match="closed on every date"):
        plan_meetings(
            [dt.date(2027, 1, 5)],
            count=None,
            start_time=dt.time(18),
            duration=dt.timedelta(hours=1),
            tz="UTC",
            calendar=closed,
            on_closure="skip",
        )


def test_explicit_dates():
    dates = parse_dates("2027-02-01\n2027-01-15, 2027-03-17\n\n")
    result = plan_meetings(
        dates,
        count=None,
        start_time=dt.time(12),
        duration=dt.timedelta(hours=1),
        tz="America/Chicago",
        calendar=OPEN,
        on_closure="move",
    )
    assert [m.starts_at for m in result.meetings] == [
        dt.datetime(2027, 1, 15, 18, tzinfo=UTC),
        dt.datetime(2027, 2, 1, 18, tzinfo=UTC),
        dt.datetime(2027, 3, 17, 17, tzinfo=UTC),  # CDT from 14 March
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-01-01\n2027-01-01", "listed twice"),
        ("2027-13-01", "is not a date"),
        ("tomorrow", "is not a date"),
        (
            "\n".join(f"2027-01-{d:02d}" for d in range(1, 32))
            + "\n"
            + "\n".join(f"2027-02-{d:02d}" for d in range(1, 23)),
            "Between 1 and 52",
        ),
    ],
)
def test_bad_explicit_dates(text, message):
    with pytest.raises(RuleViolation, match=message):
        parse_dates(text)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": 53}, "meeting_count"),
        ({"count": 0}, "meeting_count"),
        ({"minutes": 0}, "duration"),
        ({"minutes": -30}, "duration"),
        ({"minutes": 9 * 60}, "duration"),
        ({"on_closure": "ignore"}, "closure_policy"),
        ({"weekdays": ()}, "weekdays"),
        ({"weekdays": (7,)}, "weekdays"),
    ],
)
def test_bad_schedules_name_their_field(kwargs, field):
    with pytest.raises(RuleViolation) as error:
        plan(dt.date(2027, 1, 4), **kwargs)
    assert error.value.field == field


def test_fifty_two_meetings_is_the_limit():
    assert len(plan(dt.date(2027, 1, 4), count=52).meetings) == 52
