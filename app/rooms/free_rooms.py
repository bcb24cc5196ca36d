"""Which rooms are free at a time, across several branches: bookable, seating enough, with the
features asked for, the branch open then (closures, opening hours), and no booking in the way
once both sides' set-up and clean-up are counted. The booking rules are ``bookings.py``'s own:
what is listed free here is what the booking form accepts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.extensions import db
from app.models import Branch, Room
from app.rooms.bookings import check_opening, clash_message, horizon_end, overlapping
from app.rules import RuleViolation
from app.timeutil import to_utc


@dataclass(frozen=True)
class Candidate:
    """A room that fits the needs; ``problem`` says why it is not free then (None: free)."""

    room: Room
    starts: dt.datetime
    ends: dt.datetime
    problem: str | None

    @property
    def free(self) -> bool:
        return self.problem is None


def _problem(room: Room, starts: dt.datetime, ends: dt.datetime) -> str | None:
    if ends > horizon_end():
        return _("Too far ahead to book.")
    try:
        check_opening(room, starts, ends)
    except RuleViolation as violation:
        return violation.message
    held_from = starts - dt.timedelta(minutes=room.setup_minutes)
    held_until = ends + dt.timedelta(minutes=room.cleanup_minutes)
    clash = next(iter(overlapping(room.id, held_from, held_until)), None)
    return clash_message(room, clash) if clash is not None else None


def find(
    branches: Sequence[Branch],
    day: dt.date,
    start: dt.time,
    end: dt.time,
    *,
    seats: int,
    features: Collection[str],
    now: dt.datetime,
) -> list[Candidate]:
    """Every bookable room of ``branches`` that seats ``seats`` and has ``features``, for
    ``day`` ``start``-``end`` in each branch's own time zone: the free ones first (the
    smallest that fits first), then the others with why not."""
    if end <= start:
        raise RuleViolation(_("The end must be after the start."), "end_time")
    rooms = db.session.scalars(
        sa.select(Room)
        .where(
            Room.branch_id.in_([b.id for b in branches]),
            Room.bookable,
            Room.capacity >= seats,
        )
        .options(so.joinedload(Room.branch))
    ).all()
    found = []
    past = False
    for room in rooms:
        if not set(features) <= set(room.features):
            continue
        try:
            starts = to_utc(day, start, room.branch.timezone)
            ends = to_utc(day, end, room.branch.timezone)
        except RuleViolation as violation:  # the clocks skip that time there
            found.append(Candidate(room, now, now, violation.message))
            continue
        if starts <= now:
            past = True
            continue
        found.append(Candidate(room, starts, ends, _problem(room, starts, ends)))
    if past and not found:
        raise RuleViolation(_("Choose a time in the future."), "date")
    found.sort(key=lambda c: (not c.free, c.room.capacity, c.room.branch.name, c.room.name))
    return found
