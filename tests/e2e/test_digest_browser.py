"""End-to-end on the demo data, on a desktop and a phone, axe on every page: a staff member
subscribes to the digest with filters from the home page, sees the subscription with its
feeds, and unsubscribes."""

from __future__ import annotations

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


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_subscribe_to_the_digest_see_it_and_unsubscribe(page: Page, demo, size):
    page.set_viewport_size(size)
    sign_in(page, "staff05@example.org", DEMO_PASSWORD)
    page.get_by_role("main").get_by_role("link", name="Digest", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My digest")
    expect(page.get_by_text("No subscription yet.")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="New subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Subscribe to the digest")
    page.get_by_label("Monthly").check()
    page.get_by_label("Grant writing").check()
    page.get_by_label("Leadership").check()
    page.get_by_label("Career stage").select_option(label="Emerging managers")
    page.get_by_label("Main Library").check()
    page.get_by_label("Format", exact=True).select_option(label="Online")
    check_page(page)
    page.get_by_role("button", name="Subscribe").click()

    expect(flash(page)).to_contain_text("You are subscribed to the digest.")
    card = page.locator(".card").filter(has_text="Monthly digest")
    expect(card).to_contain_text("Grant writing, Leadership")
    expect(card).to_contain_text("Emerging managers")
    expect(card).to_contain_text("Main Library")
    expect(card.get_by_role("link", name="Calendar (iCal) Monthly digest 1")).to_be_visible()
    check_page(page)
    card.get_by_role("button", name="Unsubscribe Monthly digest 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribed")
    check_page(page)
    page.goto("/digest/")
    expect(page.get_by_text("No subscription yet.")).to_be_visible()
