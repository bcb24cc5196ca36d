"""Cancelling one booking (confirmed first, with a note to whoever made it) and the booking
messages' counts, in the reader's plural (issue 13's loose ends)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.models import Booking, Meeting, OutboxMessage, Room, User
from app.rooms import bookings as service
from tests.conftest import login
from tests.factories import next_weekday

NY = ZoneInfo("America/New_York")
NOTE = "The roof is leaking over the Lab. The Study is free then."


def book(app, room_id: int, by_id: int, starts: dt.datetime, ends: dt.datetime, title: str) -> int:
    with app.app_context():
        booking = service.book(
            db.session.get(Room, room_id),
            starts,
            ends,
            title=title,
            by=db.session.get(User, by_id),
        )
        db.session.commit()
        return booking.id


def a_booking(app, world, by_id: int) -> int:
    day = next_weekday(2)
    starts = dt.datetime.combine(day, dt.time(14), tzinfo=NY)
    return book(app, world.room, by_id, starts, starts + dt.timedelta(hours=1), "Book club")


def mail(query) -> list[tuple[str, str, str]]:
    return query(
        lambda: [(m.to, m.subject, m.body) for m in db.session.scalars(sa.select(OutboxMessage))]
    )


def status(query, booking_id: int) -> str:
    return query(lambda: db.session.get(Booking, booking_id).status)


def test_cancelling_anothers_booking_asks_first_and_sends_them_the_note(client, world, app, query):
    booking_id = a_booking(app, world, world.lead)
    login(client, "boss@example.org")
    page = client.get(f"/bookings/{booking_id}/cancel").text
    assert "Cancel the booking of Lab for “Book club” on" in page
    assert "Lena Lead made it and is told by email." in page
    assert '<label for="note"' in page
    assert status(query, booking_id) == "active"  # asked, nothing done yet

    response = client.post(f"/bookings/{booking_id}/cancel", data={"note": f"  {NOTE}  "})
    assert response.status_code == 302
    assert status(query, booking_id) == "cancelled"
    [(to, subject, body)] = mail(query)
    assert (to, subject) == ("lead@example.org", "Your room booking was cancelled")
    assert f"Bo Boss wrote:\n{NOTE}\n" in body


def test_a_note_that_is_too_long_cancels_nothing(client, world, app, query):
    booking_id = a_booking(app, world, world.lead)
    login(client, "boss@example.org")
    response = client.post(f"/bookings/{booking_id}/cancel", data={"note": "x" * 1001})
    assert response.status_code == 200
    assert "Field cannot be longer than 1000 characters." in response.text
    assert status(query, booking_id) == "active"
    assert mail(query) == []


def test_cancelling_ones_own_booking_asks_for_no_note(client, world, app, query):
    booking_id = a_booking(app, world, world.manager)
    login(client, "boss@example.org")
    page = client.get(f"/bookings/{booking_id}/cancel").text
    assert "Cancel the booking of Lab" in page
    assert "told by email" not in page
    assert 'name="note"' not in page
    response = client.post(f"/bookings/{booking_id}/cancel", data={"note": "to myself"})
    assert response.status_code == 302
    assert status(query, booking_id) == "cancelled"
    assert mail(query) == []


def test_booking_a_circles_rooms_says_one_meeting_in_the_singular(client, world, app, query):
    circle_id = world.circle()  # four Tuesdays at 18:00 in the Lab
    starts = query(
        lambda: db.session.scalars(
            sa.select(Meeting.starts_at).filter_by(circle_id=circle_id).order_by(Meeting.starts_at)
        ).all()
    )
    for start in starts[1:]:  # the Lab is taken for all but the first meeting
        book(app, world.room, world.manager, start, start + dt.timedelta(hours=1), "Board")
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/rooms", data={"room_id": world.room, "mode": "free"}
    )
    assert response.status_code == 409
    assert "Lab is booked for 1 meeting; the others clash (below)." in response.text
