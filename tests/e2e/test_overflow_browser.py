"""End-to-end on the demo data, on a desktop and a phone, axe on every page: Carmen (who
manages Coral Gables and facilitates) finds her online accessibility circle full with four
people waiting, opens an overflow cohort from it (the wizard pre-filled, the schedule hers to
choose), publishes it, offers its seats to the waitlist from the roster, and the first person
waiting accepts the seat from "my circles"."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Circle, Enrollment
from app.participation.demo import TITLE
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)

pytestmark = pytest.mark.e2e

SECOND = f"{TITLE} (second cohort)"


def expect_step(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", level=2)).to_have_text(title)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_opens_an_overflow_cohort_and_the_first_waiting_takes_a_seat(
    page: Page, demo, query, size
):
    page.set_viewport_size(size)
    full = query(lambda: db.session.scalar(sa.select(Circle.id).filter_by(title=TITLE)))
    sign_in(page, "carmen@example.org", DEMO_PASSWORD)
    page.goto(f"/circles/{full}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    check_page(page)
    page.get_by_role("link", name="Open an overflow cohort").click()

    # The wizard, pre-filled from the full circle; when it meets is Carmen's to choose.
    expect_step(page, "Where and when")
    expect(flash(page)).to_contain_text(f"An overflow cohort of “{TITLE}” (4 people waiting)")
    expect(page.get_by_label("Branch").locator("option:checked")).to_have_text(
        "Coral Gables Branch"
    )
    expect(page.get_by_role("radio", name="Online", exact=True)).to_be_checked()
    check_page(page)
    today = dt.datetime.now(ZoneInfo("America/New_York")).date()
    # Wednesdays at 4 pm: the full circle's Mondays at 2 pm move to a Tuesday after a closure.
    wednesday = today + dt.timedelta(days=7 + (2 - today.weekday()) % 7)
    page.get_by_label("First meeting").fill(wednesday.isoformat())
    page.get_by_role("group", name="Meets on").get_by_label("Wednesday").check()
    page.get_by_label("Starts at").fill("16:00")
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Details")
    expect(page.get_by_label("Title")).to_have_value(SECOND)
    expect(page.get_by_label("Seats")).to_have_value("4")
    check_page(page)
    page.get_by_role("button", name="Next: review").click()
    expect_step(page, "Review")
    check_page(page)
    page.get_by_label("Publish now (people can see and join it)").check()
    page.get_by_role("button", name="Create circle").click()
    expect(flash(page)).to_contain_text("Circle created and published.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SECOND)

    # From the full circle's roster: its seats go to the waitlist, in order, by email.
    page.goto(f"/circles/{full}/roster")
    expect(page.get_by_role("heading", name="Seats for the waitlist")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name=f"Offer seats in “{SECOND}”").click()
    expect(flash(page)).to_contain_text(
        f"Seats in “{SECOND}” are offered to 4 people on the waitlist, by email."
    )
    offered = page.get_by_role("region", name="Table: seats offered").get_by_role("row")
    expect(offered).to_have_count(5)  # the header and four people
    expect(offered.nth(1)).to_contain_text("Jorge Castillo")
    check_page(page)
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    # Jorge, first on the waitlist, takes the seat from "my circles".
    sign_in(page, "staff10@example.org", DEMO_PASSWORD)
    page.goto("/my/circles")
    offers = page.get_by_role("region", name="Seats offered to you")
    expect(offers).to_contain_text(SECOND)
    check_page(page)
    offers.get_by_role("button", name=re.compile(r"^Accept")).click()
    expect(flash(page)).to_contain_text("You are in!")
    expect(page.get_by_role("region", name="Seats offered to you")).to_have_count(0)
    places = page.get_by_role("region", name="My places")
    expect(places.get_by_role("link", name=SECOND, exact=True)).to_have_count(1)
    expect(places.get_by_role("link", name=TITLE, exact=True)).to_have_count(0)  # left it
    check_page(page)
    held = query(
        lambda: sorted(
            (e.circle.title, e.status)
            for e in db.session.scalars(
                sa.select(Enrollment).where(Enrollment.email == "staff10@example.org")
            )
            if e.circle.title in (TITLE, SECOND)
        )
    )
    assert held == [(TITLE, "withdrawn"), (SECOND, "enrolled")]
