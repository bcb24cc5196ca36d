"""Is a branch open on a day? One answer, used by circle schedules and room bookings.

``BranchCalendar`` is a plain value (closure dates and weekdays with hours), so the pure
schedule expansion in ``circles/schedule.py`` can use it without a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext

from app.labels import WEEKDAY_NAMES, when
from app.models import Branch, OpeningHours
from app.rules import RuleViolation


@dataclass(frozen=True)
class BranchCalendar:
    """When the branch is open: closure dates (with reasons) and weekdays with hours.
    An empty set of open weekdays means the branch has no hours on record: every day counts."""

    closures: dict[dt.date, str] = field(default_factory=dict)
    open_weekdays: frozenset[int] = frozenset()

    def closed_reason(self, day: dt.date) -> str | None:
        """Why the branch is closed on ``day`` (a local date), or None when it is open."""
        if day in self.closures:
            return self.closures[day] or _("closed")
        if self.open_weekdays and day.weekday() not in self.open_weekdays:
            return _("no opening hours on %(weekday)ss", weekday=WEEKDAY_NAMES[day.weekday()])
        return None


def branch_calendar(branch: Branch) -> BranchCalendar:
    return BranchCalendar(
        closures={c.date: c.reason for c in branch.closures},
        open_weekdays=frozenset(h.weekday for h in branch.hours),
    )


def check_open(branch: Branch, day: dt.date, field_name: str = "date") -> None:
    """Refuse a meeting or booking on a day the branch is closed, with one message."""
    reason = branch_calendar(branch).closed_reason(day)
    if reason is not None:
        raise RuleViolation(
            _("%(branch)s is closed that day (%(reason)s).", branch=branch.name, reason=reason),
            field_name,
        )


@dataclass(frozen=True)
class OutsideHours:
    """A time on an open day that does not fit the day's opening hours."""

    hours: OpeningHours
    after_closing: bool  # it ends after closing (or the next day); else it starts too early


def outside_hours(branch: Branch, starts: dt.datetime, ends: dt.datetime) -> OutsideHours | None:
    """Whether ``starts``–``ends`` (UTC) falls outside the opening hours of its local day.
    None when it fits, or when the day has no hours on record (``check_open`` tells whether
    the branch is closed that day)."""
    zone = ZoneInfo(branch.timezone)
    local_start, local_end = starts.astimezone(zone), ends.astimezone(zone)
    day = local_start.date()
    hours = branch.hours_on(day.weekday())
    if hours is None:
        return None
    if local_start.time() < hours.opens:
        return OutsideHours(hours, after_closing=False)
    if local_end.date() != day or local_end.time() > hours.closes:
        return OutsideHours(hours, after_closing=True)
    return None


def clock(time: dt.time) -> str:
    return when(time)


def what_fits(branch: Branch, hours: OpeningHours, minutes: int) -> str:
    """What would work on a day with these hours: the starts a meeting of ``minutes`` fits."""
    day_start = dt.datetime.combine(dt.date(2000, 1, 3), dt.time(0))
    latest = dt.datetime.combine(day_start.date(), hours.closes) - dt.timedelta(minutes=minutes)
    day = WEEKDAY_NAMES[hours.weekday]
    if latest < day_start or latest.time() < hours.opens:
        return _(
            "%(branch)s is open %(opens)s–%(closes)s on %(weekday)s: a %(minutes)d-minute "
            "meeting does not fit, shorter ones do.",
            branch=branch.name,
            opens=clock(hours.opens),
            closes=clock(hours.closes),
            weekday=day,
            minutes=minutes,
        )
    return _(
        "%(branch)s is open %(opens)s–%(closes)s on %(weekday)s: a %(minutes)d-minute meeting "
        "fits if it starts between %(opens)s and %(latest)s.",
        branch=branch.name,
        opens=clock(hours.opens),
        closes=clock(hours.closes),
        weekday=day,
        minutes=minutes,
        latest=clock(latest.time()),
    )


class Timed(Protocol):
    starts_at: dt.datetime
    ends_at: dt.datetime


T = TypeVar("T", bound=Timed)


@dataclass(frozen=True)
class BranchClosed(Generic[T]):
    """Meetings the branch is closed for (no room of it can take them): one reason shared
    by every room, named once, with what would work."""

    meetings: list[T]
    reason: str  # "All 6 meetings are after closing time, 18:00."
    fix: str  # "Main Library is open 09:30–18:00 on Tuesday: a 90-minute meeting fits if …"
    hours: list[DaysOpen]  # the week's opening hours


def branch_closed(branch: Branch, meetings: Sequence[T]) -> BranchClosed[T] | None:
    """Which of these meetings (stored or planned) fall on a closed day or outside the
    opening hours, and why, in one sentence: "All 6 meetings are after closing time, 18:00"."""
    calendar = branch_calendar(branch)
    zone = ZoneInfo(branch.timezone)
    why: list[tuple[str, str] | None] = []
    first: tuple[T, OutsideHours] | None = None
    for meeting in meetings:
        if calendar.closed_reason(meeting.starts_at.astimezone(zone).date()):
            why.append(("closed", ""))
            continue
        outside = outside_hours(branch, meeting.starts_at, meeting.ends_at)
        if outside is None:
            why.append(None)
            continue
        first = first or (meeting, outside)
        hours = outside.hours
        why.append(
            ("after", clock(hours.closes))
            if outside.after_closing
            else ("before", clock(hours.opens))
        )
    closed = [m for m, w in zip(meetings, why, strict=True) if w]
    if not closed:
        return None
    kinds = {w for w in why if w}
    kind, time = next(iter(kinds)) if len(kinds) == 1 else ("mixed", "")
    what = {
        "after": _("after closing time, %(time)s", time=time),
        "before": _("before opening time, %(time)s", time=time),
        "closed": _("on a day %(branch)s is closed", branch=branch.name)
        if len(closed) == 1
        else _("on days %(branch)s is closed", branch=branch.name),
    }.get(kind, _("outside the opening hours of %(branch)s", branch=branch.name))
    if len(closed) == len(meetings) == 1:
        reason = _("The meeting is %(what)s.", what=what)
    elif len(closed) == len(meetings):
        reason = _("All %(count)d meetings are %(what)s.", count=len(closed), what=what)
    else:
        reason = ngettext(
            "%(num)d of %(total)d meetings is %(what)s.",
            "%(num)d of %(total)d meetings are %(what)s.",
            len(closed),
            total=len(meetings),
            what=what,
        )
    if first is None:
        fix = _("Move them to a day the branch is open.")
    else:
        meeting, outside = first
        minutes = int((meeting.ends_at - meeting.starts_at).total_seconds() // 60)
        fix = what_fits(branch, outside.hours, minutes)
    return BranchClosed(closed, reason, fix, opening_hours(branch))


@dataclass(frozen=True)
class DaysOpen:
    """Weekdays in a row with the same hours: "Monday–Friday", "09:30–18:00"."""

    days: str
    hours: str


def opening_hours(branch: Branch) -> list[DaysOpen]:
    """The week's hours, days with the same hours together; none when none are on record."""
    if not branch.hours:
        return []
    by_day = {h.weekday: (clock(h.opens), clock(h.closes)) for h in branch.hours}
    runs: list[list[int]] = []
    for weekday in range(7):
        if runs and by_day.get(runs[-1][-1]) == by_day.get(weekday):
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    shown = []
    for run in runs:
        first, last = str(WEEKDAY_NAMES[run[0]]), str(WEEKDAY_NAMES[run[-1]])
        days = first if len(run) == 1 else f"{first}–{last}"
        hours = by_day.get(run[0])
        shown.append(DaysOpen(days, f"{hours[0]}–{hours[1]}" if hours else _("Closed")))
    return shown
