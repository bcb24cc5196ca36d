"""Room bookings: rules, the branch's week, moving and cancelling, circles' rooms."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Booking, Closure, Meeting, OpeningHours, OutboxMessage, Room
from app.timeutil import local_today
from tests.conftest import login
from tests.factories import next_weekday

NY = ZoneInfo("America/New_York")


def day_ahead(days: int = 3, weekday: int | None = None) -> dt.date:
    if weekday is not None:
        return next_weekday(weekday)
    return local_today("America/New_York") + dt.timedelta(days=days)


def booking_data(world, **overrides) -> dict:
    data = {
        "room_id": world.room,
        "title": "Book club",
        "date": day_ahead(weekday=2).isoformat(),
        "start_time": "14:00",
        "end_time": "15:30",
        "repeat": "0",
    }
    return data | overrides


def bookings(query, status="active"):
    return query(
        lambda: [
            (b.room_id, b.title, b.starts_at.astimezone(NY).strftime("%Y-%m-%d %H:%M"), b.kind)
            for b in db.session.scalars(
                sa.select(Booking).where(Booking.status == status).order_by(Booking.starts_at)
            )
        ]
    )


def test_staff_book_a_room(client, world, query):
    login(client, "lead@example.org")
    response = client.post(f"/branches/{world.branch}/bookings/new", data=booking_data(world))
    assert response.status_code == 302
    day = day_ahead(weekday=2).isoformat()
    assert bookings(query) == [(world.room, "Book club", f"{day} 14:00", "event")]
    assert "Book club" in client.get("/bookings/mine").text


def test_weekly_repeat_is_all_or_nothing(client, world, query):
    login(client, "lead@example.org")
    third_week = day_ahead(weekday=2) + dt.timedelta(weeks=2)
    client.post(
        f"/branches/{world.branch}/bookings/new",
        data=booking_data(world, title="Taken", date=third_week.isoformat()),
    )
    response = client.post(
        f"/branches/{world.branch}/bookings/new", data=booking_data(world, repeat="3")
    )
    assert response.status_code == 409
    assert "Lab is taken" in response.text
    assert "Taken" in response.text
    assert [b[1] for b in bookings(query)] == ["Taken"]
    response = client.post(
        f"/branches/{world.branch}/bookings/new",
        data=booking_data(world, repeat="3", start_time="16:00", end_time="17:00"),
    )
    assert response.status_code == 302
    assert len(bookings(query)) == 5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "13:00"}, "The end must be after the start."),
        ({"end_time": "14:00"}, "The end must be after the start."),
        ({"date": "2020-01-01"}, "Choose a time in the future."),
        ({"start_time": "07:00"}, "Outside opening hours"),
        ({"end_time": "22:30"}, "Outside opening hours"),
        ({"date": "sunday"}, "is closed that day (no opening hours on Sundays)"),
        ({"date": "closure"}, "is closed that day (Inventory)"),
        ({"room_id": "999999"}, "Not a valid choice"),
        ({"room_id": "other"}, "Not a valid choice"),
        ({"title": ""}, "This field is required."),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"repeat": "52"}, "Between 0 and 51 extra weeks."),
        ({"start_time": "25:00"}, "Not a valid time value."),
    ],
)
def test_bad_bookings_save_nothing(client, world, factory, app, query, overrides, message):
    overrides = dict(overrides)  # the parameter is shared by both databases' runs
    if overrides.get("date") == "sunday":
        overrides["date"] = day_ahead(weekday=6).isoformat()
    if overrides.get("date") == "closure":
        closed = day_ahead(weekday=3)
        with app.app_context():
            db.session.add(Closure(branch_id=world.branch, date=closed, reason="Inventory"))
            db.session.commit()
        overrides["date"] = closed.isoformat()
    if overrides.get("room_id") == "other":
        overrides["room_id"] = str(factory.room(world.other_branch, "Far away"))
    login(client, "lead@example.org")
    response = client.post(
        f"/branches/{world.branch}/bookings/new", data=booking_data(world, **overrides)
    )
    assert response.status_code == 200
    assert message in response.text
    assert bookings(query) == []


def test_a_booking_longer_than_a_day_is_refused(app, world):
    from app.rooms import bookings as service
    from app.rules import RuleViolation

    with app.app_context():
        room = db.session.get(Room, world.room)
        start = dt.datetime.combine(day_ahead(), dt.time(10), tzinfo=NY)
        with pytest.raises(RuleViolation, match="at most 24 hours"):
            service.book(room, start, start + dt.timedelta(hours=25), title="Marathon", by=None)


def test_participants_cannot_book(client, world):
    login(client, "pat@example.org")
    assert (
        client.post(f"/branches/{world.branch}/bookings/new", data=booking_data(world)).status_code
        == 403
    )


def test_padding_keeps_rooms_free_between_bookings(client, world, app, query):
    with app.app_context():
        room = db.session.get(Room, world.room)
        room.setup_minutes, room.cleanup_minutes = 15, 30
        db.session.commit()
    login(client, "lead@example.org")
    client.post(f"/branches/{world.branch}/bookings/new", data=booking_data(world))  # 14:00-15:30
    response = client.post(
        f"/branches/{world.branch}/bookings/new",
        data=booking_data(world, title="Too soon", start_time="15:45", end_time="16:30"),
    )
    assert response.status_code == 409  # within the 30 minutes of clean-up
    response = client.post(
        f"/branches/{world.branch}/bookings/new",
        data=booking_data(world, title="Fine", start_time="16:15", end_time="17:00"),
    )
    assert response.status_code == 302  # 15:30 + 30 min clean-up, 16:15 - 15 min set-up
    assert [b[1] for b in bookings(query)] == ["Book club", "Fine"]


def test_the_database_refuses_an_overlap_even_without_the_check(app, world):
    """The backstop: insert directly, bypassing the service's check."""
    from sqlalchemy.exc import IntegrityError

    start = dt.datetime.combine(day_ahead(), dt.time(10), tzinfo=NY)
    with app.app_context():
        room = db.session.get(Room, world.room)
        for title in ("First", "Second"):
            booking = Booking(title=title, kind="event", status="active")
            booking.place(room, start, start + dt.timedelta(hours=1))
            db.session.add(booking)
            if title == "First":
                db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # A cancelled booking does not hold the room.
        first = db.session.scalars(sa.select(Booking)).one()
        first.status = "cancelled"
        db.session.commit()
        again = Booking(title="Third", kind="event", status="active")
        again.place(room, start, start + dt.timedelta(hours=1))
        db.session.add(again)
        db.session.commit()


def test_manager_week_view_move_and_cancel_notify_the_owner(client, world, query):
    login(client, "lead@example.org")
    client.post(f"/branches/{world.branch}/bookings/new", data=booking_data(world))
    booking_id = query(lambda: db.session.scalars(sa.select(Booking.id)).one())
    client.post("/logout")

    login(client, "boss@example.org")
    day = day_ahead(weekday=2)
    week = client.get(f"/branches/{world.branch}/calendar?date={day.isoformat()}").text
    assert "Book club" in week
    assert "2:00 PM–3:30 PM" in week
    assert "Lena Lead" in week
    day_view = client.get(f"/branches/{world.branch}/calendar?view=day&date={day.isoformat()}").text
    assert "Book club" in day_view

    response = client.post(
        f"/bookings/{booking_id}/edit",
        data={
            "room_id": world.small_room,
            "date": day.isoformat(),
            "start_time": "16:00",
            "end_time": "17:00",
        },
    )
    assert response.status_code == 302
    assert bookings(query) == [(world.small_room, "Book club", f"{day.isoformat()} 16:00", "event")]
    message = query(lambda: db.session.scalars(sa.select(OutboxMessage)).one())
    assert message.to == "lead@example.org"
    assert "moved" in message.subject

    assert "Cancel the booking" in client.get(f"/bookings/{booking_id}/cancel").text
    client.post(f"/bookings/{booking_id}/cancel")
    assert bookings(query) == []
    subjects = query(
        lambda: [
            m.subject
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    )
    assert subjects == ["Your room booking was moved", "Your room booking was cancelled"]


def test_bookings_of_another_branch_are_404_for_its_non_manager(client, world, factory, query):
    login(client, "lead@example.org")
    client.post(f"/branches/{world.branch}/bookings/new", data=booking_data(world))
    booking_id = query(lambda: db.session.scalars(sa.select(Booking.id)).one())
    client.post("/logout")
    login(client, "far@example.org")  # manages another branch
    assert client.get(f"/bookings/{booking_id}/edit").status_code == 404
    assert client.post(f"/bookings/{booking_id}/cancel").status_code == 404
    assert client.get(f"/branches/{world.branch}/calendar").status_code == 404
    assert len(bookings(query)) == 1


def test_block_a_room_for_maintenance(client, world, query):
    login(client, "boss@example.org")
    first = day_ahead(5)
    response = client.post(
        f"/rooms/{world.room}/block",
        data={
            "first_day": first.isoformat(),
            "last_day": (first + dt.timedelta(days=2)).isoformat(),
            "reason": "New carpet",
        },
    )
    assert response.status_code == 302
    assert [(b[1], b[3]) for b in bookings(query)] == [("New carpet", "block")]
    client.post("/logout")
    login(client, "lead@example.org")
    response = client.post(
        f"/branches/{world.branch}/bookings/new",
        data=booking_data(world, date=(first + dt.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 409
    assert "New carpet" in response.text


def test_block_with_last_day_before_first_is_refused(client, world, query):
    login(client, "boss@example.org")
    first = day_ahead(5)
    response = client.post(
        f"/rooms/{world.room}/block",
        data={
            "first_day": first.isoformat(),
            "last_day": (first - dt.timedelta(days=1)).isoformat(),
            "reason": "x",
        },
    )
    assert "must not be before the first day" in response.text
    assert bookings(query) == []


# --- rooms for circles ---------------------------------------------------------------------------


def test_circle_room_list_shows_free_rooms_and_books_all(client, world, query):
    circle_id = world.circle(capacity=4)
    login(client, "lead@example.org")
    page = client.get(f"/circles/{circle_id}/rooms").text
    assert "Lab" in page
    assert "Study" in page
    assert "every meeting" in page
    response = client.post(
        f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "all"}
    )
    assert response.status_code == 302
    assert {(b[0], b[3]) for b in bookings(query)} == {(world.room, "meeting")}
    assert len(bookings(query)) == 4
    page = client.get(f"/circles/{circle_id}").text
    assert page.count(">Lab<") + page.count("Lab\n") >= 1


def test_circle_rooms_filter_by_features_and_capacity(client, world, app):
    with app.app_context():
        db.session.get(Room, world.room).features = ["computers", "projector"]
        db.session.commit()
    circle_id = world.circle(capacity=10)  # Study (4 seats) is too small
    login(client, "lead@example.org")
    page = client.get(f"/circles/{circle_id}/rooms?feature=computers").text
    assert "Lab" in page
    assert ">Study<" not in page
    page = client.get(f"/circles/{circle_id}/rooms?feature=hearing_loop").text
    assert "No room at this branch seats the circle" in page


def test_clashing_series_all_or_nothing_then_free_ones(client, world, query):
    circle_id = world.circle(capacity=4)
    second = query(
        lambda: db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).all()[1]
    )
    local = second.starts_at.astimezone(NY)
    login(client, "boss@example.org")
    client.post(
        f"/branches/{world.branch}/bookings/new",
        data={
            "room_id": world.room,
            "title": "Board meeting",
            "date": local.date().isoformat(),
            "start_time": "17:00",
            "end_time": "18:30",
            "repeat": "0",
        },
    )
    client.post("/logout")
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "all"}
    )
    assert response.status_code == 409
    assert "Board meeting" in response.text
    assert "Nothing was booked" in response.text
    assert [b[1] for b in bookings(query)] == ["Board meeting"]

    response = client.post(
        f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "free"}
    )
    assert response.status_code == 409
    assert "Pick another room" in response.text
    assert len([b for b in bookings(query) if b[3] == "meeting"]) == 3

    # The clashing meeting gets another room of its own.
    response = client.post(
        f"/meetings/{second.id}/room", data={"room_id": world.small_room, "mode": "all"}
    )
    assert response.status_code == 302
    rooms = query(
        lambda: {
            m.id: m.booking.room_id for m in db.session.scalars(sa.select(Meeting)) if m.booking
        }
    )
    assert rooms[second.id] == world.small_room
    assert len(rooms) == 4


def test_moving_and_cancelling_a_meeting_moves_and_frees_its_room(client, world, query):
    circle_id = world.circle(capacity=4)
    login(client, "lead@example.org")
    client.post(f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "all"})
    first, second = query(
        lambda: db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).all()[:2]
    )
    new_day = first.starts_at.astimezone(NY).date() + dt.timedelta(days=1)
    client.post(
        f"/meetings/{first.id}/edit",
        data={"date": new_day.isoformat(), "start_time": "10:00", "duration_minutes": "60"},
    )
    booking = query(lambda: db.session.get(Meeting, first.id).booking)
    assert booking.starts_at.astimezone(NY) == dt.datetime.combine(new_day, dt.time(10), tzinfo=NY)
    assert booking.sequence == 1

    client.post(f"/meetings/{second.id}/cancel")
    assert query(lambda: db.session.get(Meeting, second.id).booking) is None
    assert len(bookings(query)) == 3
    assert len(bookings(query, "cancelled")) == 1


def test_moving_a_meeting_into_a_taken_room_is_refused(client, world, query):
    circle_id = world.circle(capacity=4)
    login(client, "lead@example.org")
    client.post(f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "all"})
    first = query(
        lambda: db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).first()
    )
    target = first.starts_at.astimezone(NY).date() + dt.timedelta(days=1)
    client.post(
        f"/branches/{world.branch}/bookings/new",
        data={
            "room_id": world.room,
            "title": "Story time",
            "date": target.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "repeat": "0",
        },
    )
    response = client.post(
        f"/meetings/{first.id}/edit",
        data={"date": target.isoformat(), "start_time": "10:30", "duration_minutes": "60"},
    )
    assert response.status_code == 200
    assert "Story time" in response.text
    after = query(lambda: db.session.get(Meeting, first.id))
    assert (after.starts_at, after.sequence) == (first.starts_at, first.sequence)


def test_cancelling_a_circle_frees_its_rooms(client, world, query):
    circle_id = world.circle(capacity=4)
    login(client, "lead@example.org")
    client.post(f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "all"})
    client.post(f"/circles/{circle_id}/cancel")
    assert bookings(query) == []


def test_opening_hours_hold_for_circle_rooms(client, world, app, query):
    circle_id = world.circle(capacity=4)
    with app.app_context():
        hours = db.session.scalars(
            sa.select(OpeningHours).filter_by(branch_id=world.branch, weekday=1)
        ).one()
        hours.closes = dt.time(17)  # since the circle was planned, Tuesdays close before 18:00
        db.session.commit()
    login(client, "lead@example.org")
    page = client.get(f"/circles/{circle_id}/rooms").text
    # Every room fails for the same reason: it is named once, with what would work.
    assert "All 4 meetings are after closing time, 5:00 PM." in page
    assert "a 90-minute meeting fits if it starts between 9:00 AM and 3:30 PM" in page
    assert page.count("Outside opening hours") == 0
    assert page.count("/edit") >= 4  # a way to move each meeting
    assert "Pick another room" not in page
    response = client.post(
        f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "all"}
    )
    assert response.status_code == 409
    assert "Outside opening hours" in response.text
    assert "Move this meeting" in response.text
    assert bookings(query) == []


def test_staff_find_the_booking_form_and_managers_return_to_the_bookings_week(client, world, query):
    login(client, "lead@example.org")
    assert 'href="/bookings/mine"' in client.get("/").text
    page = client.get("/bookings/mine").text
    assert f'href="/branches/{world.branch}/bookings/new"' in page
    client.post(f"/branches/{world.branch}/bookings/new", data=booking_data(world))
    booking_id = query(lambda: db.session.scalars(sa.select(Booking.id)).one())
    client.post("/logout")
    login(client, "boss@example.org")
    response = client.post(f"/bookings/{booking_id}/cancel")
    assert response.headers["Location"] == (  # the week of the booking's room
        f"/branches/{world.branch}/calendar?room={world.room}&date={day_ahead(weekday=2).isoformat()}"
    )
    client.post("/logout")
    login(client, "pat@example.org")
    assert 'href="/bookings/mine"' not in client.get("/").text
