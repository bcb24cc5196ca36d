"""Planning a circle leads to a booked room (issue 13): the "where and when" step shows the
branch's hours, closures and rooms and is checked as soon as it is left; creating a circle
with a room books it; the booking page names a reason shared by every room once, with what
would work; the demo data keeps its own rules."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.circles import planning
from app.extensions import db
from app.models import (
    Booking,
    BookingStatus,
    Branch,
    Circle,
    CircleFormat,
    Closure,
    Meeting,
    MeetingStatus,
    OpeningHours,
    Room,
    User,
)
from app.places import branch_closed, opening_hours
from app.rooms import bookings as booking_rules
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import next_weekday, wizard_data

NY = ZoneInfo("America/New_York")


def post(client, data: dict, goto: str | None = None, **extra) -> tuple[int, str]:
    body = data | ({"goto": goto} if goto else {}) | extra
    response = client.post("/circles/new", data=body)
    return response.status_code, html.unescape(response.text)


def step_of(page: str) -> str:
    return re.search(r"<h2>([^<]+)</h2>", page).group(1)


def count(query, model) -> int:
    return query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def meeting_bookings(query) -> list[tuple[int | None, str]]:
    """(booked room, local start) of every meeting, in order."""
    return query(
        lambda: [
            (m.booking.room_id if m.booking else None, f"{m.starts_at.astimezone(NY):%m-%d %H:%M}")
            for m in db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at))
        ]
    )


def book_lab(app, world, day: dt.date, start: str, end: str, title: str = "Board meeting"):
    with app.app_context():
        booking_rules.book(
            db.session.get(Room, world.room),
            dt.datetime.combine(day, dt.time.fromisoformat(start), tzinfo=NY),
            dt.datetime.combine(day, dt.time.fromisoformat(end), tzinfo=NY),
            title=title,
            by=db.session.get(User, world.manager),
        )
        db.session.commit()


# --- the step: the branch's hours, closures and rooms ----------------------------------------


def test_the_step_shows_the_branch_its_rooms_and_a_time_inside_its_hours(
    client, world, factory, app
):
    factory.room(world.other_branch, "Elsewhere")
    first = next_weekday(1)
    with app.app_context():
        db.session.add(Closure(branch_id=world.branch, date=first, reason="Staff day"))
        db.session.commit()
    login(client, "lead@example.org")
    # Arriving from the course step: no time typed yet.
    data = {"course_id": world.course, "branch_id": world.branch}
    status, page = post(client, data, "when")
    assert (status, step_of(page)) == (200, "Where and when")
    assert "When Main Library is open" in page
    assert re.search(r"<dt>Monday–Saturday</dt><dd>9:00 AM–9:00 PM</dd>", page)
    assert re.search(r"<dt>Sunday</dt><dd>Closed</dd>", page)
    assert "Staff day" in page
    # The latest half hour at which a 90-minute meeting ends by closing time.
    assert re.search(r'name="start_time"[^>]* value="19:30"', page)
    # Only this branch's rooms are offered; the branch reloads the step when changed.
    assert ">Lab (20)<" in page
    assert ">Study (4)<" in page
    assert "Elsewhere" not in page
    assert 'data-submit-on-change="show-rooms"' in page
    assert f'data-shown="{world.branch}"' in page
    assert 'id="show-rooms"' in page
    assert "Fill in the schedule above to see which rooms are free for it." in page


def test_the_offered_time_follows_the_branch_until_one_is_typed(client, world, factory, app):
    late = factory.branch("Late Branch", slug="late")
    with app.app_context():
        db.session.add_all(
            OpeningHours(branch_id=late, weekday=d, opens=dt.time(12), closes=dt.time(22))
            for d in range(5)
        )
        db.session.commit()
    login(client, "lead@example.org")
    data = {"course_id": world.course, "duration_minutes": "60"}
    _, page = post(client, data | {"branch_id": world.branch}, "when")
    assert re.search(r'name="start_time"[^>]* value="20:00"', page)
    # Another branch while the offered time stands: offered again, for that branch.
    again = data | {"branch_id": late, "start_time": "20:00", "start_suggested": "20:00"}
    _, page = post(client, again, "when")
    assert re.search(r'name="start_time"[^>]* value="21:00"', page)
    # A time the facilitator typed stays.
    typed = data | {"branch_id": late, "start_time": "13:15", "start_suggested": "21:00"}
    _, page = post(client, typed, "when")
    assert re.search(r'name="start_time"[^>]* value="13:15"', page)


def test_each_room_says_how_many_planned_meetings_it_is_free_for(client, world, app):
    data = wizard_data(world)
    second = next_weekday(1) + dt.timedelta(weeks=1)
    book_lab(app, world, second, "17:30", "18:30")
    login(client, "lead@example.org")
    _, page = post(client, data, "when")
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>\s*<td>(.*?)</td>", page, re.S)
    free = {name: re.sub(r"\s+", " ", cell) for name, _seats, cell in rows}
    assert "5 of 6 meetings" in free["Lab"]
    assert "Lab is taken" in free["Lab"]
    assert "Board meeting" in free["Lab"]
    assert "all 6 meetings" in free["Study"]
    assert "For the 6 meetings planned above." in page


# --- checked as soon as the step is left ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_date": "2020-01-07"}, "The first meeting must be in the future."),
        ({"weekdays": None}, "Choose at least one weekday."),
        ({"format": "virtual", "join_url": ""}, "Online and hybrid circles need a join link."),
        ({"explicit_dates": "2027-02-30"}, "is not a date like 2027-01-31"),
        ({"explicit_dates": "next tuesday"}, "“next tuesday” is not a date"),
        (
            {"start_time": "20:00"},
            "All 6 meetings are after closing time, 9:00 PM. Main Library is open 9:00 AM–9:00 PM "
            "on Tuesday: a 90-minute meeting fits if it starts between 9:00 AM and 7:30 PM.",
        ),
        (
            {"start_time": "08:00", "room_id": ""},
            "All 6 meetings are before opening time, 9:00 AM.",
        ),
        (
            {"start_time": "20:00", "format": "hybrid", "join_url": "https://meet.example.org/x"},
            "All 6 meetings are after closing time, 9:00 PM.",
        ),
        (
            {"explicit_dates": next_weekday(6).isoformat(), "closure_policy": "skip"},
            "No meeting is left: the branch is closed on every date.",  # no Sunday hours
        ),
    ],
    ids=[
        "past",
        "no-weekday",
        "no-join-link",
        "no-such-date",
        "not-a-date",
        "after-closing",
        "before-opening-without-room",
        "hybrid-with-room",
        "closed-day-skipped",
    ],
)
def test_where_and_when_is_checked_before_the_details(client, world, query, overrides, message):
    login(client, "lead@example.org")
    status, page = post(client, wizard_data(world, **overrides), "details")
    assert (status, step_of(page)) == (200, "Where and when")
    assert message in page
    assert "Please correct the fields marked below." in page
    assert count(query, Circle) == 0


def test_a_room_of_another_branch_is_refused_before_the_details(client, world, factory, query):
    foreign = factory.room(world.other_branch, "Elsewhere")
    login(client, "lead@example.org")
    _status, page = post(client, wizard_data(world, room_id=str(foreign)), "details")
    assert step_of(page) == "Where and when"
    assert "Choose a room of this branch." in page


def test_a_time_the_creator_already_facilitates_is_refused_before_the_details(client, world):
    world.circle(start_time=dt.time(18, 30), room_id=None, title="Evening circle")
    login(client, "lead@example.org")
    _, page = post(client, wizard_data(world), "details")
    assert step_of(page) == "Where and when"
    assert "Lena Lead already facilitates “Evening circle”" in page


@pytest.mark.parametrize("case", ["virtual", "hybrid-without-room", "branch-without-hours"])
def test_hours_hold_only_where_the_branch_hosts_the_meetings(client, world, case):
    link = "https://meet.example.org/x"
    overrides = {
        "virtual": {"format": "virtual", "join_url": link, "start_time": "20:00"},
        "hybrid-without-room": {"format": "hybrid", "join_url": link, "room_id": ""},
        "branch-without-hours": {
            "branch_id": world.other_branch,
            "room_id": "",
            "start_time": "20:00",
        },
    }[case]
    login(client, "lead@example.org")
    _, page = post(client, wizard_data(world, **overrides), "details")
    assert step_of(page) == "Details"


def test_night_and_midnight_are_warnings_not_refusals(client, world, query):
    data = wizard_data(
        world,
        format="virtual",
        join_url="https://meet.example.org/late",
        room_id="",
        start_time="23:30",
        duration_minutes="60",
    )
    login(client, "lead@example.org")
    _, page = post(client, data, "details")
    assert step_of(page) == "Details"
    assert "The meetings run past midnight (11:30 PM–12:30 AM)." in page
    assert "The meetings start at night (11:30 PM)." in page
    assert "Change the times" in page
    _, page = post(client, data, "review")
    assert step_of(page) == "Review"
    assert "The meetings run past midnight" in page
    response = client.post("/circles/new", data=data | {"action": "create"})
    assert response.status_code == 302
    assert count(query, Meeting) == 6


def test_an_early_evening_start_is_no_warning(client, world):
    login(client, "lead@example.org")
    _, page = post(client, wizard_data(world, start_time="18:00"), "details")
    assert "at night" not in page
    assert "midnight" not in page


# --- creating books the room -----------------------------------------------------------------


def test_creating_with_a_room_books_it_for_every_meeting(client, world, query):
    login(client, "lead@example.org")
    data = wizard_data(world)
    _, page = post(client, data, "review")
    assert "Lab will be booked for every meeting." in page
    response = client.post("/circles/new", data=data | {"action": "create", "publish": "y"})
    assert response.status_code == 302
    assert [room for room, _start in meeting_bookings(query)] == [world.room] * 6
    page = html.unescape(client.get(response.headers["Location"]).text)
    assert "Circle created and published." in page
    assert "Lab is booked for every meeting." in page
    assert "not booked" not in page
    kinds = query(lambda: {(b.kind, b.status) for b in db.session.scalars(sa.select(Booking))})
    assert kinds == {("meeting", "active")}


def test_creating_books_the_free_meetings_and_the_review_names_the_others(
    client, world, app, query
):
    second = next_weekday(1) + dt.timedelta(weeks=1)
    book_lab(app, world, second, "17:30", "18:30")
    login(client, "lead@example.org")
    data = wizard_data(world)
    _, page = post(client, data, "review")
    assert "Lab will be booked for 5 of 6 meetings. These will have no room yet:" in page
    assert "Lab is taken" in page
    assert "“Board meeting”" in page
    response = client.post("/circles/new", data=data | {"action": "create"})
    assert response.status_code == 302
    rooms = [room for room, _start in meeting_bookings(query)]
    assert rooms == [world.room, None, world.room, world.room, world.room, world.room]
    page = html.unescape(client.get(response.headers["Location"]).text)
    assert "1 meeting has no room yet: book one with “Book rooms”." in page


def test_no_room_picked_books_nothing_and_the_review_says_so(client, world, query):
    login(client, "lead@example.org")
    data = wizard_data(world, room_id="")
    _, page = post(client, data, "review")
    assert "No room will be booked" in page
    client.post("/circles/new", data=data | {"action": "create"})
    assert count(query, Meeting) == 6
    assert count(query, Booking) == 0


def test_a_refused_creation_books_nothing(client, world, query):
    world.circle(start_time=dt.time(18, 30), room_id=None)  # the lead is busy then
    login(client, "lead@example.org")
    response = client.post("/circles/new", data=wizard_data(world) | {"action": "create"})
    assert "already facilitates" in response.text
    assert count(query, Booking) == 0
    assert count(query, Circle) == 1


def test_the_service_books_the_room_when_asked(app, world):
    with app.app_context():
        circle_id = world.circle(book_room=True)
        circle = db.session.get(Circle, circle_id)
        assert all(m.booking and m.booking.room_id == world.room for m in circle.meetings)


# --- the booking page: one reason, named once, and the way out ----------------------------


def close_tuesdays_at(app, world, closes: dt.time) -> None:
    with app.app_context():
        hours = db.session.scalars(
            sa.select(OpeningHours).filter_by(branch_id=world.branch, weekday=1)
        ).one()
        hours.closes = closes
        db.session.commit()


def test_the_booking_page_names_the_shared_reason_once_and_offers_the_move(client, world, app):
    circle_id = world.circle(capacity=4)  # four Tuesdays at 18:00
    close_tuesdays_at(app, world, dt.time(18))
    login(client, "lead@example.org")
    page = html.unescape(client.get(f"/circles/{circle_id}/rooms").text)
    assert "No room can be booked for 4 meetings" in page
    assert page.count("All 4 meetings are after closing time, 6:00 PM.") == 1
    assert "a 90-minute meeting fits if it starts between 9:00 AM and 4:30 PM" in page
    assert "<dt>Tuesday</dt><dd>9:00 AM–6:00 PM</dd>" in page
    meeting_ids = [m for (m,) in _meeting_ids(app, circle_id)]
    for meeting_id in meeting_ids:
        assert f'href="/meetings/{meeting_id}/edit"' in page
    assert "(the branch is closed for the others)" in page
    assert "Outside opening hours" not in page  # not once per room and meeting
    assert "Back to the circle" in page
    assert 'name="mode"' not in page  # nothing to book until the meetings move

    # The meeting's own room page says the same, and leads to moving it.
    page = html.unescape(client.get(f"/meetings/{meeting_ids[0]}/room").text)
    assert "The meeting is after closing time, 6:00 PM." in page
    assert f'href="/meetings/{meeting_ids[0]}/edit"' in page


def test_a_clash_with_one_room_is_still_listed_with_that_room(client, world, app):
    circle_id = world.circle(capacity=4)
    first = _meeting_ids(app, circle_id, starts=True)[0][1].astimezone(NY)
    book_lab(app, world, first.date(), "17:00", "18:30")
    login(client, "lead@example.org")
    page = html.unescape(client.get(f"/circles/{circle_id}/rooms").text)
    assert "No room can be booked" not in page
    assert "3 of 4 meetings" in page
    assert "Board meeting" in page


def _meeting_ids(app, circle_id: int, starts: bool = False) -> list[tuple]:
    with app.app_context():
        columns = (Meeting.id, Meeting.starts_at) if starts else (Meeting.id,)
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(*columns)
                .where(Meeting.circle_id == circle_id)
                .order_by(Meeting.starts_at)
            )
        ]


# --- the rules in one place ----------------------------------------------------------------


def test_branch_closed_says_why_in_one_sentence(app, world):
    with app.app_context():
        branch = db.session.get(Branch, world.branch)
        tuesday = next_weekday(1)

        def at(day: dt.date, start: str, minutes: int = 90) -> Meeting:
            starts = dt.datetime.combine(day, dt.time.fromisoformat(start), tzinfo=NY)
            return Meeting(starts_at=starts, ends_at=starts + dt.timedelta(minutes=minutes))

        assert branch_closed(branch, [at(tuesday, "18:00")]) is None
        late = branch_closed(branch, [at(tuesday, "20:00"), at(tuesday, "10:00")])
        assert late.reason == "1 of 2 meetings is after closing time, 9:00 PM."
        mixed = branch_closed(branch, [at(tuesday, "20:00"), at(tuesday, "08:00")])
        assert mixed.reason == "All 2 meetings are outside the opening hours of Main Library."
        sunday = branch_closed(branch, [at(next_weekday(6), "10:00")])
        assert sunday.reason == "The meeting is on a day Main Library is closed."
        assert sunday.fix == "Move them to a day the branch is open."
        long = branch_closed(branch, [at(tuesday, "08:00", 480)])
        assert long.fix == (
            "Main Library is open 9:00 AM–9:00 PM on Tuesday: a 480-minute meeting fits if it "
            "starts between 9:00 AM and 1:00 PM."
        )
        assert [(d.days, d.hours) for d in opening_hours(branch)] == [
            ("Monday–Saturday", "9:00 AM–9:00 PM"),
            ("Sunday", "Closed"),
        ]
        assert opening_hours(db.session.get(Branch, world.other_branch)) == []


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(90, dt.time(19, 30)), (60, dt.time(20)), (45, dt.time(20)), (12 * 60, dt.time(9))],
)
def test_suggested_start_fits_every_open_day(app, world, minutes, expected):
    with app.app_context():
        branch = db.session.get(Branch, world.branch)
        assert planning.suggested_start(branch, minutes) == expected
        assert planning.suggested_start(None, minutes) == planning.USUAL_START


# --- the demo keeps its own rules ----------------------------------------------------------


def test_every_planned_demo_meeting_in_a_branch_has_a_room(app, demo, query):
    def unbooked():
        meetings = db.session.scalars(
            sa.select(Meeting)
            .join(Circle)
            .where(
                Meeting.status == MeetingStatus.scheduled,
                Meeting.starts_at > utcnow(),
                Circle.format != CircleFormat.virtual,
            )
        ).all()
        assert meetings
        return [
            (m.circle.title, m.starts_at)
            for m in meetings
            if m.booking is None or m.booking.status != BookingStatus.active
        ]

    assert query(unbooked) == []
    chis = query(
        lambda: [
            m.booking.room.name
            for m in db.session.scalars(
                sa.select(Circle).where(Circle.title.startswith("Consumer Health"))
            )
            .one()
            .meetings
        ]
    )
    assert chis == ["Meeting Room A"] * 6
