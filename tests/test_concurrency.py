"""The booking invariant under real concurrency: 32 simultaneous requests for overlapping
slots of one room, against gunicorn with 4 worker processes, on SQLite and PostgreSQL.
With the protection on exactly one wins; without it (the test-only server tests/live_wsgi.py
takes the SQLite locking away and the test drops the database constraint) the same burst
double-books, which shows the test can fail. The app itself has no way to turn it off.

The protected proofs share one server per database (``served``: the tables emptied and the
rate-limit counts cleared before each); each control starts its own, unprotected, on a database
of its own whose constraint it drops."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Iterator

import pytest
import redis
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
    GuestSignup,
    Meeting,
    Room,
    User,
)
from app.participation.services import token_digest
from app.timeutil import local_today
from tests.conftest import PASSWORD
from tests.factories import PASSWORD_HASH
from tests.live import Client, burst, gunicorn, migrate, redis_server

REQUESTS = 32


@pytest.fixture(scope="module")
def protected_server(database_url) -> Iterator[tuple[str, str]]:
    """gunicorn (4 workers x 8 threads, the protection on) on the database under test for the
    module, and its Redis: (server, Redis URL)."""
    with redis_server() as redis_url, gunicorn(database_url, ratelimit_storage=redis_url) as base:
        yield base, redis_url


@pytest.fixture
def served(app, database_url, protected_server) -> tuple[str, str]:
    """The database under test with every table empty (``app`` empties them) and the protected
    server on it with no rate-limit counts: (database URL, server)."""
    base, redis_url = protected_server
    counts = redis.Redis.from_url(redis_url)
    counts.flushdb()
    counts.close()
    return database_url, base


def _seed(url: str) -> tuple[int, int]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        branch = Branch(name="Main", slug="main", timezone="America/New_York")
        room = Room(branch=branch, name="Lab", capacity=20, features=[])
        staff = User(email="staff@example.org", name="Staff", is_facilitator=True)
        staff.password_hash = PASSWORD_HASH
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


def _book(client: Client, token: str, branch_id: int, room_id: int, day: dt.date, i: int) -> int:
    """Request ``i`` for the room on ``day``: 10:00 + i minutes, one hour long, so that every
    request overlaps every other. The answer's status."""
    start = dt.datetime.combine(day, dt.time(10)) + dt.timedelta(minutes=i)
    form = {
        "csrf_token": token,
        "room_id": room_id,
        "title": f"Request {i}",
        "date": day.isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": (start + dt.timedelta(hours=1)).strftime("%H:%M"),
        "repeat": "0",
    }
    return client.post(f"/branches/{branch_id}/bookings/new", form).status


def _race(
    url: str, *, protected: bool, requests: int = REQUESTS, served: str | None = None, **server
) -> tuple[list[int], int, int]:
    """``requests`` overlapping bookings of one room at once; the app is served from
    ``served`` (e.g. the same database through PgBouncer) if given, ``server`` goes to
    tests.live.gunicorn (workers, threads, env)."""
    with gunicorn(served or url, protected=protected, **server) as base:
        return _race_at(base, url, requests)


def _race_at(base: str, url: str, requests: int = REQUESTS) -> tuple[list[int], int, int]:
    """The burst of ``_race`` against the server at ``base``, which serves ``url``."""
    branch_id, room_id = _seed(url)
    day = local_today("America/New_York") + dt.timedelta(days=2)
    staff = Client(base)
    staff.login("staff@example.org", PASSWORD)
    token = staff.csrf(f"/branches/{branch_id}/bookings/new")

    def send(i: int) -> int:
        return _book(Client(base, staff.cookie), token, branch_id, room_id, day, i)

    statuses = burst(send, requests)
    bookings = _active_bookings(url)
    return statuses, len(bookings), _overlaps(bookings)


def test_only_one_of_32_simultaneous_bookings_wins(served):
    url, base = served
    statuses, rows, overlaps = _race_at(base, url)
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
        # A colleague who may join (the lead is never offered a place in their own circle).
        db.session.add(User(email="member@example.org", name="Member"))
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


def _seed_signups(url: str, circle_id: int, emails: list[str]) -> list[str]:
    """Guests who asked to join and have their confirmation links: the links' paths."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    paths = []
    with app.app_context():
        now = dt.datetime.now(dt.UTC)
        for i, email in enumerate(emails):
            token = secrets.token_urlsafe(32)
            db.session.add(
                GuestSignup(
                    circle_id=circle_id,
                    name=f"Guest {i}",
                    email=email,
                    token_hash=token_digest(token),
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=1),
                )
            )
            paths.append(f"/join/confirm/{token}")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return paths


def _signup_race(url: str, base: str):
    """64 guests press "Confirm" in their sign-up emails at the same moment (the server at
    ``base`` serves ``url``)."""
    circle_id = _seed_circle(url)
    paths = _seed_signups(url, circle_id, [f"guest{i}@example.org" for i in range(SIGNUPS)])
    # Each guest has a session of their own (a CSRF token is tied to it).
    guests = [Client(base) for _ in range(SIGNUPS)]
    tokens = [g.csrf(path) for g, path in zip(guests, paths, strict=True)]

    def send(i: int) -> int:
        return guests[i].post(paths[i], {"csrf_token": tokens[i]}).status

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


def test_64_simultaneous_signups_fill_10_seats_and_queue_54_in_order(served):
    statuses, rows, counter = _signup_race(*served)
    assert statuses == [302] * SIGNUPS
    enrolled = [r for r in rows if r.status == "enrolled"]
    waiting = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: r.waitlist_seq)
    assert len(enrolled) == SEATS
    assert counter == SEATS
    assert len(waiting) == SIGNUPS - SEATS
    assert [r.waitlist_seq for r in waiting] == list(range(1, SIGNUPS - SEATS + 1))
    assert len({r.email for r in rows}) == SIGNUPS  # no one twice, no one lost


def test_without_the_protection_signups_overfill_the_circle(fresh_database_url):
    """The control: a naive count-then-insert (written in tests/live_wsgi.py) lets more than
    10 in."""
    migrate(fresh_database_url)
    with gunicorn(fresh_database_url, protected=False) as base:
        statuses, rows, _counter = _signup_race(fresh_database_url, base)
    enrolled = [r for r in rows if r.status == "enrolled"]
    places = [r.waitlist_seq for r in rows if r.status == "waitlisted"]
    assert len(enrolled) > SEATS or len(places) != len(set(places)), statuses


# --- duplicate submissions: 409 or an idempotent success, never a 500 ---------------------------

DUPLICATES = 16


def _seed_roster(
    url: str, *, capacity: int, enrolled: int = 0, waiting: int = 0
) -> tuple[int, int]:
    """A published circle led by lead@example.org (who can sign in): ``enrolled`` people in
    its seats, ``waiting`` on its waitlist (places 1, 2, ...). The circle and the last waiter."""
    circle_id = _seed_circle(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        circle.capacity = capacity
        circle.enrolled_count = enrolled
        circle.waitlist_next = waiting
        for user in db.session.scalars(sa.select(User)):
            user.password_hash = PASSWORD_HASH
        people = [
            Enrollment(
                circle_id=circle_id,
                name=f"In {i}",
                email=f"in{i}@example.org",
                status="enrolled",
                enrolled_at=dt.datetime.now(dt.UTC),
            )
            for i in range(enrolled)
        ] + [
            Enrollment(
                circle_id=circle_id,
                name=f"Wait {i}",
                email=f"wait{i}@example.org",
                status="waitlisted",
                waitlist_seq=i,
            )
            for i in range(1, waiting + 1)
        ]
        db.session.add_all(people)
        db.session.commit()
        last = people[-1].id if people else 0
        db.session.remove()
        db.engine.dispose()
    return circle_id, last


def _places(url: str, circle_id: int):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(Enrollment.id, Enrollment.email, Enrollment.status, Enrollment.waitlist_seq)
            .where(Enrollment.circle_id == circle_id)
            .order_by(Enrollment.id)
        ).all()
        counter = conn.execute(
            sa.select(Circle.enrolled_count).where(Circle.id == circle_id)
        ).scalar_one()
    engine.dispose()
    return rows, counter


def test_16_simultaneous_joins_by_one_person_give_one_place_and_no_500(served):
    """A double click (or sixteen) on "Join": one place, the others are told they are in."""
    url, base = served
    circle_id, _last = _seed_roster(url, capacity=10, enrolled=0, waiting=0)
    member = Client(base)
    member.login("member@example.org", PASSWORD)
    token = member.csrf(f"/circles/{circle_id}/join")

    def send(i: int) -> tuple[int, str]:
        path = f"/circles/{circle_id}/join"
        response = Client(base, member.cookie).post(path, {"csrf_token": token})
        return response.status, response.text

    answers = burst(send, DUPLICATES)
    rows, counter = _places(url, circle_id)
    statuses = [status for status, _text in answers]
    assert 500 not in statuses, statuses
    assert statuses.count(302) == 1, statuses
    assert set(statuses) <= {302, 200, 409}, statuses
    # The others are told plainly where they stand (not a generic "conflict" page).
    for status, text in answers:
        if status != 302:
            assert "already signed up" in text or "already in this circle" in text, text[-800:]
    assert [(r.email, r.status) for r in rows] == [("member@example.org", "enrolled")]
    assert counter == 1


def test_8_simultaneous_move_ups_into_a_free_seat_seat_once(served):
    """A free seat (capacity raised) and one person waiting: 8 "Move up" clicks at once."""
    url, base = served
    circle_id, waiter = _seed_roster(url, capacity=2, enrolled=1, waiting=1)
    statuses = _move_up_burst(base, circle_id, waiter)
    rows, counter = _places(url, circle_id)
    assert 500 not in statuses, statuses
    assert set(statuses) == {302}, statuses
    assert [(r.status, r.waitlist_seq) for r in rows] == [("enrolled", None)] * 2
    assert counter == 2


def test_8_simultaneous_move_ups_on_a_full_circle_keep_the_waitlist_in_order(served):
    url, base = served
    circle_id, waiter = _seed_roster(url, capacity=1, enrolled=1, waiting=3)
    statuses = _move_up_burst(base, circle_id, waiter)
    rows, counter = _places(url, circle_id)
    assert 500 not in statuses, statuses
    assert set(statuses) == {302}, statuses
    waiting = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: r.waitlist_seq)
    assert [r.email for r in waiting] == [
        "wait3@example.org",
        "wait1@example.org",
        "wait2@example.org",
    ]
    assert counter == 1


def _move_up_burst(base: str, circle_id: int, enrollment_id: int) -> list[int]:
    lead = Client(base)
    lead.login("lead@example.org", PASSWORD)
    token = lead.csrf(f"/circles/{circle_id}/roster")

    def send(i: int) -> int:
        path = f"/enrollments/{enrollment_id}/promote"
        return Client(base, lead.cookie).post(path, {"csrf_token": token}).status

    return burst(send, 8)


def test_8_simultaneous_uses_of_one_confirmation_link_join_once(served):
    """A double click on "Confirm": one place; the link is used up for the other clicks."""
    url, base = served
    circle_id = _seed_circle(url)
    [path] = _seed_signups(url, circle_id, ["gia@example.org"])
    guest = Client(base)
    token = guest.csrf(path)

    def send(i: int) -> int:
        return Client(base, guest.cookie).post(path, {"csrf_token": token}).status

    statuses = burst(send, 8)
    rows, counter = _places(url, circle_id)
    assert sorted(statuses) == [302] + [404] * 7, statuses
    assert [(r.email, r.status) for r in rows] == [("gia@example.org", "enrolled")]
    assert counter == 1


def test_two_sign_ups_of_one_address_confirmed_at_once_give_one_place(served):
    """The address asked twice and both links are used at the same moment: one place, and
    both answers lead to it."""
    url, base = served
    circle_id = _seed_circle(url)
    paths = _seed_signups(url, circle_id, ["gia@example.org"] * 8)
    guests = [Client(base) for _ in paths]
    tokens = [g.csrf(path) for g, path in zip(guests, paths, strict=True)]

    def send(i: int) -> tuple[int, str]:
        response = guests[i].post(paths[i], {"csrf_token": tokens[i]})
        return response.status, response.headers.get("Location", "")

    answers = burst(send, len(paths))
    rows, counter = _places(url, circle_id)
    assert [status for status, _ in answers] == [302] * len(paths), answers
    assert all(location.startswith("/manage/") for _, location in answers), answers
    assert [(r.email, r.status) for r in rows] == [("gia@example.org", "enrolled")]
    assert counter == 1


def test_8_simultaneous_withdrawals_free_one_seat(served):
    """A double click on "Leave circle": the seat is given back once, to the next in line."""
    url, base = served
    circle_id, _last = _seed_roster(url, capacity=1, waiting=2)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        lead_id = conn.execute(
            sa.select(User.id).where(User.email == "lead@example.org")
        ).scalar_one()
        conn.execute(
            sa.insert(Enrollment).values(
                circle_id=circle_id,
                user_id=lead_id,
                name="Lead",
                email="lead@example.org",
                status="enrolled",
                enrolled_at=dt.datetime.now(dt.UTC),
                goals="",
                answer="",
                consent_contact=False,
                created_at=dt.datetime.now(dt.UTC),
                updated_at=dt.datetime.now(dt.UTC),
            )
        )
        conn.execute(sa.update(Circle).where(Circle.id == circle_id).values(enrolled_count=1))
        mine = conn.execute(
            sa.select(Enrollment.id).where(Enrollment.email == "lead@example.org")
        ).scalar_one()
    engine.dispose()
    lead = Client(base)
    lead.login("lead@example.org", PASSWORD)
    path = f"/my/enrollments/{mine}/withdraw"
    token = lead.csrf(path)

    def send(i: int) -> int:
        return Client(base, lead.cookie).post(path, {"csrf_token": token}).status

    statuses = burst(send, 8)
    rows, counter = _places(url, circle_id)
    assert 500 not in statuses, statuses
    assert [(r.email, r.status, r.waitlist_seq) for r in rows] == [
        ("wait1@example.org", "enrolled", None),
        ("wait2@example.org", "waitlisted", 2),
        ("lead@example.org", "withdrawn", None),
    ]
    assert counter == 1
