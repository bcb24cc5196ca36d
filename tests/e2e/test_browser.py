"""End-to-end: real clicks in headless Chromium against the live server, with axe-core checking
every page the tests visit."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Branch, OpeningHours, Room, User
from tests.e2e.helpers import (
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    flash,
    sign_in,
)

pytestmark = pytest.mark.e2e


def rooms(query) -> list[tuple]:
    return query(
        lambda: [
            (r.id, r.branch_id, r.name, r.capacity, r.features, r.bookable)
            for r in db.session.scalars(sa.select(Room).order_by(Room.id))
        ]
    )


def test_sign_in_and_sign_out(page: Page, factory, query):
    factory.user("ana@example.org", name="Ana Lima")

    sign_in(page, "ana@example.org")
    expect(flash(page)).to_have_text("Welcome, Ana Lima.")
    expect(page).to_have_url("/")
    expect(page.get_by_role("main")).to_contain_text("Signed in as Ana Lima (participant).")
    assert_accessible(page)
    assert query(lambda: db.session.scalar(sa.select(User.last_login_at)))
    version = query(lambda: db.session.scalar(sa.select(User.session_version)))

    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(flash(page)).to_have_text("You are signed out.")
    expect(page).to_have_url("/login")
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)
    # Signing out ends every copy of the session cookie, not just this browser's.
    assert query(lambda: db.session.scalar(sa.select(User.session_version))) == (version + 1)

    page.goto("/account")
    expect(page).to_have_url("/login?next=%2Faccount")
    expect(flash(page)).to_have_text("Please sign in to see this page.")
    assert_accessible(page)


def test_failed_sign_in_shows_the_error_beside_the_field(page: Page, factory, query):
    factory.user("ana@example.org")

    sign_in(page, "ana@example.org", "not the password")

    expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
    password = page.get_by_label("Password")
    error = page.locator(".field", has=password).locator(".error")
    expect(error).to_have_text("That email and password do not match an account.")
    expect(error).to_have_id("password-error")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", "password-error")
    expect(password).to_be_focused()  # app.js puts the keyboard on the first problem
    expect(password).to_have_value("")
    expect(page.get_by_label("Email")).to_have_value("ana@example.org")
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)
    assert query(lambda: db.session.scalar(sa.select(User.last_login_at))) is None


def test_admin_creates_a_branch_and_manages_its_rooms(page: Page, factory, query):
    factory.user("ada@example.org", name="Ada Admin", is_admin=True)
    sign_in(page, "ada@example.org")
    expect(flash(page)).to_have_text("Welcome, Ada Admin.")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Branches").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Branches")
    expect(page.get_by_role("main")).to_contain_text("No branches yet.")
    assert_accessible(page)

    # New branch: the short name is made from the name.
    page.get_by_role("link", name="New branch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New branch")
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Riverside Library")
    page.get_by_label("Address").fill("12 River Road, Springfield")
    page.get_by_label("Time zone").select_option("America/Chicago")
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_have_text("Branch Riverside Library created. Now set its opening hours.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opening hours of Riverside Library")
    assert_accessible(page)
    branch_id, slug, timezone = query(
        lambda: db.session.execute(sa.select(Branch.id, Branch.slug, Branch.timezone)).one()
    )
    assert (slug, timezone) == ("riverside-library", "America/Chicago")
    expect(page).to_have_url(f"/branches/{branch_id}/hours")

    # Opening hours: Monday and Saturday open, the rest closed.
    monday = page.get_by_role("group", name="Monday")
    monday.get_by_label("Opens").fill("09:00")
    monday.get_by_label("Closes").fill("17:30")
    saturday = page.get_by_role("group", name="Saturday")
    saturday.get_by_label("Opens").fill("10:00")
    saturday.get_by_label("Closes").fill("14:00")
    page.get_by_role("button", name="Save hours").click()
    expect(flash(page)).to_have_text("Opening hours saved.")
    expect(page).to_have_url(f"/branches/{branch_id}")
    hours = page.locator("dl.hours")
    expect(hours.locator("dt")).to_have_text(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
    expect(hours.locator("dd")).to_have_text(
        ["9:00 AM–5:30 PM", "Closed", "Closed", "Closed", "Closed", "10:00 AM–2:00 PM", "Closed"]
    )
    expect(page.get_by_role("main")).to_contain_text("No rooms yet.")
    assert_accessible(page)
    assert query(
        lambda: db.session.execute(
            sa.select(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes)
            .where(OpeningHours.branch_id == branch_id)
            .order_by(OpeningHours.weekday)
        ).all()
    ) == [(0, dt.time(9), dt.time(17, 30)), (5, dt.time(10), dt.time(14))]

    # Add a room; a first try with too many seats is refused beside the field.
    page.get_by_role("link", name="Add room").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a room at Riverside Library")
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Study Room A")
    page.get_by_label("Seats").fill("2000")
    page.get_by_label("Projector").check()
    page.get_by_label("Wheelchair accessible").check()
    expect(page.get_by_label("Can be booked")).to_be_checked()
    page.get_by_role("button", name="Save room").click()
    expect(page.locator("#capacity-error")).to_have_text("Between 1 and 1000 seats.")
    expect(page.get_by_label("Seats")).to_be_focused()
    expect(page.get_by_label("Projector")).to_be_checked()
    assert_accessible(page)
    assert rooms(query) == []

    page.get_by_label("Seats").fill("8")
    page.get_by_role("button", name="Save room").click()
    expect(flash(page)).to_have_text("Room Study Room A added.")
    row = page.get_by_role("row", name="Study Room A")
    expect(row.get_by_role("cell")).to_have_text(
        [
            "Study Room A",
            "8",
            "Wheelchair accessible Projector",
            "Yes",
            "Edit Study Room A Delete Study Room A",
        ]
    )
    assert_accessible(page)
    [(room_id, room_branch, name, seats, features, bookable)] = rooms(query)
    assert (room_branch, name, seats, features, bookable) == (
        branch_id,
        "Study Room A",
        8,
        ["accessible", "projector"],
        True,
    )

    # Edit it: more seats, everything else kept.
    page.get_by_role("link", name="Edit Study Room A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Study Room A")
    expect(page.get_by_label("Seats")).to_have_value("8")
    expect(page.get_by_label("Wheelchair accessible")).to_be_checked()
    expect(page.get_by_label("Whiteboard")).not_to_be_checked()
    assert_accessible(page)
    page.get_by_label("Seats").fill("12")
    page.get_by_role("button", name="Save room").click()
    expect(flash(page)).to_have_text("Room saved.")
    expect(page.get_by_role("row", name="Study Room A").get_by_role("cell").nth(1)).to_have_text(
        "12"
    )
    assert_accessible(page)
    assert rooms(query) == [
        (room_id, branch_id, "Study Room A", 12, ["accessible", "projector"], True)
    ]

    # Delete it: the confirmation page changes nothing by itself.
    page.get_by_role("link", name="Delete Study Room A").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete room")
    expect(page.get_by_role("main")).to_contain_text(
        "Delete Study Room A at Riverside Library? This cannot be undone."
    )
    assert_accessible(page)
    assert len(rooms(query)) == 1
    page.get_by_role("button", name="Delete room").click()
    expect(flash(page)).to_have_text("Room Study Room A deleted.")
    expect(page).to_have_url(f"/branches/{branch_id}")
    expect(page.get_by_role("main")).to_contain_text("No rooms yet.")
    assert_accessible(page)
    assert rooms(query) == []
    # The branch and its hours stay.
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(OpeningHours)))
    assert query(lambda: db.session.scalar(sa.select(Branch.name))) == "Riverside Library"


def test_branch_manager_sees_only_their_branch(page: Page, factory):
    mine = factory.branch("Harbor Branch", address="1 Quay Street")
    theirs = factory.branch("Hilltop Branch", address="99 Summit Avenue")
    factory.room(mine, "Reading Room", capacity=6)
    their_room = factory.room(theirs, "Hilltop Hall")
    factory.user("mo@example.org", name="Mo Manager", manages=[mine])

    sign_in(page, "mo@example.org")
    expect(flash(page)).to_have_text("Welcome, Mo Manager.")
    expect(page.get_by_role("main")).to_contain_text("(branch manager)")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Branches").click()
    expect(page).to_have_url("/branches/")
    table = page.get_by_role("table", name="Branches you manage")
    expect(table.get_by_role("link")).to_have_text(["Harbor Branch"])
    expect(page.get_by_role("main")).not_to_contain_text("Hilltop")
    expect(page.get_by_role("link", name="New branch")).to_have_count(0)
    assert_accessible(page)

    table.get_by_role("link", name="Harbor Branch").click()
    expect(page).to_have_url(f"/branches/{mine}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor Branch")
    expect(page.get_by_role("row", name="Reading Room")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Managers: Mo Manager")
    assert_accessible(page)

    for path in (f"/branches/{theirs}", f"/rooms/{their_room}/edit"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        expect(page.get_by_role("main")).not_to_contain_text("Hilltop")
        assert_accessible(page)


@pytest.mark.browser_context_args(viewport=PHONE)
def test_phone_layout_does_not_scroll_sideways(page: Page, factory):
    branch = factory.branch(
        "Central Library and Community Learning Centre",
        address="1200 Martin Luther King Jr. Boulevard, Springfield",
    )
    factory.room(
        branch,
        "Multipurpose Conference Room",
        capacity=120,
        features=["projector", "video_conferencing", "accessible", "hearing_loop"],
    )
    factory.room(branch, "Quiet Study", capacity=4, bookable=False)
    factory.user("mo@example.org", name="Mo Manager", manages=[branch])

    page.goto("/login")
    assert page.viewport_size == PHONE
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)

    sign_in(page, "mo@example.org")
    expect(flash(page)).to_have_text("Welcome, Mo Manager.")
    page.goto(f"/branches/{branch}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Central Library and Community Learning Centre"
    )
    expect(page.get_by_role("row", name="Multipurpose Conference Room")).to_be_attached()
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_in_viewport()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
