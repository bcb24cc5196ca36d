"""End-to-end on the demo data (last year's needs survey answered and closed), on a desktop and a
phone, axe on every page: the admin opens this year's survey; a staff member sees the notice on
their home page and answers it; the demand board shows this year's figures against last
year's, their comment, and the career stage × skill area heat map in its own scrolling box."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.models import NeedsSurvey, SkillArea
from app.timeutil import local_today
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_opens_the_needs_survey_staff_answer_and_the_board_compares(
    page: Page, demo, query, size
):
    today = local_today("America/New_York")

    # As before the admin opens this year's: the demo has it open already.
    def before_it_opens():
        db.session.execute(sa.delete(NeedsSurvey).filter_by(year=today.year))
        db.session.commit()

    query(before_it_opens)
    page.set_viewport_size(size)

    sign_in(page, "admin@example.org", DEMO_PASSWORD)
    page.goto("/demand/surveys")
    expect(page.get_by_role("heading", level=1)).to_have_text("Needs surveys")
    last_year = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=str(today.year - 1), exact=True)
    )
    expect(last_year).to_contain_text("closed")
    check_page(page)
    page.get_by_label("Introduction").fill("Which skills should our circles cover next?")
    closes_on = today + dt.timedelta(days=21)
    page.get_by_label("Closing date").fill(closes_on.isoformat())
    page.get_by_role("button", name="Open the survey").click()
    expect(flash(page)).to_contain_text(f"The {today.year} needs survey is open.")
    this_year = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=str(today.year), exact=True)
    )
    expect(this_year).to_contain_text("open")
    expect(this_year).to_contain_text(f"{closes_on:%a, %b} {closes_on.day}, {closes_on.year}")
    check_page(page)
    sign_out(page)

    sign_in(page, "staff08@example.org", DEMO_PASSWORD)
    page.get_by_role("link", name="Answer the needs survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"The {today.year} needs survey")
    expect(page.get_by_text("Which skills should our circles cover next?")).to_be_visible()
    check_page(page)
    page.get_by_label("Leadership", exact=True).check()
    page.get_by_label("Outreach", exact=True).check()
    page.get_by_label("Take on leadership", exact=True).check()
    page.get_by_label("In person", exact=True).check()
    page.get_by_label("Morning", exact=True).check()
    page.get_by_label("Anything else we should know?").fill("Weekday mornings suit my branch.")
    page.get_by_role("button", name="Send my answer").click()
    expect(flash(page)).to_contain_text("your answer is saved")
    expect(page.get_by_role("heading", level=1)).to_have_text("My interests")
    expect(page.get_by_role("heading", name="Any course in Outreach")).to_be_visible()
    expect(page.get_by_role("link", name="Answer the needs survey")).to_have_count(0)
    check_page(page)
    sign_out(page)

    sign_in(page, "admin@example.org", DEMO_PASSWORD)
    page.goto("/demand")
    expect(page.get_by_text(f"1 answer in {today.year}; 5 in {today.year - 1}.")).to_be_visible()
    areas = page.get_by_role("table", name="Skill areas asked for, this year against last")
    for area, cells in (("Leadership", "1 0 +1"), ("Management", "0 1 −1")):
        row = areas.get_by_role("row").filter(has=page.get_by_role("rowheader", name=area))
        expect(row.get_by_role("cell")).to_have_text(cells.split())
    expect(page.get_by_text("Weekday mornings suit my branch.")).to_be_visible()

    box = page.get_by_role("region", name=re.compile("People wanting a circle against open seats"))
    every = box.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Every stage"))
    leadership = every.get_by_role("cell").nth(list(SkillArea).index(SkillArea.leadership))
    expect(leadership).to_contain_text(re.compile(r"\d+ want"))
    expect(leadership).to_contain_text(re.compile(r"\d+ seats?"))
    check_page(page)
    if size == PHONE:  # the wide map scrolls inside its box, not the page
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
