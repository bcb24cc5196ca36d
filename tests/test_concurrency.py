"""The booking invariant under real concurrency: 32 simultaneous requests for overlapping
slots of one room, against gunicorn with 4 worker processes, on SQLite and PostgreSQL.
With the protection on exactly one wins; with it off (test-only switch, and the database
constraint dropped) the same burst double-books, which shows the test can fail."""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import (
    Booking,
    Branch,
    Circle,
    Course,
    Enrollment,
    Facilitation,
    Meeting,
    Room,
    User,
)
from app.timeutil import local_today
from tests.conftest import PASSWORD
from tests.live import Client, burst, gunicorn, migrate

REQUESTS = 32


def _seed(url: str) -> tuple[int, int]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        branch = Branch(name="Main", slug="main", timezone="America/New_York")
        room = Room(branch=branch, name="Lab", capacity=20, features=[])
        staff = User(email="staff@example.org", name="Staff", is_facilitator=True)
        staff.set_password(PASSWORD)
        db.session.add_all([branch, room, staff])
        db.session.commit()
        ids = branch.id, room.id
        db.session.remove()
        db.engine.dispose()
    return ids


def _drop_protection(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE booking DROP CONSTRAINT booking_no_overlap")
        else:
            conn.exec_driver_sql("DROP TRIGGER booking_no_overlap_insert")
            conn.exec_driver_sql("DROP TRIGGER booking_no_overlap_update")
    engine.dispose()


def _active_bookings(url: str) -> list[tuple[dt.datetime, dt.datetime]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Booking.starts_at, Booking.ends_at).where(Booking.status == "active")
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def _overlaps(spans) -> int:
    spans = sorted(spans)
    return sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])


def _race(url: str, *, protected: bool) -> tuple[list[int], int, int]:
    branch_id, room_id = _seed(url)
    day = local_today("America/New_York") + dt.timedelta(days=2)
    with gunicorn(url, protected=protected) as base:
        staff = Client(base)
        staff.login("staff@example.org", PASSWORD)
        token = staff.csrf(f"/branches/{branch_id}/bookings/new")

        def send(i: int) -> int:
            # Every request overlaps every other: 10:00 + i minutes, one hour long.
            start = dt.datetime.combine(day, dt.time(10)) + dt.timedelta(minutes=i)
            return (
                Client(base, staff.cookie)
                .post(
                    f"/branches/{branch_id}/bookings/new",
                    {
                        "csrf_token": token,
                        "room_id": room_id,
                        "title": f"Request {i}",
                        "date": day.isoformat(),
                        "start_time": start.strftime("%H:%M"),
                        "end_time": (start + dt.timedelta(hours=1)).strftime("%H:%M"),
                        "repeat": "0",
                    },
                )
                .status
            )

        statuses = burst(send, REQUESTS)
    bookings = _active_bookings(url)
    return statuses, len(bookings), _overlaps(bookings)


def test_only_one_of_32_simultaneous_bookings_wins(fresh_database_url):
    migrate(fresh_database_url)
    statuses, rows, overlaps = _race(fresh_database_url, protected=True)
    assert sorted(statuses) == [302] + [409] * (REQUESTS - 1), statuses
    assert rows == 1
    assert overlaps == 0


def test_without_the_protection_the_same_burst_double_books(fresh_database_url):
    """The control: the test above can fail. Measured here: all 32 requests "win"."""
    migrate(fresh_database_url)
    _drop_protection(fresh_database_url)
    statuses, rows, overlaps = _race(fresh_database_url, protected=False)
    assert rows > 1, statuses
    assert overlaps > 0


# --- sign-ups: 64 people, 10 seats ------------------------------------------------------------

SIGNUPS, SEATS = 64, 10


def _seed_circle(url: str) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        branch = Branch(name="Main", slug="main", timezone="America/New_York")
        lead = User(email="lead@example.org", name="Lead", is_facilitator=True)
        course = Course(
            title="Grants", provider="NNLM", url="https://example.org/c", skill_area="grant_writing"
        )
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
        circle = Circle(
            title="Popular circle",
            course=course,
            branch=branch,
            timezone="America/New_York",
            capacity=SEATS,
            audience="public",
            status="published",
            meetings=[
                Meeting(
                    starts_at=starts, ends_at=starts + dt.timedelta(hours=1), status="scheduled"
                )
            ],
            facilitations=[Facilitation(user=lead, role="lead")],
        )
        db.session.add(circle)
        db.session.commit()
        circle_id = circle.id
        db.session.remove()
        db.engine.dispose()
    return circle_id


def _signup_race(url: str, *, protected: bool):
    circle_id = _seed_circle(url)
    with gunicorn(url, protected=protected) as base:
        # Each guest has a session of their own (a CSRF token is tied to it).
        guests = [Client(base) for _ in range(SIGNUPS)]
        tokens = [g.csrf(f"/circles/{circle_id}/join") for g in guests]

        def send(i: int) -> int:
            return (
                guests[i]
                .post(
                    f"/circles/{circle_id}/join",
                    {
                        "csrf_token": tokens[i],
                        "name": f"Guest {i}",
                        "email": f"guest{i}@example.org",
                    },
                )
                .status
            )

        statuses = burst(send, SIGNUPS)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Enrollment.email, Enrollment.status, Enrollment.waitlist_seq).where(
                Enrollment.circle_id == circle_id
            )
        ).all()
        counter = conn.execute(
            sa.select(Circle.enrolled_count).where(Circle.id == circle_id)
        ).scalar_one()
    engine.dispose()
    return statuses, rows, counter


def test_64_simultaneous_signups_fill_10_seats_and_queue_54_in_order(fresh_database_url):
    migrate(fresh_database_url)
    statuses, rows, counter = _signup_race(fresh_database_url, protected=True)
    assert statuses == [302] * SIGNUPS
    enrolled = [r for r in rows if r.status == "enrolled"]
    waiting = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: r.waitlist_seq)
    assert len(enrolled) == SEATS
    assert counter == SEATS
    assert len(waiting) == SIGNUPS - SEATS
    assert [r.waitlist_seq for r in waiting] == list(range(1, SIGNUPS - SEATS + 1))
    assert len({r.email for r in rows}) == SIGNUPS  # no one twice, no one lost


def test_without_the_protection_signups_overfill_the_circle(fresh_database_url):
    """The control: the naive count-then-insert (test-only switch) lets more than 10 in."""
    migrate(fresh_database_url)
    statuses, rows, _counter = _signup_race(fresh_database_url, protected=False)
    enrolled = [r for r in rows if r.status == "enrolled"]
    places = [r.waitlist_seq for r in rows if r.status == "waitlisted"]
    assert len(enrolled) > SEATS or len(places) != len(set(places)), statuses
