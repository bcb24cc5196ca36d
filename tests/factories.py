"""Test data in one place: the builders every test module and fixture uses.

``Factory`` makes single rows (users, branches, rooms); ``World`` is the branch, people and
courses most tests start from; the other builders set up the scenes of one area (attendance,
reports, the catalogue, the browser wizard). Fixtures live in ``tests/conftest.py`` and call
these; test modules import what they need from here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask
from werkzeug.security import generate_password_hash

from app.circles import services
from app.extensions import db
from app.models import (
    Attendance,
    Branch,
    Circle,
    Closure,
    Course,
    Enrollment,
    Facilitation,
    Meeting,
    OpeningHours,
    Outcome,
    Room,
    User,
)
from app.participation import services as participation
from app.timeutil import local_today, utcnow

PASSWORD = "correct horse battery"


# Test accounts store a cheap scrypt hash (N=1024 instead of werkzeug's 32768). The app hashes
# every password it sets at full strength and reads the cost from each stored hash, so signing
# in still runs the real check; it just does not spend a quarter second of CPU per sign-in on
# thousands of test sign-ins.
def cheap_hash(password: str) -> str:
    return generate_password_hash(password, method="scrypt:1024:8:1")


PASSWORD_HASH = cheap_hash(PASSWORD)


class Factory:
    """Makes rows and commits them, each in its own app context (none is left open)."""

    def __init__(self, app: Flask, password_hash: str):
        self.app = app
        self.password_hash = password_hash
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    # new_*: the row, not yet added (for builders that make many rows and commit once);
    # user/branch/room: the row added and committed, its id returned.
    def new_user(self, email: str | None = None, *, manages: list = (), **fields) -> User:
        """``manages``: branch ids (looked up in the current session) or Branch rows."""
        n = self._next()
        return User(
            email=email or f"user{n}@example.org",
            name=fields.pop("name", f"User {n}"),
            password_hash=self.password_hash,
            managed_branches=[
                b if isinstance(b, Branch) else db.session.get(Branch, b) for b in manages
            ],
            **fields,
        )

    def new_branch(self, name: str | None = None, **fields) -> Branch:
        n = self._next()
        return Branch(
            name=name or f"Branch {n}",
            slug=fields.pop("slug", f"branch-{n}"),
            timezone=fields.pop("timezone", "America/New_York"),
            **fields,
        )

    def new_room(self, branch: int | Branch, name: str | None = None, **fields) -> Room:
        n = self._next()
        return Room(
            **({"branch": branch} if isinstance(branch, Branch) else {"branch_id": branch}),
            name=name or f"Room {n}",
            capacity=fields.pop("capacity", 10),
            features=fields.pop("features", []),
            **fields,
        )

    def _saved(self, make, *args, **fields) -> int:
        with self.app.app_context():
            row = make(*args, **fields)
            db.session.add(row)
            db.session.commit()
            return row.id

    def user(self, email: str | None = None, *, manages: list[int] | None = None, **fields) -> int:
        return self._saved(self.new_user, email, manages=manages or (), **fields)

    def branch(self, name: str | None = None, **fields) -> int:
        return self._saved(self.new_branch, name, **fields)

    def room(self, branch_id: int, name: str | None = None, **fields) -> int:
        return self._saved(self.new_room, branch_id, name, **fields)


# --- the world most tests start from --------------------------------------------------------


def next_weekday(weekday: int, weeks_ahead: int = 2) -> dt.date:
    today = local_today("America/New_York")
    return today + dt.timedelta(days=7 * weeks_ahead + (weekday - today.weekday()) % 7)


class World:
    """A branch with a room and hours, a course, and the people who use them.

    Main Library (open Monday to Saturday, 9:00–21:00) with Lab (20 seats) and Study (4), and
    Kendall (no opening hours); Lena Lead and Cole Co are facilitators, Bo Boss manages Main,
    another manager Kendall, Pat is staff, and there is an administrator. Two courses: Grant
    Writing Basics and a Spanish one. ``circle()`` makes four Tuesdays at 18:00, published.
    """

    def __init__(self, app, factory):
        self.app = app
        # One commit for all of it: most tests start here, and a commit per row was most of
        # their set-up time.
        with app.app_context():
            main = factory.new_branch("Main Library", slug="main")
            kendall = factory.new_branch("Kendall", slug="kendall")
            rooms = [
                factory.new_room(main, "Lab", capacity=20),
                factory.new_room(main, "Study", capacity=4),
            ]
            people = [
                factory.new_user("lead@example.org", name="Lena Lead", is_facilitator=True),
                factory.new_user("co@example.org", name="Cole Co", is_facilitator=True),
                factory.new_user("boss@example.org", name="Bo Boss", manages=[main]),
                factory.new_user("far@example.org", manages=[kendall]),
                factory.new_user("pat@example.org", name="Pat"),
                factory.new_user("admin@example.org", is_admin=True),
            ]
            main.hours = [
                OpeningHours(weekday=weekday, opens=dt.time(9), closes=dt.time(21))
                for weekday in range(6)
            ]
            course = Course(
                title="Grant Writing Basics",
                provider="NNLM",
                url="https://www.nnlm.gov/grants",
                skill_area="grant_writing",
                language="en",
            )
            spanish = Course(
                title="Informática básica",
                provider="GCFGlobal",
                url="https://edu.gcfglobal.org/es/informatica-basica/",
                skill_area="digital_literacy",
                language="es",
            )
            db.session.add_all([main, kendall, *rooms, *people, course, spanish])
            db.session.commit()
            self.branch, self.other_branch = main.id, kendall.id
            self.room, self.small_room = (r.id for r in rooms)
            (
                self.lead,
                self.co,
                self.manager,
                self.other_manager,
                self.participant,
                self.admin,
            ) = (p.id for p in people)
            self.course, self.spanish = course.id, spanish.id

    def circle(self, lead: int | None = None, *, book_room: bool = False, **overrides) -> int:
        """Create a circle through the service (the same path as the web flow). Its room is
        named but not booked unless ``book_room`` (as the wizard does): most tests book it
        themselves, or book the same hours for something else."""
        schedule = {
            "first_date": next_weekday(1),
            "weekdays": [1],
            "start_time": dt.time(18),
            "duration_minutes": 90,
            "meeting_count": 4,
            "explicit_dates": "",
            "timezone": "America/New_York",
            "closure_policy": "move",
        }
        details = {
            "course_id": self.course,
            "branch_id": self.branch,
            "room_id": self.room,
            "format": "in_person",
            "join_url": "",
            "title": "",
            "description": "",
            "welcome_message": "",
            "capacity": 10,
            "signup_closes_on": None,
            "audience": "staff",
            "publish": True,
        }
        for key, value in overrides.items():
            (schedule if key in schedule else details)[key] = value
        with self.app.app_context():
            circle = services.create_circle(
                services.CircleInput(**details),
                services.ScheduleInput(**schedule),
                db.session.get(User, lead or self.lead),
                utcnow(),
                book_room=book_room,
            )
            db.session.commit()
            return circle.id


def wizard_data(world, **overrides) -> dict:
    data = {
        "course_id": world.course,
        "branch_id": world.branch,
        "room_id": world.room,
        "format": "in_person",
        "join_url": "",
        "timezone": "",
        "first_date": next_weekday(1).isoformat(),
        "weekdays": ["1"],
        "start_time": "18:00",
        "duration_minutes": "90",
        "meeting_count": "6",
        "explicit_dates": "",
        "closure_policy": "move",
        "title": "Grant writing circle",
        "description": "We write a grant together.",
        "welcome_message": "Welcome!",
        "capacity": "10",
        "signup_closes_on": "",
        "audience": "public",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- attendance: a circle under way ---------------------------------------------------------


@dataclass
class AttendanceSetting:
    """A public circle with four weekly meetings (the first ``past`` of them already held),
    Lena Lead and Cole Co facilitating, Pat (an account) and two guests enrolled, and Wes
    on the waitlist (capacity 3)."""

    circle: int
    meetings: list[int]
    pat: int
    ann: int
    bob: int
    wes: int


def enroll(app, circle_id: int, name: str, email: str) -> int:
    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        enrollment = participation.join(
            db.session.get(Circle, circle_id),
            participation.Joiner(name=name, email=email, user=user),
            utcnow(),
        )
        db.session.commit()
        return enrollment.id


def set_times(app, meeting_ids: list[int], *, past: int, current: bool = False) -> None:
    """Move the first ``past`` meetings into the past (a day apart, in order); with
    ``current``, the next one started ten minutes ago and runs 80 more minutes."""
    now = utcnow()
    with app.app_context():
        meetings = [db.session.get(Meeting, m) for m in meeting_ids]
        for i, meeting in enumerate(meetings[:past]):
            meeting.starts_at = now - dt.timedelta(days=past - i, hours=2)
            meeting.ends_at = meeting.starts_at + dt.timedelta(minutes=90)
        if current:
            meetings[past].starts_at = now - dt.timedelta(minutes=10)
            meetings[past].ends_at = now + dt.timedelta(minutes=80)
        db.session.commit()


OTHER_FACILITATOR = "fay@example.org"


def build_attendance_setting(app, world: World, factory: Factory) -> AttendanceSetting:
    """The ``AttendanceSetting``, and Fay Other: a facilitator of none of it."""
    factory.user(OTHER_FACILITATOR, name="Fay Other", is_facilitator=True)
    circle_id = world.circle(audience="public", capacity=3)
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
        meetings = list(
            db.session.scalars(
                sa.select(Meeting.id)
                .where(Meeting.circle_id == circle_id)
                .order_by(Meeting.starts_at)
            )
        )
    setting = AttendanceSetting(
        circle=circle_id,
        meetings=meetings,
        pat=enroll(app, circle_id, "Pat", "pat@example.org"),
        ann=enroll(app, circle_id, "Ann Able", "ann@example.org"),
        bob=enroll(app, circle_id, "Bob Baker", "bob@example.org"),
        wes=enroll(app, circle_id, "Wes Waiting", "wes@example.org"),
    )
    set_times(app, setting.meetings, past=1)
    return setting


# --- reports: five quarters of circles ------------------------------------------------------


INJECTION_TITLE = '=HYPERLINK("http://evil.example","CHIS")'


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


class Builder:
    """Adds circles with meetings, places, marks and outcomes straight through the models."""

    def __init__(self, prefix: str = "x"):
        self._n = 0
        self.prefix = prefix

    def course(self, skill_area: str) -> Course:
        self._n += 1
        course = Course(
            title=f"Course {self._n}",
            provider="NNLM",
            url=f"https://example.org/course/{self.prefix}{self._n}",
            skill_area=skill_area,
        )
        db.session.add(course)
        return course

    def circle(
        self,
        branch_id: int,
        course: Course,
        *,
        status: str = "published",
        capacity: int = 10,
        enrolled_count: int = 0,
        timezone: str = "America/New_York",
        meetings: list[tuple[dt.datetime, int, str]] = (),
        places: list[str] = (),
    ) -> tuple[Circle, list[Meeting], list[Enrollment]]:
        self._n += 1
        circle = Circle(
            title=f"Circle {self._n}",
            course=course,
            branch_id=branch_id,
            timezone=timezone,
            capacity=capacity,
            enrolled_count=enrolled_count,
            status=status,
        )
        rows = [
            Meeting(
                circle=circle,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=minutes),
                status=meeting_status,
            )
            for start, minutes, meeting_status in meetings
        ]
        waiting = iter(range(1, 1000))
        places_ = [
            Enrollment(
                circle=circle,
                name=f"Person {i}",
                email=f"p{self.prefix}{self._n}-{i}@example.org",
                status=place,
                waitlist_seq=next(waiting) if place == "waitlisted" else None,
            )
            for i, place in enumerate(places)
        ]
        db.session.add_all([circle, *rows, *places_])
        return circle, rows, places_

    @staticmethod
    def mark(meeting: Meeting, enrollment: Enrollment, status: str) -> None:
        db.session.add(Attendance(meeting=meeting, enrollment=enrollment, status=status))

    @staticmethod
    def outcome(circle: Circle, kind: str, title: str, day: str, **fields) -> None:
        db.session.add(
            Outcome(
                circle=circle,
                kind=kind,
                title=title,
                achieved_on=dt.date.fromisoformat(day),
                status=fields.pop("status", "confirmed"),
                **fields,
            )
        )


@dataclass
class Scene:
    main: int
    kendall: int
    westside: int
    admin: str = "admin@example.org"
    manager: str = "boss@example.org"  # manages Main only
    facilitator: str = "fay@example.org"
    participant: str = "pat@example.org"


def build_scene(app, factory) -> Scene:
    """Three branches, three skill areas, five quarters, and every kind of thing that must
    not count: a cancelled circle, a draft, a circle not started yet, a cancelled meeting,
    reported (unconfirmed) outcomes."""
    scene = Scene(
        main=factory.branch("Main Library", slug="main"),
        kendall=factory.branch("Kendall", slug="kendall"),
        westside=factory.branch("Westside", slug="westside", timezone="America/Los_Angeles"),
    )
    factory.user(scene.admin, is_admin=True)
    factory.user(scene.manager, manages=[scene.main])
    factory.user(scene.facilitator, is_facilitator=True)
    factory.user(scene.participant)
    soon = utcnow() + dt.timedelta(days=20)
    make = Builder()
    with app.app_context():
        health, grants, management = (
            make.course("health_information"),
            make.course("grant_writing"),
            make.course("management"),
        )
        # Main, health, completed, three 90-minute meetings in January 2026.
        chis, meetings, people = make.circle(
            scene.main,
            health,
            status="completed",
            enrolled_count=3,
            meetings=[(at(f"2026-01-{d} 23:00"), 90, "scheduled") for d in (13, 20, 27)],
            places=["completed", "completed", "enrolled", "withdrawn", "waitlisted"],
        )
        done1, done2, stays, left, _ = people
        for meeting, marks in zip(
            meetings,
            [
                [(done1, "present"), (done2, "present"), (stays, "absent")],
                [(done1, "present"), (done2, "excused"), (stays, "present"), (left, "present")],
                [(done1, "present"), (done2, "present"), (stays, "absent")],
            ],
            strict=True,
        ):
            for person, status in marks:
                make.mark(meeting, person, status)
        make.outcome(chis, "credential", "NNLM CHIS", "2026-03-20", ce_hours=Decimal("12.5"))
        make.outcome(chis, "credential", "NNLM CHIS", "2026-04-02", ce_hours=Decimal("12.5"))
        make.outcome(chis, "credential", "NNLM CHIS", "2026-04-03", status="reported")
        make.outcome(chis, "certificate", INJECTION_TITLE, "2026-02-01")

        # Main, grant writing, full, still running: not in the completion rate. A cancelled
        # meeting (with a mark) earlier than the first scheduled one changes nothing.
        writing, meetings, people = make.circle(
            scene.main,
            grants,
            capacity=4,
            enrolled_count=4,
            meetings=[
                (at("2026-03-10 16:00"), 60, "cancelled"),
                (at("2026-06-02 16:00"), 60, "scheduled"),
                (at("2026-06-09 16:00"), 60, "scheduled"),
                (soon, 60, "scheduled"),
            ],
            places=["enrolled", "enrolled", "enrolled", "completed", "waitlisted", "waitlisted"],
        )
        cancelled_meeting, first, second, _ = meetings
        make.mark(cancelled_meeting, people[0], "present")
        for person in people[:4]:
            make.mark(first, person, "present")
        for person, status in zip(
            people[:4], ["present", "present", "present", "absent"], strict=True
        ):
            make.mark(second, person, status)
        make.outcome(writing, "grant", "LSTA grant", "2026-07-15", amount_cents=1_250_000)
        make.outcome(
            writing, "grant", "Big grant", "2026-07-16", amount_cents=900_000, status="reported"
        )
        make.outcome(writing, "promotion", "Branch head", "2026-08-01")

        # Kendall: first meeting 20:30 on 31 March in New York, already April in UTC: Q1.
        kendall, meetings, people = make.circle(
            scene.kendall,
            management,
            capacity=12,
            enrolled_count=5,
            meetings=[
                (at("2026-04-01 00:30"), 50, "scheduled"),
                (at("2026-04-08 00:30"), 50, "scheduled"),
            ],
            places=["completed", "completed", "enrolled", "enrolled", "enrolled"],
        )
        for person in people:
            make.mark(meetings[0], person, "present")
        make.mark(meetings[1], people[0], "present")
        make.mark(meetings[1], people[1], "absent")
        make.outcome(kendall, "other", "Conference talk", "2026-05-05")

        # Westside (Los Angeles), health, autumn 2025.
        west, meetings, people = make.circle(
            scene.westside,
            health,
            status="completed",
            capacity=6,
            enrolled_count=3,
            timezone="America/Los_Angeles",
            meetings=[
                (at("2025-10-07 17:00"), 120, "scheduled"),
                (at("2025-10-14 17:00"), 120, "scheduled"),
            ],
            places=["completed", "completed", "enrolled"],
        )
        for meeting in meetings:
            for person, status in zip(people, ["present", "present", "excused"], strict=True):
                make.mark(meeting, person, status)
        make.outcome(west, "credential", "NNLM CHIS", "2025-12-15", ce_hours=Decimal("12.5"))
        make.outcome(west, "credential", "Earlier credential", "2025-06-10")

        # None of these are circles run.
        past = [(at("2026-02-03 23:00"), 60, "scheduled")]
        _, meetings, people = make.circle(
            scene.kendall,
            grants,
            status="cancelled",
            meetings=past,
            places=["enrolled", "waitlisted"],
        )
        make.mark(meetings[0], people[0], "present")
        make.circle(scene.main, management, status="draft", meetings=past, places=["enrolled"])
        make.circle(
            scene.main, management, meetings=[(soon, 60, "scheduled")], places=["waitlisted"]
        )
        make.circle(
            scene.main, health, meetings=[(past[0][0], 60, "cancelled"), (soon, 60, "scheduled")]
        )
        db.session.commit()
    return scene


# --- the catalogue --------------------------------------------------------------------------


def add_course(app, title: str = "A course", **fields) -> int:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "course"
    values = {
        "title": title,
        "provider": "Coursera",
        "url": f"https://courses.example.org/{slug}",
        "skill_area": "technology",
        **fields,
    }
    with app.app_context():
        course = Course(**values)
        db.session.add(course)
        db.session.commit()
        return course.id


def build_catalogue(app) -> dict[str, int]:
    """Four live courses chosen so that every sort gives a different order, and one retired
    course that matches many of the filters (it must never show)."""
    now = utcnow()
    return {
        "Alpha": add_course(
            app,
            "Alpha",
            provider="WebJunction",
            description="Learn Python basics for library programs",
            skill_area="technology",
            career_stage="new_staff",
            hours=10,
            created_at=now - dt.timedelta(days=1),
        ),
        "Beta": add_course(
            app,
            "Beta",
            provider="Coursera",
            description="Leading teams through change",
            language="es",
            format="scheduled",
            skill_area="leadership",
            career_stage="emerging_managers",
            credential="Certificate of completion",
            hours=None,
            created_at=now - dt.timedelta(days=4),
        ),
        "Gamma": add_course(
            app,
            "Gamma",
            provider="NNLM",
            description="Consumer health reference",
            format="on_demand_video",
            skill_area="health_information",
            career_stage="all",
            credential="CHIS Level I",
            hours=2,
            created_at=now - dt.timedelta(days=2),
        ),
        "Delta": add_course(
            app,
            "Delta",
            provider="Coursera",
            description="Spreadsheets for beginners",
            skill_area="technology",
            career_stage="experienced_staff",
            hours=2,
            created_at=now - dt.timedelta(days=3),
        ),
        "Omega": add_course(
            app,
            "Omega",
            provider="Coursera",
            description="Python again",
            language="es",
            format="scheduled",
            skill_area="technology",
            career_stage="new_staff",
            credential="Badge",
            hours=1,
            created_at=now,
            retired_at=now,
        ),
    }


# --- the browser wizard: Riverside Library --------------------------------------------------


RIVERSIDE_COURSE = "Foundations of Library Management"


@dataclass(frozen=True)
class Riverside:
    """A facilitator, a branch open Monday to Saturday with one closure on a meeting day,
    a room and a course; ``first`` is a Tuesday at least ten days ahead."""

    user_id: int
    branch_id: int
    room_id: int
    course_id: int
    first: dt.date
    closed: dt.date


def tuesday_ahead(days: int = 10) -> dt.date:
    day = dt.date.today() + dt.timedelta(days=days)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def build_riverside(factory: Factory, query) -> Riverside:
    user = factory.user("fay@example.org", name="Fay Facilitator", is_facilitator=True)
    branch = factory.branch("Riverside Library", address="12 River Road, Springfield")
    room = factory.room(branch, "Study Room A", capacity=10)
    first = tuesday_ahead()
    closed = first + dt.timedelta(days=7)  # the second meeting's Tuesday

    def add() -> int:
        db.session.add_all(
            OpeningHours(branch_id=branch, weekday=day, opens=dt.time(9), closes=dt.time(20))
            for day in range(6)
        )
        db.session.add(Closure(branch_id=branch, date=closed, reason="Staff training day"))
        course = Course(
            title=RIVERSIDE_COURSE,
            provider="WebJunction",
            url="https://example.org/courses/foundations-of-library-management",
            skill_area="management",
            hours=12,
        )
        db.session.add(course)
        db.session.commit()
        return course.id

    return Riverside(user, branch, room, query(add), first, closed)
