"""End-to-end: subscribing to calendar feeds from the Subscribe page, in headless Chromium
with axe-core on every page. The feed address the page shows is then read as a calendar
app would (no cookie), checked with icalendar, regenerated and turned off."""

from __future__ import annotations

import icalendar
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import FeedToken
from tests.e2e.helpers import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.factories import World

pytestmark = pytest.mark.e2e


def read_feed(page: Page, url: str) -> tuple[int, bytes]:
    """Fetch like a calendar app: a fresh request with no session cookie."""
    response = page.context.browser.new_context().request.get(url)
    return response.status, response.body()


def test_manager_subscribes_to_the_branch_calendar(page: Page, world: World, query):
    world.circle(title="Grants, “budgets”; café")
    sign_in(page, "boss@example.org")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar feeds")
    assert_accessible(page)

    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Main Library: every circle and booking")
    )
    card.get_by_role("button", name="Make an address").click()
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Main Library: every circle and booking")
    )
    address = card.get_by_label("Feed address (https)")
    https_url = address.input_value()
    assert https_url.startswith("http://127.0.0.1:")
    assert "/feeds/" in https_url
    webcal = card.get_by_role("link", name="Open in my calendar app").get_attribute("href")
    assert webcal == "webcal://" + https_url.split("://", 1)[1]
    google = card.get_by_role("link", name="Add to Google Calendar").get_attribute("href")
    assert google.startswith("https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F")
    card.get_by_text("How to subscribe").click()
    expect(card.get_by_text("File → New Calendar Subscription", exact=False)).to_be_visible()
    assert_accessible(page)

    status, body = read_feed(page, https_url)
    assert status == 200
    calendar = icalendar.Calendar.from_ical(body)
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert summaries == {"Grants, “budgets”; café"}
    assert query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(FeedToken))) == 1

    # A new address stops the old one at once.
    card.get_by_role("button", name="Make a new address").click()
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Main Library: every circle and booking")
    )
    new_url = card.get_by_label("Feed address (https)").input_value()
    assert new_url != https_url
    assert read_feed(page, https_url)[0] == 404
    assert read_feed(page, new_url)[0] == 200
    assert_accessible(page)

    # Turning it off.
    card.get_by_role("button", name="Turn off").click()
    assert read_feed(page, new_url)[0] == 404
    card = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Main Library: every circle and booking")
    )
    expect(card.get_by_text("No address yet.")).to_be_visible()
    assert_accessible(page)


def test_public_circle_page_offers_its_calendar(page: Page, world: World):
    circle_id = world.circle(audience="public", title="Open to all")
    page.set_viewport_size(PHONE)
    page.goto(f"/circles/{circle_id}")
    page.get_by_text("Subscribe to this circle's calendar").click()
    https_url = page.get_by_label("Feed address (https)").input_value()
    assert https_url.endswith(f"/circles/{circle_id}/calendar.ics")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    status, body = read_feed(page, https_url)
    assert status == 200
    assert len(list(icalendar.Calendar.from_ical(body).walk("VEVENT"))) == 4
