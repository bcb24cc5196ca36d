"""Where and when a new circle meets, checked as soon as the wizard's second step is left:
the place (branch, room, join link), the schedule planned on the branch's calendar, the
meetings against its opening hours, what deserves a second look (a meeting at night or past
midnight) and, for each room of the branch, how many of the meetings it is free for.

Creating a circle runs the same checks (``services.preview_circle``), so the review and the
save never refuse what this step accepted, except for what changed in between (a room
booked by someone else meanwhile).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.circles.clashes import clash_message, facilitator_clashes
from app.circles.meetings import check_horizon
from app.circles.schedule import (
    MAX_MEETINGS,
    Plan,
    PlannedMeeting,
    parse_dates,
    plan_meetings,
    weekly_dates,
)
from app.extensions import db
from app.labels import when
from app.models import Branch, CircleFormat, Course, Room, User
from app.places import branch_calendar, branch_closed
from app.rooms.circle_bookings import branch_rooms, span_problems
from app.rooms.services import ClosureRun, closure_runs
from app.rules import RuleViolation
from app.timeutil import is_timezone

if TYPE_CHECKING:
    from app.circles.services import CircleInput, ScheduleInput

# A meeting starting before this or at/after NIGHT_FROM (local time) is worth a second look.
NIGHT_UNTIL = dt.time(7)
NIGHT_FROM = dt.time(22)
# The start offered before anything is known about the branch's hours.
USUAL_START = dt.time(18)


def plan_schedule(branch: Branch, schedule: ScheduleInput, now: dt.datetime) -> Plan:
    if not is_timezone(schedule.timezone):
        raise RuleViolation(_("Choose a time zone from the list."), "timezone")
    if schedule.explicit_dates.strip():
        dates: Iterable[dt.date] = parse_dates(schedule.explicit_dates)
        count = None
    else:
        if schedule.first_date is None:
            raise RuleViolation(_("Enter the date of the first meeting."), "first_date")
        if not schedule.meeting_count:
            raise RuleViolation(
                _("Between 1 and %(max)d meetings.", max=MAX_MEETINGS), "meeting_count"
            )
        dates = weekly_dates(schedule.first_date, schedule.weekdays)
        count = schedule.meeting_count
    plan = plan_meetings(
        dates,
        count=count,
        start_time=schedule.start_time,
        duration=dt.timedelta(minutes=schedule.duration_minutes),
        tz=schedule.timezone,
        calendar=branch_calendar(branch),
        on_closure=schedule.closure_policy,
    )
    field_name = "explicit_dates" if schedule.explicit_dates.strip() else "first_date"
    if plan.meetings[0].starts_at <= now:
        raise RuleViolation(_("The first meeting must be in the future."), field_name)
    check_horizon(plan.meetings[-1].ends_at, field_name)
    return plan


def check_place(data: CircleInput) -> tuple[Course, Branch, Room | None]:
    """The course, the branch, a room of that branch (if any) and a join link when needed."""
    course = db.session.get(Course, data.course_id)
    if course is None or course.retired:
        raise RuleViolation(_("Choose a course from the catalogue."), "course_id")
    branch = db.session.get(Branch, data.branch_id)
    if branch is None:
        raise RuleViolation(_("Choose a branch."), "branch_id")
    room = db.session.get(Room, data.room_id) if data.room_id else None
    if data.room_id and (room is None or room.branch_id != branch.id):
        raise RuleViolation(_("Choose a room of this branch."), "room_id")
    if data.format != CircleFormat.in_person and not data.join_url:
        raise RuleViolation(_("Online and hybrid circles need a join link."), "join_url")
    return course, branch, room


def needs_opening_hours(circle_format: str, room: Room | None) -> bool:
    """In person, or hybrid with a room: the branch must be open for the meetings."""
    return circle_format == CircleFormat.in_person or (
        circle_format == CircleFormat.hybrid and room is not None
    )


def check_hours(branch: Branch, meetings: Sequence[PlannedMeeting]) -> None:
    """Refuse meetings outside the branch's opening hours, naming the hours and what fits."""
    closed = branch_closed(branch, meetings)
    if closed is not None:
        raise RuleViolation(f"{closed.reason} {closed.fix}", "start_time")


def warnings(meetings: Sequence[PlannedMeeting], tz: str) -> list[str]:
    """Times that are allowed but unusual enough to ask about: at night, past midnight."""
    zone = ZoneInfo(tz)
    found = []
    late = next(
        (m for m in meetings if m.starts_at.astimezone(zone).date() != _local_end_day(m, zone)),
        None,
    )
    if late is not None:
        found.append(
            _(
                "The meetings run past midnight (%(start)s–%(end)s). Check the start time and "
                "the length.",
                start=when(late.starts_at, tz, "HH:mm"),
                end=when(late.ends_at, tz, "HH:mm"),
            )
        )
    night = next((m for m in meetings if _at_night(m.starts_at.astimezone(zone).time())), None)
    if night is not None:
        found.append(
            _(
                "The meetings start at night (%(start)s). Check that this is the time you meant.",
                start=when(night.starts_at, tz, "HH:mm"),
            )
        )
    return found


def _local_end_day(meeting: PlannedMeeting, zone: ZoneInfo) -> dt.date:
    # A meeting ending at midnight sharp does not run into the next day.
    return (meeting.ends_at - dt.timedelta(microseconds=1)).astimezone(zone).date()


def _at_night(start: dt.time) -> bool:
    return start < NIGHT_UNTIL or start >= NIGHT_FROM


@dataclass(frozen=True)
class RoomChoice:
    """A room of the branch and the planned meetings it cannot take (and why)."""

    room: Room
    problems: list[tuple[PlannedMeeting, str]]
    total: int

    @property
    def free(self) -> int:
        return self.total - len(self.problems)


def room_choices(branch: Branch, meetings: Sequence[PlannedMeeting]) -> list[RoomChoice]:
    """Every bookable room of the branch, with how many of the planned meetings it is free for."""
    return [_choice(room, meetings) for room in branch_rooms(branch.id)]


def _choice(room: Room, meetings: Sequence[PlannedMeeting]) -> RoomChoice:
    problems = span_problems(room, [(m.starts_at, m.ends_at, None) for m in meetings])
    return RoomChoice(
        room, [(m, p) for m, p in zip(meetings, problems, strict=True) if p], len(meetings)
    )


@dataclass(frozen=True)
class WhereAndWhen:
    """The second step, checked: its place, its planned meetings, the warnings about their
    times and the meetings the chosen room cannot take (they will have no room)."""

    course: Course
    branch: Branch
    room: Room | None
    plan: Plan
    warnings: list[str] = field(default_factory=list)
    unbooked: list[tuple[PlannedMeeting, str]] = field(default_factory=list)


def check_where_and_when(
    data: CircleInput, schedule: ScheduleInput, now: dt.datetime, creator: User | None = None
) -> WhereAndWhen:
    """Refuse what the step can tell is wrong; with ``creator``, also times they already
    facilitate another circle (the review lists those instead, beside the schedule)."""
    course, branch, room = check_place(data)
    plan = plan_schedule(branch, schedule, now)
    if needs_opening_hours(data.format, room):
        check_hours(branch, plan.meetings)
    if creator is not None:
        intervals = [(m.starts_at, m.ends_at) for m in plan.meetings]
        clashes = facilitator_clashes([creator.id], intervals)
        if clashes:
            raise RuleViolation(clash_message(clashes, schedule.timezone), "start_time")
    books = room is not None and data.format != CircleFormat.virtual
    return WhereAndWhen(
        course,
        branch,
        room,
        plan,
        warnings(plan.meetings, schedule.timezone),
        _choice(room, plan.meetings).problems if books else [],
    )


# --- what the step shows about the branch --------------------------------------------------------


def upcoming_closures(branch: Branch, today: dt.date, limit: int = 6) -> list[ClosureRun]:
    return closure_runs([c for c in branch.closures if c.date >= today])[:limit]


def suggested_start(branch: Branch | None, minutes: int | None) -> dt.time:
    """A start that fits the opening hours of every day the branch is open (so a meeting
    moved off a closure still fits): the latest half hour that ends by the earliest closing."""
    if branch is None or not branch.hours:
        return USUAL_START
    opens = max(h.opens for h in branch.hours)
    closes = min(h.closes for h in branch.hours)
    today = dt.date(2000, 1, 3)
    latest = dt.datetime.combine(today, closes) - dt.timedelta(minutes=minutes or 60)
    latest -= dt.timedelta(minutes=latest.minute % 30)
    if latest.date() != today or latest.time() < opens:
        return opens
    return latest.time()
