"""End-to-end: planning a circle leads to a booked room (issue 13). On the demo data, the
facilitator starts a circle through the wizard in one pass: choosing the branch shows its
opening hours, closures and rooms; the time offered fits the hours; the room list says how
many of the meetings each room is free for; the review says the room will be booked, and the
circle is created with it booked for every meeting. Desktop and phone, axe on every page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Circle, Closure, OpeningHours
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)
from tests.factories import next_weekday

pytestmark = pytest.mark.e2e

COURSE = "Weeding the Library Collection (WebJunction)"
TITLE = "Weeding circle"
ROOM = "Meeting Room A"


def expect_step(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", level=2)).to_have_text(title)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_facilitator_plans_a_circle_that_ends_with_a_booked_room(
    page: Page, demo, query, viewport
):
    page.set_viewport_size(viewport)
    sign_in(page, "facilitator@example.org", DEMO_PASSWORD)
    page.goto("/circles/new")
    expect_step(page, "Course")
    check_page(page)
    page.get_by_label("Course").select_option(label=COURSE)
    page.get_by_role("button", name="Next: where and when").click()

    # Where and when: choosing the branch reloads the step with its hours and rooms.
    expect_step(page, "Where and when")
    expect(page.get_by_role("heading", name="When Main Library is open")).to_have_count(0)
    page.get_by_label("Branch").select_option(label="Main Library")
    hours = page.get_by_role("region", name="When Main Library is open")
    expect(hours).to_be_visible()
    expect(hours.locator("dl.hours")).to_have_text(
        re.compile(
            r"Monday–Friday\s*9:30 AM–6:00 PM\s*Saturday\s*10:00 AM–5:00 PM\s*Sunday\s*Closed"
        )
    )
    upcoming = query(
        lambda: [
            c.reason
            for c in db.session.scalars(
                sa.select(Closure)
                .where(Closure.date >= dt.date.today())
                .order_by(Closure.date)
                .limit(1)
            )
        ]
    )
    if upcoming:
        expect(hours).to_contain_text(upcoming[0])
    # The time offered fits every open day (Saturdays close at 17:00).
    start = page.get_by_label("Starts at")
    expect(start).to_have_value("15:30")
    rooms = page.get_by_role("region", name="Rooms and the meetings they are free for")
    expect(rooms.locator("tbody tr")).to_have_count(3)  # Main Library's rooms, no others
    room = page.get_by_label("Room", exact=True)
    expect(room.locator("option")).to_have_text(
        ["No room yet", "Auditorium (120)", "Computer Lab (20)", f"{ROOM} (12)"]
    )
    check_page(page)

    first = next_weekday(3, weeks_ahead=1)  # a Thursday
    page.get_by_label("First meeting").fill(first.isoformat())
    page.get_by_role("group", name="Meets on").get_by_label("Thursday").check()
    page.get_by_label("Number of meetings").fill("4")
    page.get_by_role("button", name="Check which rooms are free").click()
    expect_step(page, "Where and when")
    expect(rooms.locator("tbody tr").filter(has_text=ROOM)).to_contain_text("all 4 meetings")
    expect(page.get_by_label("First meeting")).to_have_value(first.isoformat())
    room.select_option(label=f"{ROOM} (12)")
    check_page(page)
    page.get_by_role("button", name="Next: details").click()

    # Details, then the review: the room will be booked.
    expect_step(page, "Details")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Seats").fill("10")
    check_page(page)
    page.get_by_role("button", name="Next: review").click()
    expect_step(page, "Review")
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Main Library, {ROOM} · In person")
    expect(main).to_contain_text(f"{ROOM} will be booked for every meeting.")
    expect(main.locator("ol.schedule > li")).to_have_count(4)
    check_page(page)
    page.get_by_label("Publish now (people can see and join it)").check()
    page.get_by_role("button", name="Create circle").click()

    # The circle, with its room booked for every meeting.
    expect(flash(page)).to_have_text(
        f"Circle created and published. {ROOM} is booked for every meeting."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    cells = page.get_by_role("table").locator("tbody tr").locator("td:nth-child(4)")
    expect(cells).to_have_count(4)
    for n in range(4):
        expect(cells.nth(n)).to_contain_text(ROOM)
    check_page(page)

    def booked() -> list[tuple[str | None, str | None]]:
        circle = db.session.scalars(sa.select(Circle).filter_by(title=TITLE)).one()
        return [
            (m.booking.room.name if m.booking else None, m.booking and m.booking.kind)
            for m in circle.meetings
        ]

    assert query(booked) == [(ROOM, "meeting")] * 4


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_reason_every_room_shares_is_named_once_with_the_way_out(
    page: Page, world, app, query, viewport
):
    circle_id = world.circle(capacity=4, title="Grant writing circle")  # Tuesdays, 18:00
    with app.app_context():
        hours = db.session.scalars(
            sa.select(OpeningHours).filter_by(branch_id=world.branch, weekday=1)
        ).one()
        hours.closes = dt.time(18)  # since the circle was planned, Tuesdays close at 18:00
        db.session.commit()
    page.set_viewport_size(viewport)
    sign_in(page, "lead@example.org")
    page.goto(f"/circles/{circle_id}")
    page.get_by_role("link", name="Book rooms").click()

    # Not "0 of 4" for every room and "pick another room": the reason, once, and the way out.
    closed = page.get_by_role("region", name="No room can be booked for 4 meetings")
    expect(closed).to_contain_text(
        "All 4 meetings are after closing time, 6:00 PM. Main Library is open 9:00 AM–6:00 PM "
        "on Tuesday: a 90-minute meeting fits if it starts between 9:00 AM and 4:30 PM."
    )
    expect(closed.get_by_role("link", name=re.compile(r"^Move the meeting of"))).to_have_count(4)
    expect(page.get_by_role("main")).not_to_contain_text("Outside opening hours")
    expect(page.get_by_role("button", name="Book", exact=True)).to_have_count(0)
    check_page(page)

    closed.get_by_role("link", name=re.compile(r"^Move the meeting of")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move a meeting")
    page.get_by_label("Starts at").fill("16:00")
    page.get_by_role("button", name="Save meeting").click()
    expect(flash(page)).to_contain_text("Meeting moved.")

    page.get_by_role("link", name="Book rooms").click()
    closed = page.get_by_role("region", name="No room can be booked for 3 meetings")
    expect(closed).to_contain_text("3 of 4 meetings are after closing time, 6:00 PM.")
    page.get_by_label("Room", exact=True).select_option(label="Lab")
    page.get_by_label("If some meetings clash").select_option(
        label="Book the free meetings and list the clashes"
    )
    page.get_by_role("button", name="Book", exact=True).click()
    expect(flash(page)).to_contain_text("the others clash (below)")
    clashes = page.get_by_role("alert")
    expect(clashes.get_by_role("link", name="Move this meeting")).to_have_count(3)
    expect(clashes.get_by_role("link", name="Pick another room")).to_have_count(0)
    check_page(page)
