"""Circles over two years (past, running, planned), their meetings, facilitators and room
bookings, and the other bookings rooms get (events, maintenance blocks).

Each circle meets weekly in one of its branch's windows (``places.py``), in local time, so a
series across a daylight-saving change keeps its local hour. A room's window in a given week,
and a facilitator's, goes to one circle or event only: nothing overlaps, by construction."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from app.models import (
    Audience,
    BookingKind,
    BookingStatus,
    Circle,
    CircleFormat,
    CircleStatus,
    FacilitatorRole,
    MeetingStatus,
)
from app.seed.catalog import SeedCourse
from app.seed.dataset import Dataset
from app.seed.people import search_text
from app.seed.places import SeedBranch, SeedRoom
from app.seed.words import EVENTS, REFLECTIONS

UTC = dt.UTC
FORMATS = [CircleFormat.in_person] * 11 + [CircleFormat.hybrid] * 4 + [CircleFormat.virtual] * 5
SEATS = [8, 10, 12, 12, 15, 16, 20, 24, 25, 30]
SEASONS = {12: "Winter", 1: "Winter", 2: "Winter", 3: "Spring", 4: "Spring", 5: "Spring"}


@dataclass
class SeedMeeting:
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    scheduled: bool
    row: dict  # as loaded: its attendance counts are added up as marks are made


@dataclass
class SeedCircle:
    id: int
    branch: SeedBranch
    course: SeedCourse
    status: CircleStatus
    public: bool
    capacity: int
    facilitators: list[int]
    row: dict  # the circle's row: counters are set when places are made
    meetings: list[SeedMeeting] = field(default_factory=list)

    @property
    def first_start(self) -> dt.datetime:
        return self.meetings[0].starts_at

    @property
    def last_end(self) -> dt.datetime:
        return self.meetings[-1].ends_at


class Calendar:
    """Which weeks each room window and each facilitator window are taken."""

    def __init__(self, base: dt.date, weeks: int) -> None:
        self.base, self.weeks = base, weeks
        self.taken: dict[tuple[str, int, int], set[int]] = {}

    def free(self, kind: str, owner: int, window: int, weeks: list[int]) -> bool:
        return self.taken.get((kind, owner, window), set()).isdisjoint(weeks)

    def take(self, kind: str, owner: int, window: int, weeks: list[int]) -> None:
        self.taken.setdefault((kind, owner, window), set()).update(weeks)

    def day(self, week: int, weekday: int) -> dt.date:
        return self.base + dt.timedelta(weeks=week, days=weekday)


def local(day: dt.date, at: dt.time, tz: str) -> dt.datetime:
    """A local wall-clock time as UTC (opening hours never fall in a DST gap)."""
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _dates(cal: Calendar, branch: SeedBranch, weekday: int, start: int, count: int):
    """The next ``count`` open dates on ``weekday`` from week ``start`` (closures skipped)."""
    days, weeks, week = [], [], start
    while len(days) < count and week < cal.weeks + 30:
        day = cal.day(week, weekday)
        if day not in branch.closures:
            days.append(day)
            weeks.append(week)
        week += 1
    return days, weeks


def _pick(rng, cal: Calendar, kind: str, owners, window: int, weeks: list[int]):
    owners = list(owners)
    rng.shuffle(owners)
    return next((o for o in owners if cal.free(kind, o, window, weeks)), None)


def _status(rng: random.Random, first: dt.datetime, last: dt.datetime, now: dt.datetime):
    if last < now:
        return CircleStatus.completed if rng.random() < 0.92 else CircleStatus.cancelled
    if first <= now:
        return CircleStatus.published if rng.random() < 0.97 else CircleStatus.cancelled
    roll = rng.random()
    if roll < 0.78:
        return CircleStatus.published
    return CircleStatus.draft if roll < 0.95 else CircleStatus.cancelled


def make_circles(
    data: Dataset,
    rng: random.Random,
    cal: Calendar,
    branches: list[SeedBranch],
    courses: list[SeedCourse],
    count: int,
    now: dt.datetime,
) -> list[SeedCircle]:
    open_courses = [c for c in courses if not c.retired]
    weights = [b.weight for b in branches]
    circles = []
    for _ in range(count):
        branch = rng.choices(branches, weights)[0]
        course = rng.choice(open_courses)
        fmt = rng.choice(FORMATS)
        meetings = rng.randint(8, 20)
        start_week = rng.randrange(0, cal.weeks - 20)
        for attempt in range(12):
            if attempt >= 8:
                fmt = CircleFormat.virtual  # no room free at any time tried: meet online
            window = rng.randrange(len(branch.windows))
            weekday, start, _end = branch.windows[window]
            days, weeks = _dates(cal, branch, weekday, start_week, meetings)
            lead = _pick(rng, cal, "person", branch.facilitators, window, weeks)
            if lead is None:
                continue
            room = None
            if fmt != CircleFormat.virtual:
                rooms = [r.id for r in branch.rooms if r.bookable and r.capacity >= 8]
                room_id = _pick(rng, cal, "room", rooms, window, weeks)
                if room_id is None:
                    continue
                room = next(r for r in branch.rooms if r.id == room_id)
            break
        else:
            continue
        cal.take("person", lead, window, weeks)
        people = [lead]
        if rng.random() < 0.3:
            others = [f for f in branch.facilitators if f != lead]
            co = _pick(rng, cal, "person", others, window, weeks)
            if co is not None:
                cal.take("person", co, window, weeks)
                people.append(co)
        if room is not None:
            cal.take("room", room.id, window, weeks)
        minutes = rng.choice([60, 90, 90, 120])
        spans = [
            (local(d, start, branch.tz), local(d, start, branch.tz) + dt.timedelta(minutes=minutes))
            for d in days
        ]
        circles.append(_circle(data, rng, branch, course, fmt, room, people, spans, weekday, now))
    return circles


def _circle(data, rng, branch, course, fmt, room, people, spans, weekday, now) -> SeedCircle:
    first, last = spans[0][0], spans[-1][0]
    status = _status(rng, first, last, now)
    capacity = rng.choice(SEATS)
    capacity = min(capacity, room.capacity) if room else capacity + rng.choice([0, 10])
    local_first = first.astimezone(ZoneInfo(branch.tz))
    season = SEASONS.get(local_first.month, "Summer" if local_first.month < 9 else "Fall")
    title = course.title
    if rng.random() < 0.6:
        title = f"{course.title} ({season} {local_first.year})"
    # Planned weeks ahead, but never in the future: the data is as it stands today.
    created = min(first - dt.timedelta(days=rng.randint(20, 60)), now - dt.timedelta(days=1))
    public = rng.random() < 0.15
    row = {
        "title": title,
        "description": f"{course.description} Meets at {branch.name}.",
        "welcome_message": "Welcome! Bring a laptop or borrow one from the branch."
        if rng.random() < 0.5
        else "",
        "course_id": course.id,
        "branch_id": branch.id,
        "room_id": room.id if room else None,
        "format": fmt,
        "timezone": branch.tz,
        "capacity": capacity,
        "signup_closes_at": first - dt.timedelta(days=2) if rng.random() < 0.2 else None,
        "audience": Audience.public if public else Audience.staff,
        "status": status,
        "enrolled_count": 0,
        "waitlist_next": 0,
        "ask_goals": rng.random() < 0.3,
        "self_checkin": rng.random() < 0.2,
        "completion_min_meetings": len(spans) - 2 if rng.random() < 0.6 else None,
        "custom_question": "What do you hope to learn?" if rng.random() < 0.1 else "",
        "created_by_id": people[0],
        "created_at": created,
        "updated_at": created,
    }
    cancel_from = len(spans)
    if status == CircleStatus.cancelled:
        future = [i for i, (s, _e) in enumerate(spans) if s > now]
        cancel_from = future[0] if future else rng.randint(1, len(spans) - 1)
    scheduled = [n < cancel_from and (n == 0 or rng.random() > 0.02) for n in range(len(spans))]
    row["weekday_mask"] = (1 << weekday) if any(scheduled) else 0
    row["search_text"] = search_text(Circle, row)
    circle_id = data.put("circle", row)
    row["join_url"] = f"https://meet.example.org/circle-{circle_id}" if fmt != "in_person" else ""
    for n, user_id in enumerate(people):
        role = FacilitatorRole.lead if n == 0 else FacilitatorRole.co
        data.link(
            "facilitation", circle_id=circle_id, user_id=user_id, role=role, created_at=created
        )
    circle = SeedCircle(circle_id, branch, course, status, public, capacity, people, row)
    for (starts, ends), on in zip(spans, scheduled, strict=True):
        meeting = {
            "circle_id": circle_id,
            "starts_at": starts,
            "ends_at": ends,
            "status": MeetingStatus.scheduled if on else MeetingStatus.cancelled,
            "sequence": (room is not None) + (not on),
            "reflection": rng.choice(REFLECTIONS) if starts < now and rng.random() < 0.1 else None,
            "present_count": 0,
            "marked_count": 0,
            "created_at": created,
            "updated_at": created,
        }
        meeting_id = data.put("meeting", meeting)
        circle.meetings.append(SeedMeeting(meeting_id, starts, ends, on, meeting))
        if room is not None:
            _book(
                data,
                room,
                starts,
                ends,
                title,
                people[0],
                created,
                BookingKind.meeting,
                meeting_id=meeting_id,
                active=on,
            )
    return circle


def _book(
    data, room: SeedRoom, starts, ends, title, by, created, kind, *, meeting_id=None, active=True
) -> None:
    data.add(
        "booking",
        room_id=room.id,
        meeting_id=meeting_id,
        kind=kind,
        title=title,
        starts_at=starts,
        ends_at=ends,
        blocked_from=starts - dt.timedelta(minutes=room.setup),
        blocked_until=ends + dt.timedelta(minutes=room.cleanup),
        status=BookingStatus.active if active else BookingStatus.cancelled,
        created_by_id=by,
        sequence=0 if active else 1,
        created_at=created,
        updated_at=created,
    )


def make_events(data, rng, cal: Calendar, branches, count: int, blocks: int, now) -> None:
    """Staff events in windows no circle took, and whole days rooms are out of use."""
    weights = [b.weight for b in branches]
    made = tries = 0
    while made < count and tries < count * 5:
        tries += 1
        branch = rng.choices(branches, weights)[0]
        rooms = [r for r in branch.rooms if r.bookable]
        if not rooms or not branch.managers:
            continue
        room, window = rng.choice(rooms), rng.randrange(len(branch.windows))
        weekday, start, _end = branch.windows[window]
        week = rng.randrange(cal.weeks)
        day = cal.day(week, weekday)
        if day in branch.closures or not cal.free("room", room.id, window, [week]):
            continue
        cal.take("room", room.id, window, [week])
        starts = local(day, start, branch.tz)
        ends = starts + dt.timedelta(minutes=rng.choice([60, 90, 120]))
        _book(
            data,
            room,
            starts,
            ends,
            rng.choice(EVENTS),
            rng.choice(branch.managers),
            min(starts - dt.timedelta(days=14), now),
            BookingKind.event,
            active=rng.random() > 0.05,
        )
        made += 1
    for _ in range(blocks):
        branch = rng.choices(branches, weights)[0]
        room, week, weekday = rng.choice(branch.rooms), rng.randrange(cal.weeks), rng.randrange(7)
        windows = [w for w, (d, _s, _e) in enumerate(branch.windows) if d == weekday]
        if not all(cal.free("room", room.id, w, [week]) for w in windows):
            continue
        for w in windows:
            cal.take("room", room.id, w, [week])
        day = cal.day(week, weekday)
        starts = local(day, dt.time(0), branch.tz)
        ends = local(day + dt.timedelta(days=1), dt.time(0), branch.tz)
        _book(
            data,
            room,
            starts,
            ends,
            "Maintenance",
            (branch.managers or [None])[0],
            min(starts - dt.timedelta(days=30), now),
            BookingKind.block,
        )
