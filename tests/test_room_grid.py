"""The rooms' time grid (a week of one room, a day of every room), the meetings that need a
room, finding a free room across one's branches, and blocking a room over bookings."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from app.labels import when
from app.models import Booking, Closure, Meeting, OutboxMessage, Room, User
from app.rooms import bookings as service
from tests.conftest import login
from tests.factories import next_weekday

NY = ZoneInfo("America/New_York")


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def add_booking(app, room_id: int, by_id: int | None, day: dt.date, span: str, title: str) -> int:
    start, end = (dt.time.fromisoformat(t) for t in span.split("-"))
    with app.app_context():
        booking = service.book(
            db.session.get(Room, room_id),
            dt.datetime.combine(day, start, tzinfo=NY),
            dt.datetime.combine(day, end, tzinfo=NY),
            title=title,
            by=db.session.get(User, by_id) if by_id else None,
        )
        db.session.commit()
        return booking.id


def block_days(app, room_id: int, by_id: int, first: dt.date, last: dt.date, reason: str) -> None:
    with app.app_context():
        service.block(
            db.session.get(Room, room_id),
            first,
            last,
            reason=reason,
            by=db.session.get(User, by_id),
            now=dt.datetime.now(dt.UTC),
        )
        db.session.commit()


def shown(html: str) -> str:
    """The page without its links' addresses (which carry times as HH:MM for the form)."""
    return re.sub(r'href="[^"]*"', "", html)


def hour_labels(html: str) -> list[str]:
    """The axis: a label on every hour."""
    return re.findall(r'class="tg-hour [^"]*">([^<]*)<', html)


def columns(html: str) -> list[str]:
    """The grid's columns (header and body each), in order."""
    return html.split('<div class="tg-col')[1:]


def booking_links(html: str) -> list[dict[str, str]]:
    """The query of every link to the booking form (the empty slots)."""
    hrefs = re.findall(r'href="([^"]*/bookings/new\?[^"]*)"', html)
    return [{k: v[0] for k, v in parse_qs(urlsplit(unescape(h)).query).items()} for h in hrefs]


def circle_in(client, world, room_id: int, **fields) -> int:
    """A circle (four Tuesdays at 18:00) whose meetings are booked in ``room_id`` by whoever
    ``client`` is signed in as."""
    circle = world.circle(room_id=None, **fields)
    response = client.post(f"/circles/{circle}/rooms", data={"room_id": room_id, "mode": "all"})
    assert response.status_code == 302
    return circle


def set_room(app, room_id: int, **values) -> None:
    with app.app_context():
        room = db.session.get(Room, room_id)
        for name, value in values.items():
            setattr(room, name, value)
        db.session.commit()


# --- the grid ---------------------------------------------------------------------------------


def test_the_week_of_a_room_sizes_bookings_by_time_and_shows_blocks_on_every_day(
    client, world, app
):
    wednesday = next_weekday(2)
    monday = monday_of(wednesday)
    set_room(app, world.room, setup_minutes=15, cleanup_minutes=30)
    add_booking(app, world.room, world.lead, monday, "14:00-15:30", "Book club " + "x" * 150)
    block_days(
        app, world.room, world.manager, wednesday, wednesday + dt.timedelta(days=2), "New carpet"
    )
    with app.app_context():
        db.session.add(Closure(branch_id=world.branch, date=monday + dt.timedelta(days=1)))
        db.session.commit()
    login(client, "boss@example.org")
    page = client.get(
        f"/branches/{world.branch}/calendar?room={world.room}&date={wednesday.isoformat()}"
    ).text
    week = columns(page)
    assert len(week) == 7
    # Main Library opens 9:00-21:00: 48 rows of 15 minutes, one label an hour.
    assert page.count('class="tg-hour ') == 12
    assert hour_labels(page)[:2] == ["9 AM", "10 AM"]
    assert hour_labels(page)[-1] == "8 PM"
    # 14:00-15:30: row 21, six rows; set-up 13:45 and clean-up until 16:00, lighter.
    assert 'class="tg-booking booking-event gs-21 gl-6"' in week[0]
    assert 'class="tg-pad gs-20 gl-1"' in week[0]
    assert 'class="tg-pad gs-27 gl-2"' in week[0]
    assert "2:00 PM–3:30 PM" in week[0]
    assert "14:00" not in shown(page)  # every time shown is 12-hour, in English
    assert "held 1:45 PM–4:00 PM for set-up and clean-up" in week[0]
    # Tuesday is closed (no reason given): shaded all day, and nothing offered there.
    assert 'class="tg-shade gs-1 gl-48"><p>Closed</p>' in week[1]
    assert booking_links(week[1]) == []
    # The block covers Wednesday to Friday: on each of those days, whole.
    for n, column in enumerate(week):
        blocked = 'class="tg-booking booking-block gs-1 gl-48"' in column
        assert blocked is (n in (2, 3, 4)), n
        assert ("Blocked: New carpet" in column) is (n in (2, 3, 4))
        assert (booking_links(column) == []) is (n in (1, 2, 3, 4, 6)), n
    assert "All day" in week[3]
    # Sunday has no opening hours.
    assert "Closed: no opening hours on Sundays" in week[6]
    # The week is named by its dates, in the reader's language.
    sunday = monday + dt.timedelta(days=6)
    assert "Lab, week of " in page
    assert f"{monday:%b} {monday.day}" in page
    assert f"{sunday.day}, {sunday.year}" in page


def test_the_grid_shows_times_in_the_readers_language(client, world, app):
    """Every time on the grid goes through labels.when: 24-hour in Spanish, while the links
    to the booking form keep the HH:MM the form reads."""
    day = next_weekday(2)
    add_booking(app, world.room, world.lead, day, "14:00-15:30", "Book club")
    with app.app_context():
        db.session.get(User, world.manager).locale = "es"
        db.session.commit()
    login(client, "boss@example.org")
    page = client.get(f"/branches/{world.branch}/calendar?view=day&date={day}").text
    assert hour_labels(page)[:2] == ["9:00", "10:00"]
    assert hour_labels(page)[-1] == "20:00"
    assert "14:00–15:30" in page
    assert '<span class="tg-free-time" aria-hidden="true">16:30</span>' in page
    assert " AM" not in shown(page)
    assert " PM" not in shown(page)
    slots = {link["start"]: link for link in booking_links(columns(page)[0])}
    assert slots["09:00"]["end"] == "10:00"


def test_an_empty_slot_links_to_the_form_filled_in_around_the_bookings(client, world, app):
    day = next_weekday(2)
    set_room(app, world.room, setup_minutes=15, cleanup_minutes=30)
    add_booking(app, world.room, world.lead, day, "14:00-15:30", "Book club")
    login(client, "boss@example.org")
    page = client.get(f"/branches/{world.branch}/calendar?view=day&date={day.isoformat()}").text
    lab, study = columns(page)
    slots = {link["start"]: link for link in booking_links(lab)}
    assert slots["09:00"] == {
        "room_id": str(world.room),
        "date": day.isoformat(),
        "start": "09:00",
        "end": "10:00",
    }
    # Before the booking, a slot's own clean-up (30 min) must end by its set-up (13:45).
    assert slots["12:30"]["end"] == "13:15"
    assert "13:00" not in slots
    assert "14:00" not in slots
    assert "16:00" not in slots
    assert slots["16:30"]["end"] == "17:30"
    assert slots["20:30"]["end"] == "21:00"  # closing time
    assert len(booking_links(study)) == 24  # 9:00 to 21:00, every half hour
    assert f"Book Study on {day:%a}, {day:%b} {day.day} at 9:00 AM" in study

    # The link opens the form filled in; booking it there fits the rules.
    slot = slots["12:30"]
    form = client.get(f"/branches/{world.branch}/bookings/new", query_string=slot).text
    assert f'<option selected value="{world.room}">' in form
    assert f'value="{day.isoformat()}"' in form
    assert 'value="12:30"' in form
    assert 'value="13:15"' in form
    response = client.post(
        f"/branches/{world.branch}/bookings/new",
        data={**slot, "start_time": slot["start"], "end_time": slot["end"], "title": "Chat"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/branches/{world.branch}/calendar?room={world.room}&date={day.isoformat()}"
    )


def test_no_slot_is_offered_in_the_past_or_beyond_the_horizon(client, world, app):
    login(client, "boss@example.org")
    yesterday = dt.datetime.now(NY).date() - dt.timedelta(days=1)
    page = client.get(f"/branches/{world.branch}/calendar?view=day&date={yesterday}").text
    assert booking_links(page) == []
    far = dt.datetime.now(NY).date() + dt.timedelta(days=app.config["BOOKING_HORIZON_DAYS"] + 2)
    page = client.get(f"/branches/{world.branch}/calendar?view=day&date={far}").text
    assert booking_links(page) == []
    assert "Lab" in page


def test_a_booking_outside_the_opening_hours_stretches_the_axis(client, world, app):
    day = next_weekday(2)
    with app.app_context():  # made before the hours changed: the grid must still show it
        booking = Booking(title="Late event", kind="event", status="active")
        booking.place(
            db.session.get(Room, world.room),
            dt.datetime.combine(day, dt.time(22), tzinfo=NY),
            dt.datetime.combine(day, dt.time(23), tzinfo=NY),
        )
        db.session.add(booking)
        db.session.commit()
    login(client, "boss@example.org")
    page = client.get(f"/branches/{world.branch}/calendar?view=day&date={day}").text
    assert page.count('class="tg-hour ') == 14  # 9:00 to 23:00
    assert 'class="tg-booking booking-event gs-53 gl-4"' in page
    assert 'class="tg-shade gs-49 gl-8"><p>Closed from 9:00 PM</p>' in page


def test_a_branch_without_opening_hours_shows_every_day_open(client, world, factory, app):
    room = factory.room(world.other_branch, "Hall")
    login(client, "far@example.org")
    day = next_weekday(6)  # a Sunday: no hours on record at all, so not closed
    page = client.get(f"/branches/{world.other_branch}/calendar?date={day}&room={room}").text
    assert len(columns(page)) == 7
    assert "Closed" not in page
    assert page.count('class="tg-hour ') == 8  # 9:00 to 17:00 by default
    assert len(booking_links(columns(page)[6])) == 16


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("date=2100-12-31", 200),
        ("date=2000-01-01", 200),
        ("view=day&date=2100-12-31", 200),
        ("view=day&date=2000-01-01", 200),
        ("date=2026-02-30", 200),
        ("date=", 200),
        ("view=month&room=abc", 200),
        ("room=99999999999999999999", 200),
        ("room=-1&view=day", 200),
        ("date=20260101", 200),
        ("date=9999-12-31", 400),
        ("date=2101-01-01&view=day", 400),
        ("date=1999-12-31&room=1", 400),
    ],
)
def test_any_date_in_the_grid_address_is_a_page_or_a_400(client, world, query, status):
    login(client, "boss@example.org")
    response = client.get(f"/branches/{world.branch}/calendar?{query}")
    assert response.status_code == status
    if status == 200:  # its links stay within the dates the app takes
        dates = re.findall(r"date=(\d{4}-\d{2}-\d{2})", unescape(response.text))
        assert dates
        assert all("2000-01-01" <= d <= "2100-12-31" for d in dates)


def test_a_room_of_another_branch_is_not_shown(client, world, factory):
    theirs = factory.room(world.other_branch, "Far room")
    login(client, "boss@example.org")
    page = client.get(f"/branches/{world.branch}/calendar?room={theirs}").text
    assert "Far room" not in page
    assert "Lab, week of" in page


# --- meetings that need a room -------------------------------------------------------------------


def test_meetings_without_a_room_are_listed_apart_with_a_link_to_book(client, world, app):
    login(client, "boss@example.org")
    circle = world.circle(room_id=None, title="Grant writing circle")
    online = world.circle(
        world.co,
        room_id=None,
        title="Online circle",
        format="virtual",
        join_url="https://meet.example.org/x",
    )
    booked = circle_in(client, world, world.room, title="Booked circle", start_time=dt.time(10))
    with app.app_context():
        first, second, *_ = db.session.scalars(
            sa.select(Meeting).filter_by(circle_id=circle).order_by(Meeting.starts_at)
        ).all()
        second.status = "cancelled"
        db.session.commit()
        first_id, first_day = first.id, first.starts_at.astimezone(NY).date()
    page = client.get(f"/branches/{world.branch}/calendar?date={first_day}").text
    needs = page.split('id="needs-room-h"')[1].split("</section>")[0]
    assert "Grant writing circle" in needs
    assert f'href="/meetings/{first_id}/room"' in needs
    assert f'href="/circles/{circle}"' in needs
    assert "Online circle" not in needs
    assert "Booked circle" not in needs
    assert "2 meetings later on need a room." in needs  # the cancelled one does not count
    assert online
    assert booked

    # The week before: nothing this week, a link to the first one's week.
    before = client.get(
        f"/branches/{world.branch}/calendar?date={first_day - dt.timedelta(days=7)}"
    ).text
    assert "3 meetings later on need a room." in before
    assert f"date={first_day.isoformat()}" in before.split('id="needs-room-h"')[1]

    # Booked, it leaves the list.
    response = client.post(f"/meetings/{first_id}/room", data={"room_id": world.room})
    assert response.status_code == 302
    page = client.get(f"/branches/{world.branch}/calendar?date={first_day}").text
    assert f"/meetings/{first_id}/room" not in page


def test_a_meeting_booking_links_to_its_circle(client, world):
    login(client, "boss@example.org")
    circle = circle_in(client, world, world.room, title="Grant writing circle")
    page = client.get(f"/branches/{world.branch}/calendar?date={next_weekday(1)}").text
    assert f'<a href="/circles/{circle}">Grant writing circle</a>' in page
    assert "Move</a>" not in page.split("booking-meeting")[1].split("</div>")[0]


# --- finding a free room -----------------------------------------------------------------------


def test_only_managers_and_admins_find_free_rooms(client, world):
    login(client, "lead@example.org")
    assert client.get("/rooms/free").status_code == 403
    client.post("/logout")
    login(client, "pat@example.org")
    assert client.get("/rooms/free").status_code == 403


def test_free_rooms_across_the_branches_one_manages(client, world, factory, app):
    day = next_weekday(2)
    set_room(app, world.room, features=["projector", "computers"], cleanup_minutes=30)
    big = factory.room(world.branch, "Hall", capacity=80, features=["projector"])
    factory.room(world.branch, "Attic", capacity=40, features=["projector"], bookable=False)
    factory.room(world.branch, "Annex", capacity=40)  # no projector
    far = factory.room(world.other_branch, "Kendall Hall", capacity=30, features=["projector"])
    add_booking(app, world.room, world.lead, day, "11:15-12:00", "Story time")
    ask = {
        "date": day.isoformat(),
        "start_time": "10:00",
        "end_time": "11:00",
        "seats": "12",
        "features": "projector",
    }

    login(client, "boss@example.org")
    page = client.get("/rooms/free", query_string=ask).text
    assert "1 room is free then" in page
    free = page.split('id="free-h"')[1].split("</section>")[0]
    assert "Hall" in free
    assert "Lab" not in free
    assert "Kendall" not in free
    assert "Attic" not in page
    assert "Annex" not in page
    assert "Study" not in page
    [link] = booking_links(free)
    assert link == {"room_id": str(big), "date": day.isoformat(), "start": "10:00", "end": "11:00"}
    assert "10:00 AM–11:00 AM (Eastern Time)" in free  # 12-hour in English, the zone named
    # Lab fits, but its 30 minutes of clean-up would meet Story time: said why.
    assert "Lab</strong>, Main Library: Lab is taken" in page
    assert "Story time" in page

    ask["start_time"], ask["end_time"] = "09:00", "10:30"
    page = client.get("/rooms/free", query_string=ask).text
    assert "2 rooms are free then" in page
    free = page.split('id="free-h"')[1]
    assert free.index(">Lab <") < free.index(">Hall <")  # the smallest that fits first

    ask["start_time"], ask["end_time"] = "20:30", "21:30"
    page = client.get("/rooms/free", query_string=ask).text
    assert "0 rooms are free then" in page
    assert "Outside opening hours" in page

    # An administrator looks across every branch.
    client.post("/logout")
    login(client, "admin@example.org")
    ask["start_time"], ask["end_time"] = "10:00", "11:00"
    page = client.get("/rooms/free", query_string=ask).text
    assert "2 rooms are free then" in page
    assert f"room_id={far}" in page


def test_a_closed_day_or_a_past_time_finds_nothing(client, world, app):
    day = next_weekday(3)
    with app.app_context():
        db.session.add(Closure(branch_id=world.branch, date=day, reason="Inventory"))
        db.session.commit()
    login(client, "boss@example.org")
    ask = {"date": day.isoformat(), "start_time": "10:00", "end_time": "11:00", "seats": "2"}
    page = client.get("/rooms/free", query_string=ask).text
    assert "0 rooms are free then" in page
    assert "closed that day (Inventory)" in page
    ask["date"] = "2020-01-06"
    page = client.get("/rooms/free", query_string=ask).text
    assert "Choose a time in the future." in page
    assert "rooms are free then" not in page


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        ({"date": "2026-02-30"}, "Enter a date."),
        ({"date": "9999-12-31"}, "Enter a date between 2000-01-01 and 2100-12-31."),
        ({"end_time": "09:00"}, "The end must be after the start."),
        ({"start_time": "25:00"}, "Not a valid time value."),
        ({"seats": "0"}, "Between 1 and 1000 seats."),
        ({"seats": "99999999999999999999"}, "Between 1 and 1000 seats."),
        ({"features": "jacuzzi"}, "is not a valid choice"),
    ],
)
def test_a_wrong_question_is_answered_beside_its_field(client, world, ask, message):
    login(client, "boss@example.org")
    query = {"date": next_weekday(2).isoformat(), "start_time": "10:00", "end_time": "11:00"}
    response = client.get("/rooms/free", query_string={**query, "seats": "2", **ask})
    assert response.status_code == 200
    assert message in unescape(response.text)
    assert "free then" not in response.text


# --- blocking a room over bookings ----------------------------------------------------------------


def test_blocking_over_bookings_lists_them_all_and_cancels_them_with_a_note(
    client, world, app, query
):
    login(client, "lead@example.org")
    circle = circle_in(client, world, world.room, title="Grant writing circle")  # Lab, Tuesdays
    client.post("/logout")
    tuesday = next_weekday(1)
    with app.app_context():
        lena = db.session.get(User, world.lead)
        lena.locale, lena.timezone = "es", "America/Los_Angeles"
        db.session.commit()
    event = add_booking(app, world.room, world.lead, tuesday, "10:00-11:00", "Book club")
    meeting_booking = query(
        lambda: db.session.scalars(
            sa.select(Booking.id).where(Booking.kind == "meeting").order_by(Booking.starts_at)
        ).first()
    )
    login(client, "boss@example.org")
    form = {
        "first_day": tuesday.isoformat(),
        "last_day": (tuesday + dt.timedelta(days=1)).isoformat(),
        "reason": "Flooded floor",
    }

    # Refused, naming both: nothing changes.
    response = client.post(f"/rooms/{world.room}/block", data=form)
    assert response.status_code == 409
    page = unescape(response.text)
    assert "Lab has 2 bookings in those days" in page
    assert "2 bookings are in the way" in page
    assert "Book club" in page
    assert "Grant writing circle" in page
    assert f'href="/circles/{circle}"' in page
    assert "booked by Lena Lead" in page
    listed = re.search(r'name="listed" type="hidden" value="([\d,]+)"', page).group(1)
    assert set(listed.split(",")) == {str(event), str(meeting_booking)}
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(Booking))) == 5

    # A booking made meanwhile is not cancelled unseen: listed again.
    late = add_booking(app, world.room, world.manager, tuesday, "12:00-13:00", "Late one")
    response = client.post(
        f"/rooms/{world.room}/block",
        data={**form, "cancel_bookings": "y", "listed": listed, "note": "Sorry"},
    )
    assert response.status_code == 409
    assert "3 bookings are in the way" in response.text
    assert 'id="cancel_bookings" name="cancel_bookings" type="checkbox" value="y">' in (
        response.text
    )  # not ticked any more
    listed = re.search(r'name="listed" type="hidden" value="([\d,]+)"', response.text).group(1)
    assert str(late) in listed.split(",")
    assert query(lambda: db.session.scalars(sa.select(OutboxMessage)).all()) == []

    # Ticked, with a note: all three cancelled, the block made, Lena told in her language.
    response = client.post(
        f"/rooms/{world.room}/block",
        data={**form, "cancel_bookings": "y", "listed": listed, "note": "The pipes burst."},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/branches/{world.branch}/calendar?room={world.room}&date={tuesday.isoformat()}"
    )
    page = client.get(response.headers["Location"]).text
    assert "Lab is blocked; 3 bookings were cancelled and whoever made them told." in page
    assert "Blocked: Flooded floor" in page
    assert "Grant writing circle" in page.split('id="needs-room-h"')[1]  # needs a room again
    statuses = query(lambda: {b.title: b.status for b in db.session.scalars(sa.select(Booking))})
    assert statuses["Book club"] == statuses["Late one"] == "cancelled"
    assert statuses["Flooded floor"] == "active"
    messages = query(
        lambda: [(m.to, m.subject, m.body) for m in db.session.scalars(sa.select(OutboxMessage))]
    )
    assert [to for to, _s, _b in messages] == ["lead@example.org", "lead@example.org"]
    bodies = "\n".join(body for _to, _s, body in messages)
    assert "Bo Boss escribió:\nThe pipes burst." in bodies  # Lena reads Spanish
    assert "ya no tiene sala. Reserve otra aquí: http" in bodies
    starts = dt.datetime.combine(tuesday, dt.time(10), tzinfo=NY)
    with app.app_context(), force_locale("es"):
        spanish = when(starts, "America/Los_Angeles")
    assert spanish in bodies
    assert "7:00" in spanish  # 10:00 in New York, in Los Angeles, in Spanish (24-hour)


def test_blocking_with_nothing_in_the_way_needs_no_confirmation(client, world, query):
    login(client, "boss@example.org")
    first = next_weekday(2)
    response = client.post(
        f"/rooms/{world.room}/block",
        data={"first_day": first.isoformat(), "last_day": first.isoformat(), "reason": "Paint"},
    )
    assert response.status_code == 302
    assert query(lambda: db.session.scalars(sa.select(Booking.title)).all()) == ["Paint"]


def test_only_the_branch_managers_block_rooms(client, world):
    login(client, "lead@example.org")
    assert client.get(f"/rooms/{world.room}/block").status_code == 404
    client.post("/logout")
    login(client, "far@example.org")
    assert client.get(f"/rooms/{world.room}/block").status_code == 404
