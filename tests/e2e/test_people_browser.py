"""End-to-end on the demo data, on a desktop (1280x800) and a phone (390x844), axe on every
page: a visitor follows a link to a staff-only circle, signs in and lands on it; a
facilitator's home shows their next meetings and what needs them; the lead adds a
co-facilitator and cancels a meeting with a note to the participants."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Booking, BookingStatus, Circle, Facilitation, Meeting, OutboxMessage, User
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)
from tests.factories import enroll, set_times

pytestmark = pytest.mark.e2e

SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
CHIS = "Consumer Health Information Specialization (CHIS) circle"
ONLINE = "Leading People and Teams (emerging managers)"


def circle_id(query, title: str) -> int:
    return query(lambda: db.session.scalar(sa.select(Circle.id).filter_by(title=title)))


def meeting_ids(query, circle: int) -> list[int]:
    return query(
        lambda: list(
            db.session.scalars(
                sa.select(Meeting.id).filter_by(circle_id=circle).order_by(Meeting.starts_at)
            )
        )
    )


@SIZES
def test_visitor_follows_a_staff_circle_link_signs_in_and_lands_on_it(
    page: Page, demo, query, size
):
    page.set_viewport_size(size)
    chis = circle_id(query, CHIS)
    page.goto(f"/circles/{chis}")
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fcircles%2F{chis}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(flash(page)).to_contain_text("Please sign in to see this page.")
    check_page(page)
    page.get_by_label("Email").fill("participant@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(rf"/circles/{chis}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(CHIS)
    expect(page.get_by_role("region", name="Join")).to_be_visible()
    check_page(page)


@SIZES
def test_facilitators_home_shows_next_meetings_and_what_needs_them(
    page: Page, demo, app, query, size
):
    online = circle_id(query, ONLINE)
    chis = circle_id(query, CHIS)
    set_times(app, meeting_ids(query, online), past=1)  # held last week, no sheet yet
    with app.app_context():  # the CHIS circle has no room booked
        for booking in db.session.scalars(
            sa.select(Booking).join(Meeting).where(Meeting.circle_id == chis)
        ):
            booking.status = BookingStatus.cancelled
        db.session.commit()

    page.set_viewport_size(size)
    sign_in(page, "facilitator@example.org", DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Frank Facilitator")
    meetings = page.get_by_role("region", name="Your next meetings")
    expect(meetings).to_contain_text("Times in ")
    expect(meetings.get_by_role("link", name=CHIS).first).to_be_visible()
    expect(meetings.get_by_role("link", name=re.compile("^Join online")).first).to_have_attribute(
        "href", "https://meet.example.org/north-dade"
    )
    todo = page.get_by_role("region", name="What needs you")
    expect(todo.get_by_role("link", name=f"Take attendance: {ONLINE}")).to_be_visible()
    expect(todo.get_by_role("link", name=f"Book rooms: {CHIS}")).to_be_visible()
    check_page(page)

    todo.get_by_role("link", name=f"Book rooms: {CHIS}").click()
    expect(page).to_have_url(re.compile(rf"/circles/{chis}/rooms$"))
    page.go_back()
    todo.get_by_role("link", name=f"Take attendance: {ONLINE}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attendance")


@SIZES
def test_lead_adds_a_co_facilitator_and_cancels_a_meeting_with_a_note(
    page: Page, demo, app, query, size
):
    chis = circle_id(query, CHIS)
    enroll(app, chis, "Pat Participant", "participant@example.org")
    page.set_viewport_size(size)
    sign_in(page, "facilitator@example.org", DEMO_PASSWORD)
    page.goto(f"/circles/{chis}")
    panel = page.get_by_role("region", name="Facilitator panel")
    expect(panel).to_contain_text("1 enrolled")
    expect(page.get_by_role("region", name="Join")).to_have_count(0)
    check_page(page)

    page.get_by_role("link", name="Facilitators", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Facilitators")
    check_page(page)
    page.get_by_label("Facilitator", exact=True).select_option(label="Carmen Cruz")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(flash(page)).to_contain_text("Carmen Cruz now co-facilitates this circle.")
    expect(page.get_by_role("main").get_by_role("list").first).to_contain_text(
        "Carmen Cruz — co-facilitator"
    )
    check_page(page)

    page.get_by_role("link", name=CHIS).click()
    expect(page.get_by_role("main")).to_contain_text("Carmen Cruz")
    page.get_by_role("link", name="Cancel meeting 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel meeting")
    check_page(page)
    page.get_by_label("Note to participants (optional)").fill(
        "The room is being painted. Read module 2 before next week."
    )
    page.get_by_role("button", name="Cancel meeting").click()
    expect(flash(page)).to_contain_text("Meeting cancelled. The people enrolled have been told.")
    expect(page.get_by_role("row").nth(1)).to_contain_text("Cancelled")
    check_page(page)

    def check_outcome():
        carmen = db.session.scalar(sa.select(User.id).filter_by(email="carmen@example.org"))
        assert db.session.get(Facilitation, (chis, carmen)).role == "co"
        told = db.session.scalars(
            sa.select(OutboxMessage).filter_by(to="participant@example.org")
        ).all()
        cancelled = told[-1]
        assert cancelled.subject == f"Meeting cancelled: {CHIS}"
        assert cancelled.reply_to == "facilitator@example.org"
        assert "The room is being painted. Read module 2 before next week." in cancelled.body

    query(check_outcome)
