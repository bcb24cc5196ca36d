"""End-to-end on the demo data, on a desktop and a phone, axe on every new page: Pat (who works
at Main Library) reports a course she finished on her own, Maria Manager (Main Library)
confirms it from her queue, and Pat's pathway moves on a step."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from app.timeutil import local_today
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_out,
)
from tests.e2e.test_pathways_browser import open_pathways

pytestmark = pytest.mark.e2e

COURSE = "Evaluating Internet Health Information: A Tutorial from the National Library of Medicine"
PATHWAY = "New staff essentials"


def steps_done(page: Page) -> int:
    page.get_by_role("link", name=PATHWAY).first.click()
    progress = page.get_by_role("region", name="Your progress")
    expect(progress).to_contain_text("required step")
    return int(re.search(r"(\d+) of \d+ required", progress.inner_text()).group(1))


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_report_a_self_paced_course_their_manager_confirms_and_progress_moves_on(
    page: Page, demo, size
):
    page.set_viewport_size(size)
    open_pathways(page, "participant@example.org")
    before = steps_done(page)
    page.get_by_role("link", name="Pathways", exact=True).first.click()

    page.get_by_role("link", name="I finished a course on my own").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses I finished on my own")
    check_page(page)
    finished = local_today("America/New_York") - dt.timedelta(days=2)
    page.get_by_label("Course", exact=True).select_option(label=COURSE)
    page.get_by_label("The day you finished it").fill(finished.isoformat())
    page.get_by_label("Evidence").fill("https://medlineplus.gov/webeval/certificate/pat")
    page.get_by_role("button", name="Report it").click()
    expect(flash(page)).to_contain_text("your manager confirms it")
    mine = page.get_by_role("region", name="What I reported")
    expect(mine).to_contain_text("Waiting for a manager")
    check_page(page)
    sign_out(page)

    open_pathways(page, "manager@example.org")
    page.get_by_role("link", name="Self-paced courses to confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-paced courses to confirm")
    check_page(page)
    page.get_by_role("link", name=f"Review Pat Participant: {COURSE}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pat Participant")
    check_page(page)
    page.get_by_label("Confirm: it counts").check()
    page.get_by_role("button", name="Save review").click()
    expect(flash(page)).to_contain_text("Confirmed: it counts on Pat Participant's pathways.")
    expect(page.get_by_role("main")).not_to_contain_text(f"Pat Participant: {COURSE}")
    check_page(page)
    sign_out(page)

    open_pathways(page, "participant@example.org")
    assert steps_done(page) == before + 1
    step = page.get_by_role("region", name="Steps").get_by_role("listitem").filter(has_text=COURSE)
    expect(step).to_contain_text("done")
    check_page(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pathways").click()
    page.get_by_role("link", name="I finished a course on my own").click()
    expect(page.get_by_role("region", name="What I reported")).to_contain_text(
        "Confirmed by Maria Manager"
    )
