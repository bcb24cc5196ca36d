"""End-to-end: room bookings in headless Chromium, with axe-core checking every page. A branch
manager works the time grid (book, move, cancel); a facilitator books rooms for a circle's
meetings, clashes included; the booking form's errors; the grid and the form on a phone."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from app.extensions import db
from app.models import Booking, Circle, Closure, Meeting, Room, User
from app.rooms import bookings
from app.timeutil import local_today
from tests.e2e.helpers import (
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    flash,
    outbox,
    sign_in,
)
from tests.factories import next_weekday

pytestmark = pytest.mark.e2e

NY = ZoneInfo("America/New_York")
CIRCLE = "Grant writing circle"


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def add_booking(app, room_id: int, by_id: int, day: dt.date, span: str, title: str) -> int:
    """Book through the service, as someone else did earlier; ``span`` is "HH:MM-HH:MM"."""
    start, end = (dt.time.fromisoformat(t) for t in span.split("-"))
    with app.app_context():
        booking = bookings.book(
            db.session.get(Room, room_id),
            dt.datetime.combine(day, start, tzinfo=NY),
            dt.datetime.combine(day, end, tzinfo=NY),
            title=title,
            by=db.session.get(User, by_id),
        )
        db.session.commit()
        return booking.id


def stored_bookings(query) -> list[tuple[int, str, str, str]]:
    """(room, title, local start, status) of every booking, in the order they were made."""
    return query(
        lambda: [
            (b.room_id, b.title, f"{b.starts_at.astimezone(NY):%Y-%m-%d %H:%M}", b.status)
            for b in db.session.scalars(sa.select(Booking).order_by(Booking.id))
        ]
    )


def grid_cell(page: Page, column: int) -> Locator:
    """The ``column``'s column of the time grid (in a room's week, 0 = Monday)."""
    return page.locator(".tg-col").nth(column)


def shown(day: dt.date) -> str:
    """A day as pages show it in English (app.labels.when): "Tue, Dec 22, 2026"."""
    return f"{day:%a, %b} {day.day}, {day.year}"


def short_day(day: dt.date) -> str:
    return f"{day:%a}, {day:%b} {day.day}"


def expect_week(page: Page, monday: dt.date, closed: dt.date | None = None, room: str = "Lab"):
    """A room's week on the time grid: a column per day (the closure's shaded and labelled),
    the room picked among the branch's rooms."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Room bookings at Main Library")
    expect(page.locator("#grid-h")).to_have_text(re.compile(rf"^{room}, week of "))
    expect(page.get_by_role("navigation", name="Rooms").get_by_role("link")).to_have_text(
        ["Lab", "Study"]
    )
    expect(page.locator(".room-tabs [aria-current]")).to_have_text(room)
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    expect(page.locator(".tg-col h3")).to_have_text([short_day(day) for day in days])
    expect(page.locator(".tg-shade", has_text="Closed: Inventory")).to_have_count(
        1 if closed in days else 0
    )
    # Sunday has no opening hours.
    expect(grid_cell(page, 6).locator(".tg-shade")).to_have_text(
        "Closed: no opening hours on Sundays"
    )


def fill_booking(page: Page, *, room: str, title: str, day: dt.date, span: str) -> None:
    start, end = span.split("-")
    page.get_by_label("Room", exact=True).select_option(label=room)
    page.get_by_label("What for").fill(title)
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("Until", exact=True).fill(end)


def confirm_cancel(page: Page, question: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel booking")
    expect(page.get_by_role("main")).to_contain_text(question)
    assert_accessible(page)
    page.get_by_role("button", name="Cancel booking").click()
    expect(flash(page)).to_have_text("Booking cancelled.")


def test_manager_books_moves_and_cancels_in_the_week_grid(page: Page, world, app, query):
    today = local_today("America/New_York")
    closed = monday_of(today) + dt.timedelta(days=3)  # this week's Thursday
    with app.app_context():
        db.session.add(Closure(branch_id=world.branch, date=closed, reason="Inventory"))
        db.session.commit()
    day = next_weekday(2)  # a Wednesday two weeks or more ahead
    stamp = day.isoformat()
    theirs = add_booking(app, world.room, world.lead, day, "10:00-11:00", "Book club")
    lab, study = world.room, world.small_room

    sign_in(page, "boss@example.org")
    page.goto(f"/branches/{world.branch}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Main Library")
    assert_accessible(page)

    # This week: Lab's days, Thursday closed.
    page.get_by_role("link", name="Room bookings").click()
    expect_week(page, monday_of(today), closed)
    assert_accessible(page)

    # Today, every room.
    page.get_by_role("link", name="Day view").click()
    expect(page.locator("#grid-h")).to_have_text(
        re.compile(rf"^{today:%A}, {today:%B} {today.day}")
    )
    expect(page.locator(".tg-col h3")).to_have_text(["Lab", "Study"])
    expect(page.get_by_role("link", name="Next day")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Week view").click()
    expect_week(page, monday_of(today), closed)
    assert_accessible(page)

    # Book Lab for an event: the grid of that week shows it beside Lena's booking.
    page.get_by_role("link", name="Book a room").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a room at Main Library")
    assert_accessible(page)
    fill_booking(page, room="Lab (20)", title="Author talk", day=day, span="14:00-15:30")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(flash(page)).to_have_text("Lab is booked.")
    expect_week(page, monday_of(day))
    expect(grid_cell(page, 2).locator(".tg-booking")).to_have_text(
        [
            re.compile(r"10:00 AM–11:00 AM\s+Book club\s+Lena Lead"),
            re.compile(r"2:00 PM–3:30 PM\s+Author talk\s+Bo Boss"),
        ]
    )
    assert_accessible(page)
    page.get_by_role("navigation", name="Rooms").get_by_role("link", name="Study").click()
    expect_week(page, monday_of(day), room="Study")
    expect(grid_cell(page, 2).locator(".tg-booking")).to_have_count(0)
    page.get_by_role("navigation", name="Rooms").get_by_role("link", name="Lab").click()
    booked = [
        (lab, "Book club", f"{stamp} 10:00", "active"),
        (lab, "Author talk", f"{stamp} 14:00", "active"),
    ]
    assert stored_bookings(query) == booked

    # Move his own booking to Study: nobody else to tell.
    page.get_by_role("link", name="Move Author talk").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move a booking")
    expect(page.get_by_label("Room", exact=True)).to_have_value(str(lab))
    expect(page.get_by_label("Date", exact=True)).to_have_value(stamp)
    expect(page.get_by_label("From", exact=True)).to_have_value("14:00")
    expect(page.get_by_label("Until", exact=True)).to_have_value("15:30")
    assert_accessible(page)
    page.get_by_label("Room", exact=True).select_option(label="Study (4)")
    page.get_by_role("button", name="Save booking").click()
    expect(flash(page)).to_have_text("Booking moved.")
    expect_week(page, monday_of(day), room="Study")  # the week of the room it is in now
    expect(grid_cell(page, 2)).to_contain_text("Author talk")
    assert_accessible(page)
    page.get_by_role("navigation", name="Rooms").get_by_role("link", name="Lab").click()
    expect(grid_cell(page, 2)).not_to_contain_text("Author talk")
    booked[1] = (study, "Author talk", f"{stamp} 14:00", "active")
    assert stored_bookings(query) == booked
    assert outbox(query) == []

    # Move Lena's booking to Study and an hour later: she is told by email.
    page.get_by_role("link", name="Move Book club").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move a booking")
    assert_accessible(page)
    page.get_by_label("Room", exact=True).select_option(label="Study (4)")
    page.get_by_label("From", exact=True).fill("11:00")
    page.get_by_label("Until", exact=True).fill("12:00")
    page.get_by_role("button", name="Save booking").click()
    expect(flash(page)).to_have_text("Booking moved.")
    expect(grid_cell(page, 2).locator(".tg-booking")).to_have_text(
        [re.compile(r"11:00 AM–12:00 PM\s+Book club"), re.compile(r"2:00 PM–3:30 PM\s+Author talk")]
    )
    assert_accessible(page)
    booked[0] = (study, "Book club", f"{stamp} 11:00", "active")
    assert stored_bookings(query) == booked
    [(to, subject, body)] = outbox(query)
    assert (to, subject) == ("lead@example.org", "Your room booking was moved")
    assert f"Bo Boss moved your booking “Book club”. It is now in Study, {day:%a}" in body

    # Cancel Lena's booking: asked first, then she is told.
    page.get_by_role("link", name="Cancel Book club").click()
    confirm_cancel(page, "Cancel the booking of Study for “Book club” on")
    expect_week(page, monday_of(day), closed, room="Study")  # back to the booking's week
    assert_accessible(page)
    booked[0] = (study, "Book club", f"{stamp} 11:00", "cancelled")
    assert stored_bookings(query) == booked
    assert query(lambda: db.session.get(Booking, theirs).sequence) == 2  # moved, cancelled
    messages = outbox(query)
    assert [(to, subject) for to, subject, _body in messages] == [
        ("lead@example.org", "Your room booking was moved"),
        ("lead@example.org", "Your room booking was cancelled"),
    ]
    assert "Bo Boss cancelled your booking of Study for “Book club”" in messages[1][2]

    # His own booking, from his list: cancelled without an email.
    page.goto("/bookings/mine")
    expect(page.get_by_role("heading", level=1)).to_have_text("My room bookings")
    expect(page.get_by_role("main").get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("main").get_by_role("listitem")).to_contain_text(
        "Main Library, Study · Author talk"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Cancel Author talk").click()
    confirm_cancel(page, "Cancel the booking of Study for “Author talk” on")
    assert_accessible(page)
    booked[1] = (study, "Author talk", f"{stamp} 14:00", "cancelled")
    assert stored_bookings(query) == booked
    assert len(outbox(query)) == 2


def room_column(page: Page) -> Locator:
    """The Room cells of the circle page's schedule."""
    return page.get_by_role("table").locator("tbody tr").locator("td:nth-child(4)")


def expect_rooms(page: Page, names: list[str]) -> None:
    expect(room_column(page)).to_have_text(
        [
            re.compile(rf"^\s*{name}\s+Change room for meeting {n}\s*$")
            for n, name in enumerate(names, start=1)
        ]
    )


def meeting_rooms(query, circle_id: int) -> tuple[int | None, list[int | None], int]:
    """The circle's room, each meeting's booked room, and the number of cancelled bookings."""

    def read():
        circle = db.session.get(Circle, circle_id)
        cancelled = db.session.scalar(
            sa.select(sa.func.count()).select_from(Booking).where(Booking.status == "cancelled")
        )
        return (
            circle.room_id,
            [m.booking.room_id if m.booking else None for m in circle.meetings],
            cancelled,
        )

    return query(read)


def test_facilitator_books_rooms_for_a_circle_and_handles_a_clash(
    page: Page, world, factory, app, query
):
    reading = factory.room(world.branch, "Reading Room", capacity=8)
    circle_id = world.circle(capacity=4, room_id=None, title=CIRCLE)  # four Tuesdays, 18:00
    meetings = query(
        lambda: [
            (m.id, m.starts_at)
            for m in db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at))
        ]
    )
    lab, study = world.room, world.small_room

    sign_in(page, "lead@example.org")
    page.goto(f"/circles/{circle_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CIRCLE)
    expect(room_column(page)).to_have_text([re.compile(r"^\s*not booked\s+Book room")] * 4)
    assert_accessible(page)

    # Every room seats four and is free for every meeting.
    page.get_by_role("link", name="Book rooms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a room for the meetings")
    expect(page.get_by_role("main")).to_contain_text(
        "4 meetings to come · 4 seats needed · Main Library"
    )
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_text(
        [
            re.compile(rf"^\s*{name}\s+{seats}\s+every meeting\s*$")
            for name, seats in (("Study", 4), ("Reading Room", 8), ("Lab", 20))
        ]
    )
    assert_accessible(page)
    page.get_by_label("Room", exact=True).select_option(label="Lab")
    page.get_by_label("If some meetings clash").select_option(label="Book nothing (all or nothing)")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(flash(page)).to_have_text("Lab is booked for every meeting.")
    expect(page).to_have_url(f"/circles/{circle_id}")
    expect(page.locator("dl.facts")).to_contain_text("Main Library, Lab")
    expect_rooms(page, ["Lab"] * 4)
    assert_accessible(page)
    assert meeting_rooms(query, circle_id) == (lab, [lab] * 4, 0)

    # Someone books Study over the second meeting.
    second_id, second_start = meetings[1]
    second_day = second_start.astimezone(NY).date()
    add_booking(app, study, world.manager, second_day, "17:00-18:30", "Board meeting")

    page.get_by_role("link", name="Book rooms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a room for the meetings")
    expect(rows.filter(has_text="Study")).to_contain_text("3 of 4 meetings")
    expect(rows.filter(has_text="Study")).to_contain_text("Clashes")
    expect(rows.filter(has_text="Reading Room")).to_contain_text("every meeting")
    assert_accessible(page)
    page.get_by_label("Room", exact=True).select_option(label="Study")
    page.get_by_label("If some meetings clash").select_option(
        label="Book the free meetings and list the clashes"
    )
    page.get_by_role("button", name="Book", exact=True).click()

    expect(flash(page)).to_have_text("Study is booked for 3 meetings; the others clash (below).")
    clashes = page.get_by_role("alert")
    expect(clashes).to_contain_text("These meetings clash:")
    expect(clashes.get_by_role("listitem")).to_have_count(1)
    expect(clashes.get_by_role("listitem")).to_contain_text(
        f"{shown(second_day)}, 6:00 PM: "
        f"Study is taken {shown(second_day)}, 5:00 PM–6:30 PM by “Board meeting”."
    )
    assert_accessible(page)
    # Study for the three free meetings (their Lab bookings cancelled); the second keeps Lab.
    assert meeting_rooms(query, circle_id) == (study, [study, lab, study, study], 3)

    clashes.get_by_role("link", name="Pick another room").click()
    expect(page).to_have_url(f"/meetings/{second_id}/room")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Room for the meeting of {shown(second_day)}, 6:00 PM"
    )
    room = page.get_by_label("Room", exact=True)
    expect(room.locator("option")).to_have_text(["Reading Room", "Lab"])  # Study is taken
    assert_accessible(page)
    room.select_option(label="Reading Room")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(flash(page)).to_have_text("Reading Room is booked for this meeting.")
    expect(page).to_have_url(f"/circles/{circle_id}")
    expect_rooms(page, ["Study", "Reading Room", "Study", "Study"])
    assert_accessible(page)
    assert meeting_rooms(query, circle_id) == (study, [study, reading, study, study], 4)
    board = query(
        lambda: db.session.scalars(sa.select(Booking).filter_by(title="Board meeting")).one()
    )
    assert (board.room_id, board.status) == (study, "active")


def test_booking_form_errors_are_shown_beside_their_fields(page: Page, world, app, query):
    day = next_weekday(2)
    add_booking(app, world.room, world.manager, day, "10:00-11:00", "Board meeting")
    before = stored_bookings(query)

    # Staff who do not manage the branch book too; "Cancel" takes them to their own bookings.
    sign_in(page, "lead@example.org")
    page.goto(f"/branches/{world.branch}/bookings/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a room at Main Library")
    expect(page.get_by_role("main").get_by_role("link", name="Cancel")).to_have_attribute(
        "href", "/bookings/mine"
    )
    fill_booking(page, room="Lab (20)", title="Story time", day=day, span="15:00-14:00")
    book = page.get_by_role("button", name="Book", exact=True)

    def expect_error(field: str, name: str, message: str) -> None:
        expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
        expect(page.locator(".error")).to_have_count(1)
        error = page.locator(f"#{field}-error")
        expect(error).to_have_text(message)
        control = page.get_by_label(name, exact=True)
        expect(page.locator(".field", has=control).locator(".error")).to_have_id(f"{field}-error")
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", f"{field}-error")
        expect(control).to_be_focused()
        expect(page.get_by_label("What for")).to_have_value("Story time")
        expect(page.get_by_label("Date", exact=True)).to_have_value(day.isoformat())
        assert_accessible(page)
        assert stored_bookings(query) == before

    # The end before the start.
    book.click()
    expect_error("end_time", "Until", "The end must be after the start.")

    # Past closing time.
    page.get_by_label("Until", exact=True).fill("21:30")
    book.click()
    expect_error(
        "start_time",
        "From",
        "Outside opening hours: Main Library is open 9:00 AM–9:00 PM that day.",
    )
    expect(page.get_by_label("Until", exact=True)).to_have_value("21:30")

    # Overlapping the board meeting: the message names it.
    page.get_by_label("From", exact=True).fill("10:30")
    page.get_by_label("Until", exact=True).fill("11:30")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        book.click()
    assert answer.value.status == 409
    expect_error(
        "room_id",
        "Room",
        f"Lab is taken {shown(day)}, 10:00 AM–11:00 AM by “Board meeting”.",
    )
    expect(page.get_by_label("Room", exact=True)).to_have_value(str(world.room))


@pytest.mark.browser_context_args(viewport=PHONE)
def test_week_grid_and_booking_form_fit_a_phone(page: Page, world, app):
    day = next_weekday(2)
    add_booking(app, world.room, world.lead, day, "10:00-11:00", "Book club")
    sign_in(page, "boss@example.org")
    assert page.viewport_size == PHONE

    page.goto(f"/branches/{world.branch}/calendar?date={day.isoformat()}")
    expect_week(page, monday_of(day))
    expect(grid_cell(page, 2)).to_contain_text("Book club")
    # Seven days do not fit a phone: the table scrolls inside its wrapper, not the page.
    assert_no_horizontal_scroll(page)
    inner, outer = page.locator(".table-wrap").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert inner > outer
    assert_accessible(page)

    page.get_by_role("link", name="Book a room").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a room at Main Library")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
