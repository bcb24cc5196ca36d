"""Branch and room rules. Services validate, change models and flush; views commit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from flask_babel import gettext as _

from app.extensions import db
from app.models import Branch, Closure, OpeningHours, Room, RoomFeature
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


def add_closure(branch: Branch, date: dt.date, reason: str) -> Closure:
    today = local_today(branch.timezone)
    if date < today:
        raise RuleViolation(_("That date has passed."), "date")
    if date > today + CLOSURE_HORIZON:
        raise RuleViolation(_("Closures can be planned up to three years ahead."), "date")
    closure = Closure(branch_id=branch.id, date=date, reason=reason)
    with unique_or_violation(_("The branch is already closed that day."), "date"):
        db.session.add(closure)
    return closure


def remove_closure(closure: Closure) -> None:
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
