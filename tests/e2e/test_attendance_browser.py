"""End-to-end: on a phone, a facilitator takes attendance for a meeting that has started —
"mark all present", two exceptions, three walk-ins — and saves it in one request, with
axe-core checking every page visited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, Request, expect

from app.extensions import db
from app.models import Attendance, AttendanceChange, AttendanceSheet, Enrollment, Meeting
from tests.e2e.helpers import (
    PHONE,
    check_page,
    flash,
    sign_in,
)
from tests.factories import World, enroll, set_times

pytestmark = pytest.mark.e2e

PEOPLE = [
    "Ana Díaz",
    "Ben Okafor",
    "Carla Reyes",
    "Dev Patel",
    "Eve Martin",
    "Femi Adeyemi",
    "Gus Larsen",
    "Hana Kim",
]


@pytest.mark.browser_context_args(viewport=PHONE)
def test_facilitator_takes_attendance_on_a_phone(page: Page, app, factory, query):
    world = World(app, factory)
    circle_id = world.circle(audience="public", capacity=10)
    for n, name in enumerate(PEOPLE):
        enroll(app, circle_id, name, f"person{n}@example.org")
    meetings = query(
        lambda: list(
            db.session.scalars(
                sa.select(Meeting.id)
                .where(Meeting.circle_id == circle_id)
                .order_by(Meeting.starts_at)
            )
        )
    )
    set_times(app, meetings, past=0, current=True)  # the first meeting began ten minutes ago

    sign_in(page, "lead@example.org")
    assert page.viewport_size == PHONE
    check_page(page)
    page.goto(f"/circles/{circle_id}")
    check_page(page)
    page.get_by_role("link", name="Attendance meeting 1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attendance")
    check_page(page)
    groups = page.get_by_role("group")
    for name in PEOPLE:
        expect(page.get_by_role("group", name=name)).to_be_visible()
    # Large targets: each choice is a whole labelled box, not just a small circle.
    box = page.get_by_role("group", name=PEOPLE[0]).locator("label").first.bounding_box()
    assert box is not None
    assert box["height"] >= 44

    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.get_by_role("button", name="Mark all present").click()
    for name in PEOPLE:
        expect(page.get_by_role("group", name=name).get_by_label("Present")).to_be_checked()
    # Ticked in place, not saved: the page says so until "Save attendance".
    unsaved = page.locator("#unsaved")
    expect(unsaved).to_have_text(
        "Not saved yet — change anyone who is not present, then press “Save attendance”."
    )
    page.get_by_role("group", name="Carla Reyes").get_by_label("Absent").check()
    page.get_by_role("group", name="Femi Adeyemi").get_by_label("Excused").check()
    page.get_by_label("Walk-ins").fill("3")
    page.get_by_role("button", name="Save attendance").click()

    # The flash messages, not the (now empty) "Not saved yet" notice, also a status region.
    expect(flash(page).and_(page.locator(".flashes"))).to_have_text(
        "Attendance saved (8 marks changed)."
    )
    expect(unsaved).to_have_text("")
    assert [re.sub(r"^https?://[^/]+", "", r.url) for r in posts] == [
        f"/meetings/{meetings[0]}/attendance"
    ]
    expect(page.get_by_role("group", name="Carla Reyes").get_by_label("Absent")).to_be_checked()
    expect(page.get_by_label("Walk-ins")).to_have_value("3")
    check_page(page)
    assert groups.count() == len(PEOPLE)

    marks = query(
        lambda: dict(
            db.session.execute(
                sa.select(Enrollment.name, Attendance.status)
                .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
                .where(Attendance.meeting_id == meetings[0])
            ).all()
        )
    )
    assert marks == {
        name: {"Carla Reyes": "absent", "Femi Adeyemi": "excused"}.get(name, "present")
        for name in PEOPLE
    }
    assert query(lambda: db.session.get(AttendanceSheet, meetings[0]).walk_ins) == 3
    history = query(
        lambda: [
            (c.old_status, c.new_status, c.changed_by_id)
            for c in db.session.scalars(sa.select(AttendanceChange))
        ]
    )
    assert sorted(history) == sorted(
        [(None, "present", world.lead)] * 6
        + [(None, "absent", world.lead), (None, "excused", world.lead)]
    )
