"""End-to-end on the demo data, on a desktop and a phone, axe on every page: a staff member says
they would join a circle on Grants 101; a manager who facilitates opens the demand board, sees
the course first with its figures, starts a circle from that row and finds the wizard
pre-filled with what most people asked for."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)

pytestmark = pytest.mark.e2e

COURSE = "Grants 101"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_ask_for_a_circle_and_a_manager_starts_it_from_the_demand_board(
    page: Page, demo, size
):
    page.set_viewport_size(size)
    sign_in(page, "staff05@example.org", DEMO_PASSWORD)
    page.goto(f"/courses/?q={COURSE}")
    page.get_by_role("main").get_by_role("link", name=COURSE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    check_page(page)
    page.get_by_role("link", name="I'd join a circle on this").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("I'd join a circle on this")
    page.get_by_label("Online, at set times").check()
    page.get_by_label("Evening").check()
    page.get_by_label("Branch").select_option(label="Main Library")
    check_page(page)
    page.get_by_role("button", name="Count me in").click()
    expect(flash(page)).to_contain_text("we will email you when a circle on it is open")
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    # Carmen manages Coral Gables and facilitates: she sees who chose her branch, by name.
    sign_in(page, "carmen@example.org", DEMO_PASSWORD)
    page.goto("/demand")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demand")
    row = page.get_by_role("row").filter(has_text=COURSE)
    expect(row.get_by_role("cell").first).to_have_text("5")  # four in the demo, and Ed
    expect(row).to_contain_text("Pat Participant")  # chose Coral Gables
    expect(row).not_to_contain_text("Ed Thompson")  # chose Main Library
    check_page(page)
    row.get_by_role("link", name=f"Start a circle on {COURSE}").click()

    expect(page).to_have_url(re.compile(r"/circles/new\?from_demand=\d+$"))
    expect(flash(page)).to_contain_text(f"5 people are waiting for “{COURSE}”")
    # Most chose online, in the evening, at Main Library.
    expect(page.get_by_label("Branch").locator("option:checked")).to_have_text("Main Library")
    expect(page.get_by_role("radio", name="Online", exact=True)).to_be_checked()
    expect(page.get_by_label("Starts at")).to_have_value("18:00")
    check_page(page)
