"""Branches in three time zones, their opening hours, closures and rooms. Each branch's open
hours are cut into fixed two-hour windows (the same local times every week): a room's window
in a given week goes to at most one circle or event, which is how bookings never overlap."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from app.seed.dataset import Dataset
from app.seed.words import ROOMS, TOWNS
from app.text import fold

T = dt.time
# Opening hours by weekday (0 = Monday): a few patterns real branches keep.
HOURS = {
    "long": {**{d: (T(9), T(20)) for d in range(4)}, 4: (T(9), T(18)), 5: (T(10), T(17))},
    "short": {**{d: (T(10), T(18)) for d in range(5)}, 5: (T(10), T(14))},
    "six_days": {**{d: (T(9, 30), T(17, 30)) for d in range(6)}, 6: (T(13), T(17))},
    "central": {**{d: (T(9), T(21)) for d in range(4)}, 4: (T(9), T(18)), 5: (T(9), T(18))}
    | {6: (T(13), T(17))},
}
WINDOW = dt.timedelta(hours=2)
# Between two windows: more than any room's set-up plus clean-up time (at most 15 + 15).
GAP = dt.timedelta(minutes=30)
PADDING = (0, 0, 10, 15)
CENTRAL_ROOMS = 14


@dataclass
class SeedRoom:
    id: int
    capacity: int
    setup: int
    cleanup: int
    bookable: bool


@dataclass
class SeedBranch:
    id: int
    name: str
    tz: str
    weight: float
    closures: set[dt.date]
    windows: list[tuple[int, dt.time, dt.time]]  # weekday, local start, local end
    rooms: list[SeedRoom] = field(default_factory=list)
    staff: list[int] = field(default_factory=list)
    facilitators: list[int] = field(default_factory=list)
    managers: list[int] = field(default_factory=list)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 the last) given weekday of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def holidays(year: int) -> list[tuple[dt.date, str]]:
    return [
        (dt.date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, 0, 3), "Martin Luther King Jr. Day"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (dt.date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (dt.date(year, 12, 24), "Christmas Eve"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]


def _windows(hours: dict[int, tuple[dt.time, dt.time]]) -> list[tuple[int, dt.time, dt.time]]:
    found = []
    day = dt.date(2000, 1, 3)  # any date: only the times matter
    for weekday, (opens, closes) in sorted(hours.items()):
        start = dt.datetime.combine(day, opens) + GAP
        while start + WINDOW <= dt.datetime.combine(day, closes):
            found.append((weekday, start.time(), (start + WINDOW).time()))
            start += WINDOW + GAP
    return found


def _towns(count: int) -> list[tuple[str, str]]:
    """``count`` towns, about half in the east, a third in the middle, the rest in the west."""
    zones = list(TOWNS)
    shares = [round(count * 0.5), round(count * 0.3)]
    shares.append(count - sum(shares))
    if count >= 3:
        shares = [max(1, s) for s in shares]
        shares[0] = count - shares[1] - shares[2]
    picked = []
    for zone, share in zip(zones, shares, strict=True):
        towns = TOWNS[zone]
        for i in range(share):
            suffix = f" {i // len(towns) + 1}" if i >= len(towns) else ""
            picked.append((towns[i % len(towns)] + suffix, zone))
    return picked


def make_branches(
    data: Dataset, rng: random.Random, count: int, room_count: int, years: range, now: dt.datetime
) -> list[SeedBranch]:
    branches: list[SeedBranch] = []
    rooms_left = room_count
    for n, (town, tz) in enumerate(_towns(count)):
        central = n == 0
        name = "Central Library" if central else f"{town} Branch Library"
        pattern = "central" if central else rng.choice(["long", "long", "short", "six_days"])
        branch_id = data.add(
            "branch",
            name=name,
            slug=fold(name).replace(" ", "-").replace("'", ""),
            address=f"{rng.randint(10, 9999)} Main St, {town}",
            timezone=tz,
            created_at=now,
            updated_at=now,
        )
        for weekday, (opens, closes) in HOURS[pattern].items():
            data.add(
                "opening_hours", branch_id=branch_id, weekday=weekday, opens=opens, closes=closes
            )
        closures = {}
        for year in years:
            closures.update((d, reason) for d, reason in holidays(year))
            for _ in range(2):
                closures.setdefault(
                    dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365)), "Staff day"
                )
        for day, reason in sorted(closures.items()):
            data.add("closure", branch_id=branch_id, date=day, reason=reason)
        branch = SeedBranch(
            branch_id, name, tz, 3.0 if central else 1.0, set(closures), _windows(HOURS[pattern])
        )
        left = count - n
        size = CENTRAL_ROOMS if central else round(rooms_left / left) + rng.randint(-1, 1)
        size = max(1, min(size, len(ROOMS), rooms_left - (left - 1)))
        rooms_left -= size
        for name_, capacity, features in sorted(rng.sample(ROOMS, size)):
            setup, cleanup = rng.choice(PADDING), rng.choice(PADDING)
            bookable = rng.random() > 0.04
            room_id = data.add(
                "room",
                branch_id=branch_id,
                name=name_,
                capacity=capacity,
                features=features,
                bookable=bookable,
                setup_minutes=setup,
                cleanup_minutes=cleanup,
                created_at=now,
                updated_at=now,
            )
            branch.rooms.append(SeedRoom(room_id, capacity, setup, cleanup, bookable))
        branches.append(branch)
    return branches
