"""End-to-end on the demo data, on a desktop (1280x800, a room's week) and a phone (390x844,
the day view), axe on every page: Maria, who manages Main Library, opens the rooms' time grid,
jumps to a date, sees a block over three days on each of them, books an empty slot from the
keyboard, finds a free room for 20 seats with a projector and books it, then blocks that room
over two bookings, cancelling them with a note to whoever made them."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.demo import CLOSURES, DEMO_PASSWORD
from app.extensions import db
from app.models import Booking, OutboxMessage, Room, User
from app.rooms import bookings
from app.timeutil import local_today, utcnow
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)

pytestmark = pytest.mark.e2e

SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
NY = ZoneInfo("America/New_York")
NOTE = "The stage is being repaired. Meeting Room A is free then."


def short_day(day: dt.date) -> str:
    return f"{day:%a}, {day:%b} {day.day}"


def quiet_monday() -> dt.date:
    """A Monday three weeks or more ahead, in a week without demo closures."""
    today = local_today("America/New_York")
    monday = today + dt.timedelta(days=21 - today.weekday())
    while any(monday <= day <= monday + dt.timedelta(days=6) for day, _why in CLOSURES):
        monday += dt.timedelta(days=7)
    return monday


def room_id(query, name: str) -> int:
    return query(lambda: db.session.scalar(sa.select(Room.id).filter_by(name=name)))


def prepare(app, monday: dt.date) -> None:
    """Computer Lab is blocked Wednesday to Friday; Frank booked the Auditorium on Tuesday."""
    with app.app_context():
        lab = db.session.scalar(sa.select(Room).filter_by(name="Computer Lab"))
        hall = db.session.scalar(sa.select(Room).filter_by(name="Auditorium"))
        admin = db.session.scalar(sa.select(User).filter_by(email="admin@example.org"))
        frank = db.session.scalar(sa.select(User).filter_by(email="facilitator@example.org"))
        wednesday = monday + dt.timedelta(days=2)
        bookings.block(
            lab,
            wednesday,
            wednesday + dt.timedelta(days=2),
            reason="Carpet cleaning",
            by=admin,
            now=utcnow(),
        )
        tuesday = monday + dt.timedelta(days=1)
        bookings.book(
            hall,
            dt.datetime.combine(tuesday, dt.time(13), tzinfo=NY),
            dt.datetime.combine(tuesday, dt.time(14), tzinfo=NY),
            title="Book club",
            by=frank,
        )
        db.session.commit()


def go_to(page: Page, day: dt.date) -> None:
    page.get_by_label("Go to date").fill(day.isoformat())
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(rf"date={day.isoformat()}"))


@SIZES
def test_manager_works_the_time_grid_finds_a_free_room_and_blocks_over_bookings(
    page: Page, demo, app, query, size
):
    page.set_viewport_size(size)
    phone = size == PHONE
    monday = quiet_monday()
    prepare(app, monday)
    lab, hall = room_id(query, "Computer Lab"), room_id(query, "Auditorium")
    sign_in(page, "manager@example.org", DEMO_PASSWORD)

    # Her branch's rooms: this week of the first room.
    page.goto("/branches/")
    page.get_by_role("link", name="Main Library").click()
    page.get_by_role("link", name="Room bookings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Room bookings at Main Library")
    expect(page.locator("#grid-h")).to_have_text(re.compile(r"^Auditorium, week of "))
    check_page(page)

    # The block over three days shows on each of them.
    wednesday = monday + dt.timedelta(days=2)
    if phone:
        page.get_by_role("link", name="Show the day view").click()
        expect(page.locator(".tg-col h3")).to_have_text(
            ["Auditorium", "Computer Lab", "Meeting Room A"]
        )
        check_page(page)
        go_to(page, wednesday)
        for n in range(3):
            day = wednesday + dt.timedelta(days=n)
            expect(page.locator("#grid-h")).to_contain_text(f"{day:%A}, {day:%B} {day.day}")
            expect(page.locator(".tg-col").nth(1).locator(".tg-booking")).to_have_text(
                re.compile(r"All day\s+Blocked: Carpet cleaning")
            )
            expect(page.locator(".tg-col").nth(0).locator(".tg-booking")).to_have_count(0)
            check_page(page)
            page.get_by_role("link", name="Next day").click()
        go_to(page, monday)
    else:
        go_to(page, wednesday)
        rooms = page.get_by_role("navigation", name="Rooms")
        rooms.get_by_role("link", name="Computer Lab").click()
        expect(page.locator("#grid-h")).to_have_text(re.compile(r"^Computer Lab, week of "))
        expect(page.locator(".tg-col h3")).to_have_text(
            [short_day(monday + dt.timedelta(days=n)) for n in range(7)]
        )
        for n in range(7):
            blocked = page.locator(".tg-col").nth(n).locator(".booking-block")
            expect(blocked).to_have_count(1 if n in (2, 3, 4) else 0)
        expect(page.locator(".booking-block").first).to_contain_text("Blocked: Carpet cleaning")
        check_page(page)

    # An empty slot, from the keyboard: the form comes filled in.
    slot = page.get_by_role("link", name=f"Book Computer Lab on {short_day(monday)} at 10:00 AM")
    slot.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a room at Main Library")
    expect(page.get_by_label("Room", exact=True)).to_have_value(str(lab))
    expect(page.get_by_label("Date", exact=True)).to_have_value(monday.isoformat())
    expect(page.get_by_label("From", exact=True)).to_have_value("10:00")
    expect(page.get_by_label("Until", exact=True)).to_have_value("11:00")
    check_page(page)
    page.get_by_label("What for").fill("Staff training")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(flash(page)).to_have_text("Computer Lab is booked.")
    expect(page.locator("#grid-h")).to_have_text(re.compile(r"^Computer Lab, week of "))
    expect(page.locator(".tg-col").nth(0).locator(".tg-booking")).to_have_text(
        re.compile(r"10:00 AM–11:00 AM\s+Staff training\s+Maria Manager")
    )
    check_page(page)

    # A room for 20 with a projector at that time: the Computer Lab is taken now.
    page.get_by_role("link", name="Find a free room").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a free room")
    check_page(page)
    page.get_by_label("Date", exact=True).fill(monday.isoformat())
    page.get_by_label("From", exact=True).fill("10:00")
    page.get_by_label("Until", exact=True).fill("11:00")
    page.get_by_label("Seats", exact=True).fill("20")
    page.get_by_label("Projector").check()
    page.get_by_role("button", name="Find rooms").click()
    expect(page.get_by_role("heading", level=2, name="1 room is free then")).to_be_visible()
    expect(page.locator(".free-rooms .card")).to_have_count(1)
    expect(page.locator(".free-rooms .card")).to_contain_text("Auditorium")
    taken = page.locator("details.not-free")
    expect(taken.locator("summary")).to_have_text("1 more room fits but is not free then")
    taken.locator("summary").click()
    expect(taken).to_contain_text("Computer Lab, Main Library: Computer Lab is taken")
    check_page(page)
    page.get_by_role("link", name="Book Auditorium at Main Library").click()
    expect(page.get_by_label("Room", exact=True)).to_have_value(str(hall))
    expect(page.get_by_label("From", exact=True)).to_have_value("10:00")
    page.get_by_label("What for").fill("Author talk")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(flash(page)).to_have_text("Auditorium is booked.")
    check_page(page)

    # Block the Auditorium on Monday and Tuesday: both bookings are listed first.
    page.get_by_role("link", name="Block Auditorium").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Block Auditorium")
    page.get_by_label("From (first day)").fill(monday.isoformat())
    page.get_by_label("Until (last day)").fill((monday + dt.timedelta(days=1)).isoformat())
    page.get_by_label("Reason").fill("Stage repairs")
    page.get_by_role("button", name="Block room").click()
    in_the_way = page.get_by_role("region", name="2 bookings are in the way")
    tuesday = monday + dt.timedelta(days=1)
    expect(in_the_way.get_by_role("listitem")).to_have_text(
        [
            re.compile(
                rf"{short_day(monday)}, {monday.year}, 10:00 AM–11:00 AM\s+·\s+"
                r"Author talk\s+·\s+booked by Maria Manager"
            ),
            re.compile(
                rf"{short_day(tuesday)}, {tuesday.year}, 1:00 PM–2:00 PM\s+·\s+"
                r"Book club\s+·\s+booked by Frank Facilitator"
            ),
        ]
    )
    expect(page.get_by_text("Auditorium has 2 bookings in those days")).to_be_visible()
    check_page(page)
    page.get_by_label("Cancel these bookings and tell whoever made them").check()
    page.get_by_label("Note to them (optional)").fill(NOTE)
    page.get_by_role("button", name="Block room").click()
    expect(flash(page)).to_have_text(
        "Auditorium is blocked; 2 bookings were cancelled and whoever made them told."
    )
    expect(page.locator("#grid-h")).to_have_text(re.compile(r"^Auditorium, week of "))
    for n in range(2):
        expect(page.locator(".tg-col").nth(n).locator(".tg-booking")).to_have_text(
            [re.compile(r"All day\s+Blocked: Stage repairs")]
        )
    check_page(page)

    def read():
        cancelled = db.session.scalars(
            sa.select(Booking.title).filter_by(status="cancelled").order_by(Booking.title)
        ).all()
        mail = [(m.to, m.subject, m.body) for m in db.session.scalars(sa.select(OutboxMessage))]
        return cancelled, mail

    cancelled, mail = query(read)
    assert cancelled == ["Author talk", "Book club"]
    # Frank is told, with her note; she made the other one herself.
    told = [(to, subject) for to, subject, body in mail if NOTE in body]
    assert told == [("facilitator@example.org", "Your room booking was cancelled")]
