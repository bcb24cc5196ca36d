"""End-to-end: a facilitator starts a circle through the four-step guided form (course → where
and when → details → review) in headless Chromium, with axe-core checking every step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Circle, Facilitation, Meeting
from tests.e2e.helpers import (
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    flash,
    sign_in,
)
from tests.factories import RIVERSIDE_COURSE, Riverside

pytestmark = pytest.mark.e2e

Check = Callable[[Page], None]
NEW_YORK = ZoneInfo("America/New_York")
TITLE = "Tuesday evening management circle"


def when_text(day: dt.date) -> str:
    """How the pages show a 6 pm, 90-minute meeting on ``day`` (English)."""
    return f"{day:%a, %b} {day.day}, {day.year}, 6:00 PM–7:30 PM"


def expect_step(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a circle")
    expect(page.get_by_role("heading", level=2)).to_have_text(title)
    current = page.get_by_role("list", name="Steps").locator("[aria-current=step]")
    expect(current).to_have_text(title)


def choose_course(page: Page, check: Check | None = None) -> None:
    page.goto("/circles/new")
    expect_step(page, "Course")
    if check:
        check(page)
    page.get_by_label("Course").select_option(label=f"{RIVERSIDE_COURSE} (WebJunction)")
    page.get_by_role("button", name="Next: where and when").click()
    expect_step(page, "Where and when")


def fill_where_and_when(page: Page, first: dt.date, *, weekday: str | None = "Tuesday") -> None:
    page.get_by_label("Branch").select_option(label="Riverside Library")
    page.get_by_role("group", name="Format").get_by_label("In person", exact=True).check()
    page.get_by_label("Room", exact=True).select_option(label="Study Room A (10)")
    page.get_by_label("First meeting").fill(first.isoformat())
    if weekday:
        page.get_by_role("group", name="Meets on").get_by_label(weekday).check()
    page.get_by_label("Starts at").fill("18:00")
    page.get_by_label("Length in minutes").fill("90")
    page.get_by_label("Number of meetings").fill("4")
    page.get_by_role("group", name="When the branch is closed on a meeting day").get_by_label(
        "Move the meeting to the next open day"
    ).check()


def fill_details(page: Page) -> None:
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Seats").fill("8")
    page.get_by_role("group", name="Who can join").get_by_label("Anyone (public)").check()


def walk_to_review(page: Page, riverside: Riverside, *, check: Check = assert_accessible) -> None:
    """Through the first three steps, checking each page (course, where and when, details)."""
    choose_course(page, check)
    check(page)
    fill_where_and_when(page, riverside.first)
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Details")
    check(page)
    fill_details(page)
    page.get_by_role("button", name="Next: review").click()
    expect_step(page, "Review")


def circle_count(query) -> tuple[int, int, int]:
    return query(
        lambda: tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Circle, Meeting, Facilitation)
        )
    )


def test_facilitator_creates_a_circle_step_by_step(page: Page, riverside: Riverside, query):
    sign_in(page, "fay@example.org")
    expect(flash(page)).to_have_text("Welcome, Fay Facilitator.")
    walk_to_review(page, riverside)

    # Review: four Tuesdays, the one on the closure moved to the Wednesday after.
    moved_to = riverside.closed + dt.timedelta(days=1)
    dates = [
        riverside.first,
        moved_to,
        riverside.first + dt.timedelta(days=14),
        riverside.first + dt.timedelta(days=21),
    ]
    main = page.get_by_role("main")
    facts = main.locator("dl.facts")
    expect(facts.locator("dd")).to_have_text(
        [
            f"{RIVERSIDE_COURSE} (WebJunction)",
            TITLE,
            "Riverside Library, Study Room A · In person",
            "8",
            "Anyone (public)",
        ]
    )
    expect(page.get_by_role("heading", level=3)).to_have_text("4 meetings (Eastern Time)")
    schedule = main.locator("ol.schedule > li")
    expect(schedule).to_have_count(4)
    for item, day in zip(schedule.all(), dates, strict=True):
        expect(item).to_contain_text(when_text(day))
    expect(schedule.nth(1)).to_contain_text(
        f"moved from {riverside.closed:%a, %b} {riverside.closed.day}, {riverside.closed.year} "
        "(Staff training day)"
    )
    expect(main.locator(".note")).to_have_count(1)
    assert_accessible(page)
    assert circle_count(query) == (0, 0, 0)  # nothing is stored before "Create circle"

    page.get_by_label("Publish now (people can see and join it)").check()
    page.get_by_role("button", name="Create circle").click()

    # The circle's page.
    expect(flash(page)).to_have_text(
        "Circle created and published. Study Room A is booked for every meeting."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open")
    expect(main).to_contain_text("Fay Facilitator (lead)")
    expect(main).to_contain_text("Times in Eastern Time.")
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(5)  # a header and four meetings
    for n, day in enumerate(dates, start=1):
        cells = rows.nth(n).get_by_role("cell")
        expect(cells.nth(0)).to_have_text(str(n))
        expect(cells.nth(1)).to_have_text(when_text(day))
        expect(cells.nth(2)).to_have_text("Scheduled")
    assert_accessible(page)

    def stored():
        [circle] = db.session.scalars(sa.select(Circle)).all()
        return (
            circle.id,
            circle.title,
            circle.status,
            circle.course_id,
            circle.branch_id,
            circle.room_id,
            circle.format,
            circle.timezone,
            circle.capacity,
            circle.audience,
            circle.created_by_id,
            [(m.starts_at, m.ends_at, m.status) for m in circle.meetings],
            [(f.user_id, f.role) for f in circle.facilitations],
        )

    (circle_id, *fields, meetings, facilitations) = query(stored)
    expect(page).to_have_url(f"/circles/{circle_id}")
    assert fields == [
        TITLE,
        "published",
        riverside.course_id,
        riverside.branch_id,
        riverside.room_id,
        "in_person",
        "America/New_York",
        8,
        "public",
        riverside.user_id,
    ]
    local = [
        (start.astimezone(NEW_YORK).date(), start.astimezone(NEW_YORK).time(), end - start, state)
        for start, end, state in meetings
    ]
    assert local == [(day, dt.time(18), dt.timedelta(minutes=90), "scheduled") for day in dates]
    assert facilitations == [(riverside.user_id, "lead")]


def test_back_from_details_keeps_where_and_when(page: Page, riverside: Riverside, query):
    sign_in(page, "fay@example.org")
    choose_course(page)
    fill_where_and_when(page, riverside.first)
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Details")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Seats").fill("0")  # not valid, but this step is not being submitted

    page.get_by_role("button", name="Back").click()
    expect_step(page, "Where and when")
    # No error summary: the seat count's problem is not on this step.
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator(".error")).to_have_count(0)
    expect(page.get_by_label("Branch")).to_have_value(str(riverside.branch_id))
    expect(
        page.get_by_role("group", name="Format").get_by_label("In person", exact=True)
    ).to_be_checked()
    expect(page.get_by_label("Room", exact=True)).to_have_value(str(riverside.room_id))
    expect(page.get_by_label("First meeting")).to_have_value(riverside.first.isoformat())
    weekdays = page.get_by_role("group", name="Meets on")
    expect(weekdays.get_by_label("Tuesday")).to_be_checked()
    expect(weekdays.get_by_role("checkbox", checked=True)).to_have_count(1)
    expect(page.get_by_label("Starts at")).to_have_value("18:00")
    expect(page.get_by_label("Length in minutes")).to_have_value("90")
    expect(page.get_by_label("Number of meetings")).to_have_value("4")
    expect(page.get_by_label("Move the meeting to the next open day")).to_be_checked()
    assert_accessible(page)

    # And forward again: the details typed before going back are still there.
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Details")
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("Seats")).to_have_value("0")
    assert circle_count(query) == (0, 0, 0)


def test_schedule_errors_are_shown_on_where_and_when(page: Page, riverside: Riverside, query):
    sign_in(page, "fay@example.org")
    choose_course(page)

    # A field's own check: refused at once, the step does not change.
    fill_where_and_when(page, riverside.first, weekday=None)
    length = page.get_by_label("Length in minutes")
    length.fill("0")
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Where and when")
    expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
    expect(page.locator("#duration_minutes-error")).to_have_text(
        "A meeting lasts between 1 minute and 8 hours."
    )
    expect(length).to_have_attribute("aria-invalid", "true")
    expect(length).to_be_focused()
    expect(page.get_by_label("Number of meetings")).to_have_value("4")
    assert_accessible(page)

    # No weekday ticked and no dates listed: found as soon as the step is left.
    length.fill("90")
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Where and when")
    expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
    weekdays = page.get_by_role("group", name="Meets on")
    error = page.locator(".field", has=weekdays).locator(".error")
    expect(error).to_have_text("Choose at least one weekday.")
    expect(error).to_have_id("weekdays-error")
    expect(weekdays).to_have_attribute("aria-describedby", "weekdays-error")
    expect(page.get_by_label("First meeting")).to_have_value(riverside.first.isoformat())
    assert_accessible(page)

    # A weekday, but a first meeting in the past: refused at once too, before the details.
    weekdays.get_by_label("Tuesday").check()
    past = riverside.first - dt.timedelta(weeks=52)
    page.get_by_label("First meeting").fill(past.isoformat())
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Where and when")
    first = page.get_by_label("First meeting")
    error = page.locator(".field", has=first).locator(".error")
    expect(error).to_have_text("The first meeting must be in the future.")
    expect(first).to_have_attribute("aria-invalid", "true")
    expect(first).to_have_attribute("aria-describedby", "first_date-error")
    expect(first).to_be_focused()
    expect(first).to_have_value(past.isoformat())
    expect(page.get_by_role("group", name="Meets on").get_by_label("Tuesday")).to_be_checked()
    assert_accessible(page)

    # Too late for the branch: the message names its hours and what would fit.
    first.fill(riverside.first.isoformat())
    page.get_by_label("Starts at").fill("19:00")
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Where and when")
    start = page.get_by_label("Starts at")
    expect(page.locator(".field", has=start).locator(".error")).to_have_text(
        "All 4 meetings are after closing time, 8:00 PM. Riverside Library is open "
        "9:00 AM–8:00 PM on Tuesday: a 90-minute meeting fits if it starts between 9:00 AM "
        "and 6:30 PM."
    )
    expect(start).to_be_focused()
    assert_accessible(page)

    # Fixed: on to the details, with what was typed there kept.
    start.fill("18:00")
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Details")
    expect(page.get_by_role("button", name="Create circle")).to_have_count(0)
    assert circle_count(query) == (0, 0, 0)


def test_where_and_when_opens_without_errors(page: Page, riverside: Riverside):
    sign_in(page, "fay@example.org")
    choose_course(page)
    assert page.get_by_role("alert").count() == 0
    assert page.locator(".error").all_inner_texts() == []
    assert page.get_by_label("Branch").get_attribute("aria-invalid") == "false"


@pytest.mark.browser_context_args(viewport=PHONE)
def test_review_and_circle_page_fit_a_phone(page: Page, riverside: Riverside, query):
    def check(page: Page) -> None:
        assert_no_horizontal_scroll(page)
        assert_accessible(page)

    sign_in(page, "fay@example.org")
    walk_to_review(page, riverside, check=check)
    assert page.viewport_size == PHONE
    expect(page.get_by_role("main").locator("ol.schedule > li")).to_have_count(4)
    expect(page.get_by_role("button", name="Create circle")).to_be_visible()
    check(page)

    page.get_by_label("Publish now (people can see and join it)").check()
    page.get_by_role("button", name="Create circle").click()
    expect(flash(page)).to_have_text(
        "Circle created and published. Study Room A is booked for every meeting."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(5)
    check(page)
    assert circle_count(query) == (1, 4, 1)
