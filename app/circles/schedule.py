"""Turning a schedule into meetings: pure functions, no database.

Meetings are planned in the circle's local time and converted to UTC one by one, so a
weekly series at 6 pm stays at 6 pm local across a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.edges import DATE_MESSAGE, date_in_range
from app.places import BranchCalendar
from app.rules import RuleViolation
from app.timeutil import to_utc

UTC = dt.UTC
MAX_MEETINGS = 52
# How far a schedule may look for open days before giving up (a branch closed for months).
SEARCH_HORIZON = dt.timedelta(days=3 * 366)


@dataclass(frozen=True)
class PlannedMeeting:
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    local_date: dt.date
    moved_from: dt.date | None = None
    reason: str = ""


@dataclass
class Plan:
    meetings: list[PlannedMeeting] = field(default_factory=list)
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)


def weekly_dates(first: dt.date, weekdays: Iterable[int]) -> Iterator[dt.date]:
    """Every date from ``first`` on whose weekday (0 = Monday) is one of ``weekdays``."""
    days = frozenset(weekdays)
    if not days or not days <= set(range(7)):
        raise RuleViolation(_("Choose at least one weekday."), "weekdays")
    day = first
    while True:
        if day.weekday() in days:
            yield day
        day += dt.timedelta(days=1)


def plan_meetings(
    dates: Iterable[dt.date],
    *,
    count: int | None,
    start_time: dt.time,
    duration: dt.timedelta,
    tz: str,
    calendar: BranchCalendar,
    on_closure: str,
) -> Plan:
    """Plan meetings on ``dates`` (taking ``count`` of them when given; the dates may be an
    endless weekly series). A date the branch is closed is moved to the next open day
    (``on_closure="move"``) or skipped (``"skip"``: a weekly series then runs one week
    longer, so it still has ``count`` meetings; an explicit list just loses that date)."""
    if on_closure not in {"move", "skip"}:
        raise RuleViolation(_("Choose what happens on closure days."), "closure_policy")
    if duration <= dt.timedelta(0) or duration > dt.timedelta(hours=8):
        raise RuleViolation(_("A meeting lasts between 1 minute and 8 hours."), "duration")
    if count is not None and not 1 <= count <= MAX_MEETINGS:
        raise RuleViolation(_("Between 1 and %(max)d meetings.", max=MAX_MEETINGS), "meeting_count")

    plan = Plan()
    taken: set[dt.date] = set()
    first: dt.date | None = None
    for day in dates:
        first = first or day
        if day - first > SEARCH_HORIZON:
            raise RuleViolation(_("The branch is closed on too many of these days."), "weekdays")
        if count is not None and len(plan.meetings) == count:
            break
        reason = calendar.closed_reason(day)
        target = day
        if reason is not None:
            if on_closure == "skip":
                plan.skipped.append((day, reason))
                continue
            target = _next_open_day(day, calendar, taken)
        if target in taken:
            continue
        taken.add(target)
        starts = to_utc(target, start_time, tz)
        plan.meetings.append(
            PlannedMeeting(
                starts_at=starts,
                ends_at=starts + duration,
                local_date=target,
                moved_from=day if target != day else None,
                reason=reason or "",
            )
        )
    if len(plan.meetings) > MAX_MEETINGS:
        raise RuleViolation(
            _("Between 1 and %(max)d meetings.", max=MAX_MEETINGS), "explicit_dates"
        )
    if not plan.meetings:
        raise RuleViolation(
            _("No meeting is left: the branch is closed on every date."), "weekdays"
        )
    plan.meetings.sort(key=lambda m: m.starts_at)
    return plan


def _next_open_day(day: dt.date, calendar: BranchCalendar, taken: set[dt.date]) -> dt.date:
    candidate = day + dt.timedelta(days=1)
    while candidate - day <= SEARCH_HORIZON:
        if calendar.closed_reason(candidate) is None and candidate not in taken:
            return candidate
        candidate += dt.timedelta(days=1)
    raise RuleViolation(_("The branch has no open day to move a meeting to."), "closure_policy")


def parse_dates(text: str) -> list[dt.date]:
    """Dates typed one per line (or separated by commas) as YYYY-MM-DD."""
    dates = []
    for raw in text.replace(",", "\n").splitlines():
        item = raw.strip()
        if not item:
            continue
        try:
            dates.append(dt.date.fromisoformat(item))
        except ValueError:
            raise RuleViolation(
                _("“%(item)s” is not a date like 2027-01-31.", item=item[:20]), "explicit_dates"
            ) from None
    if not all(date_in_range(day) for day in dates):
        raise RuleViolation(str(DATE_MESSAGE), "explicit_dates")
    if len(set(dates)) != len(dates):
        raise RuleViolation(_("A date is listed twice."), "explicit_dates")
    if len(dates) > MAX_MEETINGS:
        raise RuleViolation(
            _("Between 1 and %(max)d meetings.", max=MAX_MEETINGS), "explicit_dates"
        )
    return sorted(dates)
