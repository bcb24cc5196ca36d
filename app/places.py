"""Is a branch open on a day? One answer, used by circle schedules and room bookings.

``BranchCalendar`` is a plain value (closure dates and weekdays with hours), so the pure
schedule expansion in ``circles/schedule.py`` can use it without a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.models import Branch
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
            return _("no opening hours on %(weekday)ss", weekday=day.strftime("%A"))
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
