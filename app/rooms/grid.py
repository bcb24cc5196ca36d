"""The rooms' time grid: a day of every room, or a week of one room, laid out on a time axis.

The page cannot carry inline styles (the CSP allows none), so everything is placed in whole
rows of :data:`STEP` minutes, and the template turns a :class:`Rows` into two of a fixed set of
CSS classes (``gs-<first row>`` and ``gl-<number of rows>``, in ``style.css``). The axis runs
from the earliest opening to the latest closing of the days shown (whole hours), stretched to
take in any booking outside them; a column's closed hours and closed days are shaded.

A booking is cut into one :class:`Piece` per day it covers (a block over three days shows on
each of them), with its set-up and clean-up (``blocked_from``/``blocked_until``) apart. The gaps
are offered as :class:`Free` slots, each a link to the booking form, when a booking there could
be made: the room is bookable, the branch is open, the slot is still to come and within the
booking horizon, and the room's own set-up and clean-up fit beside the bookings around it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from zoneinfo import ZoneInfo

from app.models import Booking, BookingKind, Branch, Room
from app.places import branch_calendar

STEP = 15  # minutes in a row of the grid
SLOT = 30  # minutes of an empty slot offered for booking
BOOKING_MINUTES = 60  # how long a booking from an empty slot is, if nothing is in the way
DAY = 24 * 60
LAST_MINUTE = DAY - 1  # a booking ends on its own day: 23:59 at the latest
DEFAULT_HOURS = (9 * 60, 17 * 60)  # the axis of a branch with no opening hours on record
MAX_ROWS = DAY // STEP  # the CSS classes go this far


@dataclass(frozen=True)
class Rows:
    """Grid rows: the first (1-based, as CSS counts them) and how many."""

    start: int
    span: int

    @property
    def classes(self) -> str:
        return f"gs-{self.start} gl-{self.span}"


@dataclass
class Piece:
    """A booking's part on one day of the grid (local times; ``ends`` may be the next
    midnight)."""

    booking: Booking
    rows: Rows
    setup: Rows | None
    cleanup: Rows | None
    starts: dt.datetime
    ends: dt.datetime
    whole_day: bool
    began_before: bool  # the booking began on an earlier day
    goes_on: bool  # and goes on after this day

    @property
    def first_day(self) -> dt.date:
        return self.starts.date()

    @property
    def last_day(self) -> dt.date:
        """The last day it covers (a block ends at the midnight after it)."""
        return (self.ends - dt.timedelta(microseconds=1)).date()

    @property
    def shown_from(self) -> dt.time:
        """The wall-clock time its part on this day starts: midnight if it began before."""
        return dt.time(0) if self.began_before else self.starts.time()

    @property
    def shown_until(self) -> dt.time:
        """And ends: midnight if it goes on after this day."""
        return dt.time(0) if self.goes_on else self.ends.time()

    @property
    def several_days(self) -> bool:
        return self.first_day != self.last_day

    @property
    def is_block(self) -> bool:
        return self.booking.kind == BookingKind.block


@dataclass(frozen=True)
class Free:
    """An empty slot: booking it fills the form with ``starts``-``ends`` (local times)."""

    rows: Rows
    starts: dt.time
    ends: dt.time


@dataclass(frozen=True)
class Shade:
    """Time the branch is closed: all day (with why), or before opening or after closing."""

    rows: Rows
    kind: str  # "day", "before" or "after"
    reason: str = ""  # why closed all day ("" when a closure gave no reason)


@dataclass(frozen=True)
class Held:
    """Set-up or clean-up time of a booking on a day it is not booked for (just before or
    after midnight), shown when it is within the axis."""

    rows: Rows


@dataclass
class Column:
    day: dt.date
    room: Room
    closed: str | None  # why the branch is closed all day, if it is
    closure: str | None  # the reason given for a closure that day ("" if none was)
    opens: dt.time | None
    closes: dt.time | None
    shades: list[Shade] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    free: list[Free] = field(default_factory=list)

    def items(self) -> list[tuple[str, Shade | Piece | Held | Free]]:
        """Everything in the column in the order of time: the reading (and tabbing) order."""
        kinds = [("shade", s) for s in self.shades] + [("free", f) for f in self.free]
        kinds += [("piece", p) for p in self.pieces] + [("held", h) for h in self.held]
        order = {"shade": 0, "held": 1, "piece": 2, "free": 3}
        return sorted(kinds, key=lambda item: (item[1].rows.start, order[item[0]]))


@dataclass
class Grid:
    first: int  # minute of the day where the axis starts (on the hour)
    last: int  # and ends (on the hour, at most 24:00)
    columns: list[Column]

    @property
    def rows(self) -> int:
        return (self.last - self.first) // STEP

    def hours(self) -> list[tuple[Rows, dt.time]]:
        """The axis: a label on every hour."""
        return [
            (Rows((m - self.first) // STEP + 1, 60 // STEP), dt.time(m // 60))
            for m in range(self.first, self.last, 60)
            if m < DAY
        ]


# --- building the grid -------------------------------------------------------------------------


def _minute(local: dt.datetime, day: dt.date) -> int:
    """Minutes from the start of ``day`` to a local wall-clock time, within 0 .. 24:00."""
    minutes = (local.date() - day).days * DAY + local.hour * 60 + local.minute
    return min(max(minutes, 0), DAY)


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def _of_time(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _instant(day: dt.date, minutes: int, zone: ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a local time, or None where the clocks skip it."""
    local = dt.datetime.combine(day, _clock(minutes), tzinfo=zone)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


class _Axis:
    def __init__(self, first: int, last: int):
        self.first, self.last = first, last

    def rows(self, start: int, end: int) -> Rows:
        """The rows of minutes ``start``..``end``; a span outside the axis is pinned to its
        nearest edge, one row high, so that nothing booked is ever hidden."""
        start = min(max(start, self.first), self.last - STEP)
        end = min(max(end, start + 1), self.last)
        first = (start - self.first) // STEP
        after = math.ceil((end - self.first) / STEP)
        return Rows(first + 1, max(after - first, 1))


def _axis(branch: Branch, days: Sequence[dt.date], spans: list[tuple[int, int]]) -> _Axis:
    hours = [h for d in days if (h := branch.hours_on(d.weekday())) is not None] or list(
        branch.hours
    )
    if hours:
        first = min(_of_time(h.opens) for h in hours)
        last = max(_of_time(h.closes) for h in hours)
    else:
        first, last = DEFAULT_HOURS
    for start, end in spans:  # bookings outside opening hours stretch the axis
        first, last = min(first, start), max(last, end)
    first = first // 60 * 60
    last = min(math.ceil(last / 60) * 60, DAY)
    return _Axis(first, max(last, first + 60))


def _spot(booking: Booking, day: dt.date, zone: ZoneInfo) -> dict[str, int] | None:
    """The booking's minutes on ``day`` (held and booked), or None if it is not there."""
    held_from = _minute(booking.blocked_from.astimezone(zone), day)
    held_until = _minute(booking.blocked_until.astimezone(zone), day)
    if held_until <= held_from:
        return None
    return {
        "held_from": held_from,
        "held_until": held_until,
        "starts": max(_minute(booking.starts_at.astimezone(zone), day), held_from),
        "ends": min(_minute(booking.ends_at.astimezone(zone), day), held_until),
    }


def build(
    branch: Branch,
    cells: Sequence[tuple[dt.date, Room]],
    bookings: Sequence[Booking],
    *,
    now: dt.datetime,
    horizon: dt.datetime,
) -> Grid:
    """A column for each (day, room) of ``cells``: a week of one room, or a day of every
    room. ``bookings``: the active ones of the branch on those days (others are left out)."""
    zone = ZoneInfo(branch.timezone)
    calendar = branch_calendar(branch)
    rooms = {room.id for _day, room in cells}
    bookings = [b for b in bookings if b.room_id in rooms]
    shown = sorted({d for d, _room in cells})
    spots = {
        (booking.id, day): spot
        for booking in bookings
        for day in shown
        if (spot := _spot(booking, day, zone)) is not None
    }
    # Bookings outside opening hours stretch the axis; blocks (whole days) do not.
    kinds = {b.id: b.kind for b in bookings}
    stretch = [
        (spot["held_from"], spot["held_until"])
        for (booking_id, _day), spot in spots.items()
        if kinds[booking_id] != BookingKind.block
    ]
    axis = _axis(branch, shown, stretch)
    columns = []
    for day, room in cells:
        hours = branch.hours_on(day.weekday())
        open_today = hours is not None and day not in calendar.closures
        column = Column(
            day=day,
            room=room,
            closed=calendar.closed_reason(day),
            closure=calendar.closures.get(day),
            opens=hours.opens if open_today else None,
            closes=hours.closes if open_today else None,
        )
        _shade(column, axis)
        busy = []
        for booking in bookings:
            spot = spots.get((booking.id, day))
            if booking.room_id != room.id or spot is None:
                continue
            busy.append((spot["held_from"], spot["held_until"]))
            if spot["starts"] < spot["ends"]:
                column.pieces.append(_piece(booking, spot, day, axis, zone))
            elif spot["held_until"] > axis.first and spot["held_from"] < axis.last:
                column.held.append(Held(axis.rows(spot["held_from"], spot["held_until"])))
        if room.bookable and column.closed is None:
            column.free = _free(column, axis, busy, zone, now, horizon, bool(branch.hours))
        columns.append(column)
    return Grid(axis.first, axis.last, columns)


def _shade(column: Column, axis: _Axis) -> None:
    if column.closed is not None:
        rows = Rows(1, (axis.last - axis.first) // STEP)
        reason = column.closure if column.closure is not None else column.closed
        column.shades.append(Shade(rows, "day", reason))
    elif column.opens is not None and column.closes is not None:
        opens, closes = _of_time(column.opens), _of_time(column.closes)
        if opens > axis.first:
            column.shades.append(Shade(axis.rows(axis.first, opens), "before"))
        if closes < axis.last:
            column.shades.append(Shade(axis.rows(closes, axis.last), "after"))


def _piece(
    booking: Booking, spot: dict[str, int], day: dt.date, axis: _Axis, zone: ZoneInfo
) -> Piece:
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    starts, ends = spot["starts"], spot["ends"]
    held_from, held_until = spot["held_from"], spot["held_until"]
    return Piece(
        booking=booking,
        rows=axis.rows(starts, ends),
        setup=axis.rows(held_from, starts) if held_from < starts else None,
        cleanup=axis.rows(ends, held_until) if held_until > ends else None,
        starts=booking.starts_at.astimezone(zone),
        ends=booking.ends_at.astimezone(zone),
        whole_day=starts == 0 and ends == DAY,
        began_before=booking.blocked_from < midnight,
        goes_on=booking.blocked_until > midnight + dt.timedelta(days=1),
    )


def _free(
    column: Column,
    axis: _Axis,
    busy: list[tuple[int, int]],
    zone: ZoneInfo,
    now: dt.datetime,
    horizon: dt.datetime,
    has_hours: bool,
) -> list[Free]:
    if column.opens is not None:
        opens, closes = _of_time(column.opens), _of_time(column.closes)
    elif has_hours:
        return []  # closed that weekday: closed_reason says so, but be safe
    else:
        opens, closes = axis.first, min(axis.last, LAST_MINUTE)
    room = column.room
    marks = sorted({opens, closes, *range(opens - opens % SLOT + SLOT, closes, SLOT)})
    slots = []
    for start, end in pairwise(marks):
        # The room's set-up before and clean-up after a booking here must not meet another.
        wanted = (start - room.setup_minutes, end + room.cleanup_minutes)
        if any(a < wanted[1] and b > wanted[0] for a, b in busy):
            continue
        begins, finishes = _instant(column.day, start, zone), _instant(column.day, end, zone)
        if begins is None or finishes is None or begins <= now or finishes > horizon:
            continue
        later = [a - room.cleanup_minutes for a, _b in busy if a >= end]
        until = min([start + BOOKING_MINUTES, closes, *later])
        slots.append(Free(axis.rows(start, end), _clock(start), _clock(max(until, end))))
    return slots
