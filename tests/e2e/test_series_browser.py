"""End-to-end: a facilitator moves the demo CHIS circle's series from Tuesdays to Thursdays
(form, review, confirm: every meeting moves, its room follows), then copies the circle for
its next cohort through the creation wizard, filled in from it. Desktop and phone, axe on
every page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import Circle
from tests.e2e.helpers import DESKTOP, PHONE, assert_accessible, flash, sign_in

pytestmark = pytest.mark.e2e

CHIS = "Consumer Health Information Specialization (CHIS) circle"
TUESDAY, THURSDAY = 1, 3


def expect_step(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", level=2)).to_have_text(title)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_facilitator_moves_a_series_to_thursdays_and_copies_the_circle(
    page: Page, demo, query, viewport
):
    page.set_viewport_size(viewport)
    chis_id = query(lambda: db.session.scalars(sa.select(Circle.id).filter_by(title=CHIS)).one())
    sign_in(page, "facilitator@example.org", DEMO_PASSWORD)
    page.goto(f"/circles/{chis_id}")
    page.get_by_role("link", name="Move the series").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Move the series")
    expect(page.get_by_label("Starts at")).to_have_value("15:00")
    assert_accessible(page)
    page.get_by_label("New weekday").select_option(label="Thursday")
    page.get_by_role("button", name="Review the move").click()

    review = page.get_by_role("region", name="Review")
    expect(review).to_contain_text("6 meetings move")
    expect(review.locator("ol.schedule > li")).to_have_count(6)
    expect(review.locator("ol.schedule > li").first).to_contain_text(re.compile(r"Tue.*→ Thu"))
    assert_accessible(page)
    page.get_by_role("button", name="Move the meetings").click()

    expect(flash(page)).to_contain_text("6 meetings moved. The people enrolled have been told.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CHIS)
    assert_accessible(page)

    def days() -> int:
        return db.session.get(Circle, chis_id).weekday_mask

    mask = query(days)
    assert mask & (1 << THURSDAY)
    assert not mask & (1 << TUESDAY)

    # Copy it for the next cohort: the wizard opens on "where and when", filled in.
    page.get_by_role("link", name="Copy for a new cohort").click()
    expect_step(page, "Where and when")
    expect(flash(page)).to_contain_text(f"A copy of “{CHIS}”")
    expect(page.get_by_label("Starts at")).to_have_value("15:00")
    expect(page.get_by_label("Number of meetings")).to_have_value("6")
    expect(page.get_by_role("group", name="Meets on").get_by_label("Thursday")).to_be_checked()
    expect(page.get_by_label("First meeting")).not_to_have_value("")
    assert_accessible(page)
    page.get_by_role("button", name="Next: details").click()
    expect_step(page, "Details")
    expect(page.get_by_label("Title")).to_have_value(CHIS)
    assert_accessible(page)
    page.get_by_role("button", name="Next: review").click()
    expect_step(page, "Review")
    assert_accessible(page)
    page.get_by_role("button", name="Create circle").click()

    expect(flash(page)).to_contain_text("Circle saved as a draft.")
    expect(page.get_by_role("heading", level=1)).to_contain_text(CHIS)
    assert_accessible(page)
    copies = query(lambda: list(db.session.scalars(sa.select(Circle.id).filter_by(title=CHIS))))
    assert len(copies) == 2
