"""End-to-end: joining circles in headless Chromium, with axe-core checking every page. Staff
join in one click from the circle's page and leave from "My circles"; a guest signs up for a
full circle, confirms by the link in the email, lands on the waitlist and is moved up by email;
a facilitator works the roster (add, move up, CSV); the guest form's errors; the join pages on
a phone."""

from __future__ import annotations

import csv
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import AuditEvent, Circle, Enrollment, Meeting, User
from app.participation import services
from app.timeutil import utcnow
from tests.e2e.helpers import (
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    flash,
    outbox,
    sign_in,
)

pytestmark = pytest.mark.e2e

NY = ZoneInfo("America/New_York")
CIRCLE = "Grant writing circle"
CONSENT = "The facilitators may email me about this circle and future circles."


def enroll(app, live_server: str, circle_id: int, name: str, email: str) -> int:
    """Join through the service, as someone did earlier (a staff account if the email has one);
    the emails' links point at the live server."""
    with app.test_request_context(base_url=live_server):
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        enrollment = services.join(
            db.session.get(Circle, circle_id),
            services.Joiner(name=name, email=email, user=user),
            utcnow(),
        )
        db.session.commit()
        return enrollment.id


def places(query, circle_id: int) -> tuple[list[tuple[str, str, int | None]], int]:
    """(email, status, waitlist position) of everyone who joined, and the seats counted taken."""

    def read():
        enrollments = db.session.scalars(
            sa.select(Enrollment).filter_by(circle_id=circle_id).order_by(Enrollment.id)
        )
        return (
            [(e.email, e.status, services.waitlist_position(e)) for e in enrollments],
            db.session.get(Circle, circle_id).enrolled_count,
        )

    return query(read)


def meeting_times(query, circle_id: int) -> list[str]:
    """How the pages show the circle's meetings to someone in New York."""
    return query(
        lambda: [
            f"{start:%a, %b} {start.day}, {start.year}, {start.hour % 12 or 12}:{start:%M %p}"
            for start in (
                m.starts_at.astimezone(NY)
                for m in db.session.scalars(
                    sa.select(Meeting).filter_by(circle_id=circle_id).order_by(Meeting.starts_at)
                )
            )
        ]
    )


def join_box(page: Page):
    return page.get_by_role("region", name="Join")


def confirmation_link(query, live_server: str, email: str) -> str:
    """The link in the newest "Confirm your place" email to ``email``."""
    _to, subject, body = [m for m in outbox(query) if m[0] == email][-1]
    assert subject.startswith("Confirm your place in"), subject
    match = re.search(rf"{re.escape(live_server)}/join/confirm/[\w-]+", body)
    assert match, body
    return match.group(0)


def expect_check_your_email(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/circles/\d+/join/sent$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("main")).to_contain_text(
        "Your place is given when the address is confirmed"
    )
    expect(page.get_by_role("main")).to_contain_text("The link works for 48 hours.")
    assert_accessible(page)


def test_staff_join_in_one_click_and_leave(page: Page, world, query):
    circle_id = world.circle(title=CIRCLE)
    times = meeting_times(query, circle_id)

    sign_in(page, "pat@example.org")
    expect(flash(page)).to_have_text("Welcome, Pat.")
    page.goto(f"/circles/{circle_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CIRCLE)
    box = join_box(page)
    expect(box.get_by_role("button")).to_have_text("Join the circle")
    assert_accessible(page)

    # One click: the consent box is in the Join box itself, no form page between.
    box.get_by_label(CONSENT).check()
    box.get_by_role("button", name="Join the circle").click()
    expect(page).to_have_url("/my/circles")
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")
    expect(flash(page)).to_have_text("You are in! A confirmation is on its way to pat@example.org.")
    card = page.get_by_role("region", name="My places").get_by_role("listitem")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=3)).to_have_text(CIRCLE)
    expect(card).to_contain_text("Enrolled")
    coming = page.get_by_role("region", name="Coming up").get_by_role("listitem")
    expect(coming).to_have_text([f"{when} — {CIRCLE}" for when in times])
    assert_accessible(page)
    assert places(query, circle_id) == ([("pat@example.org", "enrolled", None)], 1)
    enrollment = query(lambda: db.session.scalars(sa.select(Enrollment)).one())
    assert (enrollment.user_id, enrollment.name, enrollment.consent_contact) == (
        world.participant,
        "Pat",
        True,
    )
    assert [(to, subject) for to, subject, _ in outbox(query)] == [
        ("pat@example.org", f"You are in “{CIRCLE}”")
    ]

    # Leave: asked first, then gone from the list.
    card.get_by_role("link", name=f"Leave {CIRCLE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leave circle")
    expect(page.get_by_role("main")).to_contain_text(
        f"Leave “{CIRCLE}”? Your seat goes to the next person on the waitlist"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Leave circle").click()
    expect(page).to_have_url("/my/circles")
    expect(flash(page)).to_have_text(f"You have left “{CIRCLE}”.")
    expect(page.get_by_role("main")).to_contain_text("You have not joined any circle yet.")
    expect(page.get_by_role("main")).to_contain_text("No meetings coming up.")
    assert_accessible(page)
    assert places(query, circle_id) == ([("pat@example.org", "withdrawn", None)], 0)
    withdrawn = query(lambda: db.session.get(Enrollment, enrollment.id))
    assert (withdrawn.withdrawn_by_id, withdrawn.withdrawn_at is not None) == (
        world.participant,
        True,
    )


def test_guest_joins_a_full_circle_and_is_moved_up(page: Page, world, app, query, live_server):
    circle_id = world.circle(title=CIRCLE, audience="public", capacity=1)
    pat = enroll(app, live_server, circle_id, "Pat", "pat@example.org")

    page.goto(f"/circles/{circle_id}")
    expect(page.get_by_role("main").locator("dl.facts")).to_contain_text("0 of 1 left")
    assert_accessible(page)
    join_box(page).get_by_role("link", name="Join the waitlist").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join “{CIRCLE}”")
    expect(page.get_by_role("main")).to_contain_text(
        "The circle is full: you will join the waitlist and we will email you if a seat opens."
    )
    assert_accessible(page)
    page.get_by_label("Your name").fill("Gia Guest")
    page.get_by_label("Your email").fill("Gia@Example.org")
    page.get_by_role("button", name="Join the waitlist").click()

    # Nothing is held yet: the address gets a link to confirm.
    expect_check_your_email(page)
    assert places(query, circle_id) == ([("pat@example.org", "enrolled", None)], 1)
    link = confirmation_link(query, live_server, "gia@example.org")
    assert "The link works for 48 hours." in outbox(query)[-1][2]

    # Opening the link asks first (it changes nothing by itself); Confirm takes the place.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Confirm your place in “{CIRCLE}”")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Gia Guest · gia@example.org")
    expect(main.locator(".lead")).to_have_text(
        "The circle is full: confirm to take the next place on the waitlist."
    )
    assert_accessible(page)
    assert places(query, circle_id) == ([("pat@example.org", "enrolled", None)], 1)
    main.get_by_role("button", name="Confirm").click()

    # The guest's own manage page; the email carries the same link.
    expect(page).to_have_url(re.compile(r"/manage/[\w-]+$"))
    expect(flash(page)).to_have_text(
        "The circle is full: you are number 1 on the waitlist. We will email you if a seat opens."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your place in “{CIRCLE}”")
    expect(main).to_contain_text("Gia Guest · gia@example.org")
    expect(main.locator(".lead")).to_have_text("You are number 1 on the waitlist.")
    expect(main.get_by_role("link", name="Leave the circle")).to_be_visible()
    assert_accessible(page)
    manage_url = page.url
    assert places(query, circle_id) == (
        [("pat@example.org", "enrolled", None), ("gia@example.org", "waitlisted", 1)],
        1,
    )
    [_pat_mail, _confirm, (to, subject, body)] = outbox(query)
    assert (to, subject) == ("gia@example.org", f"You are on the waitlist for “{CIRCLE}”")
    assert "you are number 1 on the waitlist" in body
    assert f"Manage your place or leave the waitlist: {manage_url}\n" in body + "\n"

    # Pat leaves: the seat goes to Gia, who is told by email.
    with app.test_request_context(base_url=live_server):
        services.withdraw(db.session.get(Enrollment, pat), by=None, now=utcnow())
        db.session.commit()
    page.reload()
    expect(main.locator(".lead")).to_have_text("You are enrolled.")
    assert_accessible(page)
    assert places(query, circle_id) == (
        [("pat@example.org", "withdrawn", None), ("gia@example.org", "enrolled", None)],
        1,
    )
    (to, subject, body) = outbox(query)[-1]
    assert (to, subject) == ("gia@example.org", f"A seat opened: you are in “{CIRCLE}”")
    # The manage link was shown once (only its hash is kept): later emails point to the page
    # that sends a new one.
    assert manage_url not in body
    assert f"or get a new one here: {live_server}/join/lost-link\n" in body + "\n"
    assert len(outbox(query)) == 4

    # The link leaves with the guest: after leaving, it opens nothing.
    page.get_by_role("link", name="Leave the circle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leave circle")
    assert_accessible(page)
    page.get_by_role("button", name="Leave circle").click()
    expect(page).to_have_url(f"{live_server}/circles/{circle_id}")
    expect(flash(page)).to_have_text(f"You have left “{CIRCLE}”.")
    assert_accessible(page)
    assert page.goto(manage_url).status == 404


def test_facilitator_works_the_roster(page: Page, world, app, query, live_server):
    circle_id = world.circle(title=CIRCLE, audience="public", capacity=2)
    for name, email in (
        ("Pat", "pat@example.org"),
        ("Gia Guest", "gia@example.org"),
        ("Wes Wait", "wes@example.org"),
    ):
        enroll(app, live_server, circle_id, name, email)

    sign_in(page, "lead@example.org")
    page.goto(f"/circles/{circle_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CIRCLE)
    assert_accessible(page)
    page.get_by_role("region", name="Facilitator panel").get_by_role("link", name="Roster").click()

    main = page.get_by_role("main")
    enrolled = page.get_by_role("region", name=re.compile(r"^Enrolled"))
    waitlist = page.get_by_role("region", name=re.compile(r"^Waitlist"))

    def expect_roster(seats: str, enrolled_names: list[str], waiting_names: list[str]) -> None:
        expect(page.get_by_role("heading", level=1)).to_have_text("Roster")
        expect(main).to_contain_text(seats)
        expect(enrolled.get_by_role("heading")).to_have_text(f"Enrolled ({len(enrolled_names)})")
        expect(enrolled.locator("tbody tr td:first-child")).to_have_text(enrolled_names)
        expect(waitlist.get_by_role("heading")).to_have_text(f"Waitlist ({len(waiting_names)})")
        expect(waitlist.locator("tbody tr td:nth-child(2)")).to_have_text(waiting_names)
        expect(waitlist.locator("tbody tr td:first-child")).to_have_text(
            [str(n) for n in range(1, len(waiting_names) + 1)]
        )
        assert_accessible(page)

    expect_roster("2 of 2 seats taken · 1 waiting", ["Pat", "Gia Guest"], ["Wes Wait"])
    before = [
        ("pat@example.org", "enrolled", None),
        ("gia@example.org", "enrolled", None),
        ("wes@example.org", "waitlisted", 1),
    ]
    assert places(query, circle_id) == (before, 2)

    # Add a colleague by email: the circle is full, so the waitlist; matched to the account.
    add = page.get_by_role("region", name="Add someone")
    add.get_by_label("Name").fill("Cole Co")
    add.get_by_label("Email").fill("co@example.org")
    add.get_by_role("button", name="Add").click()
    expect(flash(page)).to_have_text("Cole Co is waitlisted.")
    expect_roster("2 of 2 seats taken · 2 waiting", ["Pat", "Gia Guest"], ["Wes Wait", "Cole Co"])
    assert places(query, circle_id) == ([*before, ("co@example.org", "waitlisted", 2)], 2)
    cole = query(lambda: db.session.scalars(sa.select(Enrollment).filter_by(name="Cole Co")).one())
    assert cole.user_id == world.co

    # Full: moving up puts Cole first in line for the next seat.
    waitlist.get_by_role("button", name="Move up Cole Co").click()
    expect(flash(page)).to_have_text("The circle is full: Cole Co is now first on the waitlist.")
    expect_roster("2 of 2 seats taken · 2 waiting", ["Pat", "Gia Guest"], ["Cole Co", "Wes Wait"])
    assert places(query, circle_id) == (
        [*before[:2], ("wes@example.org", "waitlisted", 2), ("co@example.org", "waitlisted", 1)],
        2,
    )

    # A free seat. (The app gives freed and added seats to the waitlist in order at once, so
    # a seat that stays free while people wait is set up in the database.)
    def one_more_seat() -> None:
        db.session.get(Circle, circle_id).capacity = 3
        db.session.commit()

    query(one_more_seat)
    page.reload()
    expect_roster("2 of 3 seats taken · 2 waiting", ["Pat", "Gia Guest"], ["Cole Co", "Wes Wait"])
    waitlist.get_by_role("button", name="Move up Cole Co").click()
    expect(flash(page)).to_have_text("Cole Co is now enrolled.")
    expect_roster("3 of 3 seats taken · 1 waiting", ["Pat", "Gia Guest", "Cole Co"], ["Wes Wait"])
    after = [
        *before[:2],
        ("wes@example.org", "waitlisted", 1),
        ("co@example.org", "enrolled", None),
    ]
    assert places(query, circle_id) == (after, 3)
    assert (
        query(
            lambda: [
                (e.action, e.actor_id, e.detail) for e in db.session.scalars(sa.select(AuditEvent))
            ]
        )
        == [("enrollment.move_up", world.lead, f"enrollment:{cole.id}")] * 2
    )
    assert outbox(query)[-1][:2] == ("co@example.org", f"You are in “{CIRCLE}”")

    # The CSV: a header row, then everyone.
    with page.expect_download() as download_info:
        main.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"roster-circle-{circle_id}.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == [
        "name",
        "email",
        "status",
        "waitlist_position",
        "joined",
        "withdrawn",
        "consent",
        "goals",
        "answer",
    ]
    assert sorted((r[0], r[1], r[2], r[3]) for r in rows[1:]) == [
        ("Cole Co", "co@example.org", "enrolled", ""),
        ("Gia Guest", "gia@example.org", "enrolled", ""),
        ("Pat", "pat@example.org", "enrolled", ""),
        ("Wes Wait", "wes@example.org", "waitlisted", "1"),
    ]
    assert places(query, circle_id) == (after, 3)  # exporting changes nothing


def test_guest_form_errors_are_shown_beside_their_fields(page: Page, world, query, live_server):
    circle_id = world.circle(title=CIRCLE, audience="public")
    page.goto(f"/circles/{circle_id}")
    assert_accessible(page)
    join_box(page).get_by_role("link", name="Join the circle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join “{CIRCLE}”")
    expect(page.get_by_role("main")).to_contain_text("10 seats left.")
    assert_accessible(page)
    name, email = page.get_by_label("Your name"), page.get_by_label("Your email")
    join = page.get_by_role("button", name="Join the circle")

    def expect_error(field: str, control, message: str) -> None:
        expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
        expect(page.locator(".error")).to_have_count(1)
        error = page.locator(".field", has=control).locator(".error")
        expect(error).to_have_text(message)
        expect(error).to_have_id(f"{field}-error")
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_attribute("aria-describedby", re.compile(rf"\b{field}-error\b"))
        expect(control).to_be_focused()
        assert_accessible(page)
        assert places(query, circle_id) == ([], 0)
        assert outbox(query) == []

    name.fill("Gia Guest")
    email.fill("not-an-email")
    join.click()
    expect_error("email", email, "Enter a valid email address.")
    expect(name).to_have_value("Gia Guest")
    expect(email).to_have_value("not-an-email")

    name.fill("")
    email.fill("gia@example.org")
    join.click()
    expect_error("name", name, "This field is required.")
    expect(email).to_have_value("gia@example.org")

    name.fill("Gia Guest")
    join.click()
    expect_check_your_email(page)
    page.goto(confirmation_link(query, live_server, "gia@example.org"))
    page.get_by_role("main").get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/manage/"))
    expect(page.get_by_role("main").locator(".lead")).to_have_text("You are enrolled.")
    assert_accessible(page)
    assert places(query, circle_id) == ([("gia@example.org", "enrolled", None)], 1)

    # The same email again (another case): the page says what it says to anyone, so that it
    # does not tell who is in the circle; the address's owner finds their place by the link.
    page.goto(f"/circles/{circle_id}/join")
    assert_accessible(page)
    name.fill("Gia again")
    email.fill("GIA@example.org")
    join.click()
    expect_check_your_email(page)
    assert places(query, circle_id) == ([("gia@example.org", "enrolled", None)], 1)
    page.goto(confirmation_link(query, live_server, "gia@example.org"))
    page.get_by_role("main").get_by_role("button", name="Confirm").click()
    expect(flash(page)).to_contain_text("You were already signed up for this circle.")
    expect(page.get_by_role("main").locator(".lead")).to_have_text("You are enrolled.")
    assert_accessible(page)
    assert places(query, circle_id) == ([("gia@example.org", "enrolled", None)], 1)


@pytest.mark.browser_context_args(viewport=PHONE)
def test_join_pages_fit_a_phone(page: Page, world, app, query):
    circle_id = world.circle(title=CIRCLE)
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        circle.ask_goals = True
        circle.custom_question = "Which branch do you work at, and what do you do there?"
        db.session.commit()

    def check(page: Page) -> None:
        assert_no_horizontal_scroll(page)
        assert_accessible(page)

    sign_in(page, "pat@example.org")
    assert page.viewport_size == PHONE
    page.goto(f"/circles/{circle_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CIRCLE)
    expect(join_box(page).get_by_role("link", name="Join the circle")).to_be_visible()
    check(page)

    join_box(page).get_by_role("link", name="Join the circle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Join “{CIRCLE}”")
    page.get_by_label("What do you hope to get from this circle? (optional)").fill("Grants")
    page.get_by_label("Which branch do you work at, and what do you do there?").fill("Kendall")
    page.get_by_label(CONSENT).check()
    check(page)

    page.get_by_role("button", name="Join the circle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My circles")
    expect(page.get_by_role("region", name="My places")).to_contain_text("Enrolled")
    expect(page.get_by_role("region", name="Coming up").get_by_role("listitem")).to_have_count(4)
    check(page)
    enrollment = query(lambda: db.session.scalars(sa.select(Enrollment)).one())
    assert (enrollment.status, enrollment.goals, enrollment.answer) == (
        "enrolled",
        "Grants",
        "Kendall",
    )
