"""End-to-end on the demo data, on a desktop and a phone, axe on every page: the admin drafts a
pathway with two steps and publishes it (an empty one is refused first); a staff member follows
it, sees their progress and the next step's upcoming circle, and joins that circle."""

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

NAME = "Grant writers and team leads"
GRANT_CIRCLE = "Grant writing circle: the NNLM proposal toolkit"


def open_pathways(page: Page, email: str) -> None:
    sign_in(page, email, DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pathways").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pathways")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_publishes_a_pathway_and_staff_follow_it_and_join_the_next_circle(
    page: Page, demo, size
):
    page.set_viewport_size(size)
    open_pathways(page, "admin@example.org")
    check_page(page)
    page.get_by_role("link", name="New pathway").click()
    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Career stage").select_option(label="Emerging managers")
    page.get_by_label("Goal").fill("Win a first grant and lead a team")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    page.get_by_role("button", name="Publish").click()
    expect(flash(page)).to_contain_text("Add at least one step before publishing")
    check_page(page)

    for choice in ("NNLM Proposal Writing Toolkit", "Leadership"):
        page.get_by_role("link", name="Add a step").click()
        page.get_by_label("The step asks for").select_option(label=choice)
        check_page(page)
        page.get_by_role("button", name="Add step").click()
        expect(flash(page)).to_contain_text("Step added.")
    steps = page.get_by_role("region", name="Steps").get_by_role("listitem")
    expect(steps).to_have_count(2)
    expect(steps.nth(1)).to_contain_text("Any course in Leadership")
    page.get_by_role("button", name="Publish").click()
    expect(flash(page)).to_contain_text("is published")
    check_page(page)
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    # Ana took the CHIS cohort only: neither step is done yet.
    open_pathways(page, "staff01@example.org")
    page.get_by_role("link", name=NAME).click()
    page.get_by_role("button", name="Follow this pathway").click()
    expect(flash(page)).to_contain_text(f"You are following “{NAME}”.")
    expect(page.get_by_role("region", name="Your progress")).to_contain_text(
        "0 of 2 required steps done"
    )
    upcoming = page.get_by_role("region", name=re.compile("^Next step: NNLM Proposal"))
    card = upcoming.get_by_role("listitem").filter(has_text=GRANT_CIRCLE)
    expect(card).to_contain_text("seats left")
    check_page(page)
    card.get_by_role("link", name=f"Join {GRANT_CIRCLE}").click()
    expect(page).to_have_url(re.compile(r"/circles/\d+/join$"))
    page.get_by_role("main").get_by_role("button", name="Join the circle").click()
    expect(flash(page)).to_contain_text("You are in!")
    check_page(page)
