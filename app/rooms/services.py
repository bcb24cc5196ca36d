"""Branch and room rules. Services validate, change models and flush; views commit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    Booking,
    BookingKind,
    BookingStatus,
    Branch,
    Circle,
    CircleFormat,
    Closure,
    Meeting,
    MeetingStatus,
    OpeningHours,
    Room,
    RoomFeature,
)
from app.rules import RuleViolation, unique_or_violation
from app.timeutil import is_timezone, local_today

CLOSURE_HORIZON = dt.timedelta(days=3 * 366)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:64] or "branch"


def save_branch(
    branch: Branch | None, *, name: str, slug: str, address: str, timezone: str
) -> Branch:
    if not is_timezone(timezone):
        raise RuleViolation(_("Choose a time zone from the list."), "timezone")
    branch = branch or Branch()
    with unique_or_violation(_("Another branch already has that name or short name."), "name"):
        branch.name = name
        branch.slug = slug or slugify(name)
        branch.address = address
        branch.timezone = timezone
        db.session.add(branch)
    return branch


def set_hours(branch: Branch, hours: dict[int, tuple[dt.time, dt.time] | None]) -> None:
    """Replace the weekly opening hours; a day mapped to None is closed."""
    for interval in hours.values():
        if interval is not None and interval[1] <= interval[0]:
            raise RuleViolation(_("Closing time must be after opening time."))
    existing = {h.weekday: h for h in branch.hours}
    for weekday in range(7):
        interval = hours.get(weekday)
        row = existing.get(weekday)
        if interval is None:
            if row is not None:
                branch.hours.remove(row)
        elif row is None:
            branch.hours.append(
                OpeningHours(weekday=weekday, opens=interval[0], closes=interval[1])
            )
        else:
            row.opens, row.closes = interval
    db.session.flush()


MAX_CLOSURE_DAYS = 366


@dataclass(frozen=True)
class ClosuresAdded:
    """What adding a closure did: days closed, days that already were, and the meetings and
    bookings still planned on them (they stay: staff move or cancel them)."""

    added: int
    already_closed: int
    still_planned: int


def add_closure(branch: Branch, first: dt.date, last: dt.date | None, reason: str) -> ClosuresAdded:
    """Close one branch from ``first`` to ``last`` (one day when ``last`` is None)."""
    return add_closures([branch], first, last, reason)


def add_closures(
    branches: Sequence[Branch], first: dt.date, last: dt.date | None, reason: str
) -> ClosuresAdded:
    """Close each branch every day from ``first`` to ``last`` (a holiday for all branches):
    one Closure row a day. A day a branch is already closed keeps its closure; when every day
    already is, that is refused. Meetings and bookings on those days are not touched."""
    last = last or first
    if last < first:
        raise RuleViolation(_("The last day cannot be before the first day."), "last_day")
    days = (last - first).days + 1
    if days > MAX_CLOSURE_DAYS:
        raise RuleViolation(
            _("A closure covers at most %(days)d days.", days=MAX_CLOSURE_DAYS), "last_day"
        )
    if not branches:
        raise RuleViolation(_("There is no branch to close."))
    added = already = planned = 0
    for branch in branches:
        today = local_today(branch.timezone)
        if first < today:
            raise RuleViolation(_("That date has passed."), "date")
        if last > today + CLOSURE_HORIZON:
            raise RuleViolation(
                _("Closures can be planned up to three years ahead."),
                "date" if first > today + CLOSURE_HORIZON else "last_day",
            )
        closed = set(
            db.session.scalars(
                sa.select(Closure.date).where(
                    Closure.branch_id == branch.id, Closure.date.between(first, last)
                )
            )
        )
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            if day in closed:
                already += 1
            else:
                db.session.add(Closure(branch_id=branch.id, date=day, reason=reason))
                added += 1
        planned += _planned_on(branch, first, last)
    if not added:
        raise RuleViolation(
            _("The branch is already closed that day.")
            if days == 1 and len(branches) == 1
            else _("Already closed on every one of those days."),
            "date",
        )
    with unique_or_violation(_("The branch is already closed that day."), "date"):
        db.session.flush()
    return ClosuresAdded(added=added, already_closed=already, still_planned=planned)


def _planned_on(branch: Branch, first: dt.date, last: dt.date) -> int:
    """Scheduled meetings of the branch's circles and other active bookings of its rooms
    that start between ``first`` and ``last`` (local days)."""
    zone = ZoneInfo(branch.timezone)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(
        dt.UTC
    )
    meetings = db.session.scalar(
        sa.select(sa.func.count(Meeting.id))
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(
            Circle.branch_id == branch.id,
            Circle.format != CircleFormat.virtual,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
    )
    bookings = db.session.scalar(
        sa.select(sa.func.count(Booking.id))
        .join(Room, Room.id == Booking.room_id)
        .where(
            Room.branch_id == branch.id,
            Booking.kind != BookingKind.meeting,
            Booking.status == BookingStatus.active,
            Booking.starts_at >= start,
            Booking.starts_at < end,
        )
    )
    return (meetings or 0) + (bookings or 0)


@dataclass(frozen=True)
class ClosureRun:
    """Closures on consecutive days with the same reason, shown and removed together."""

    closures: tuple[Closure, ...]

    @property
    def first(self) -> dt.date:
        return self.closures[0].date

    @property
    def last(self) -> dt.date:
        return self.closures[-1].date

    @property
    def reason(self) -> str:
        return self.closures[0].reason


def closure_runs(closures: Sequence[Closure]) -> list[ClosureRun]:
    runs: list[list[Closure]] = []
    for closure in sorted(closures, key=lambda c: c.date):
        run = runs[-1] if runs else None
        if (
            run
            and closure.date == run[-1].date + dt.timedelta(days=1)
            and closure.reason == run[-1].reason
        ):
            run.append(closure)
        else:
            runs.append([closure])
    return [ClosureRun(tuple(run)) for run in runs]


def run_starting_at(closure: Closure) -> ClosureRun:
    """The run of closures that begins with ``closure`` (it and the days after it)."""
    later = db.session.scalars(
        sa.select(Closure).where(
            Closure.branch_id == closure.branch_id,
            Closure.date >= closure.date,
            Closure.date <= closure.date + dt.timedelta(days=MAX_CLOSURE_DAYS),
        )
    ).all()
    return closure_runs(later)[0]


def remove_closures(run: ClosureRun) -> None:
    for closure in run.closures:
        db.session.delete(closure)
    db.session.flush()


def save_room(
    room: Room | None,
    branch: Branch,
    *,
    name: str,
    capacity: int,
    features: list[str],
    bookable: bool,
    setup_minutes: int = 0,
    cleanup_minutes: int = 0,
) -> Room:
    if not 1 <= capacity <= 1000:
        raise RuleViolation(_("Between 1 and 1000 seats."), "capacity")
    known = {f.value for f in RoomFeature}
    if not set(features) <= known:
        raise RuleViolation(_("Unknown room feature."), "features")
    room = room or Room(branch_id=branch.id)
    with unique_or_violation(_("This branch already has a room with that name."), "name"):
        room.name = name
        room.capacity = capacity
        room.features = sorted(set(features))
        room.bookable = bookable
        room.setup_minutes = setup_minutes or 0
        room.cleanup_minutes = cleanup_minutes or 0
        db.session.add(room)
    return room


def delete_room(room: Room) -> None:
    db.session.delete(room)
    db.session.flush()
