"""End-to-end on the demo data, on a desktop (1280x800) and a phone (390x844), axe on every
page: a participant's next meeting reads in 12-hour English with the zone's name; on the
profile the time-zone list is grouped, common US zones first; after choosing Pacific time and
Spanish, the same meeting reads in 24-hour form, three hours earlier, with the Spanish name."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.labels import when
from app.models import Circle, Meeting, MeetingStatus
from app.timeutil import timezone_names, utcnow, zone_name
from tests.e2e.helpers import DESKTOP, PHONE, assert_accessible, flash, sign_in
from tests.factories import enroll

pytestmark = pytest.mark.e2e

CHIS = "Consumer Health Information Specialization (CHIS) circle"
PAT = "participant@example.org"
EASTERN, PACIFIC = "America/New_York", "America/Los_Angeles"


def shown(app, circle: int, tz: str, locale: str) -> tuple[str, str]:
    """The circle's next meeting and the zone's name, as the app words them for a reader."""
    with app.test_request_context(), force_locale(locale):
        meeting = db.session.scalars(
            sa.select(Meeting)
            .filter_by(circle_id=circle, status=MeetingStatus.scheduled)
            .where(Meeting.ends_at > utcnow())
            .order_by(Meeting.starts_at)
        ).first()
        return when(meeting.starts_at, tz), zone_name(tz)


def next_meeting(page: Page):
    """The home page's card of the CHIS meeting, opened fresh (the section by id, not by its
    heading's words, which follow the language)."""
    page.goto("/")
    section = page.locator("section[aria-labelledby='next-h']")
    return section, section.get_by_role("listitem").filter(has_text=CHIS).first.locator("strong")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_times_follow_the_readers_language_and_zone(page: Page, demo, app, query, size):
    chis = query(lambda: db.session.scalar(sa.select(Circle.id).filter_by(title=CHIS)))
    enroll(app, chis, "Pat Participant", PAT)
    english, eastern = shown(app, chis, EASTERN, "en")
    spanish, pacific = shown(app, chis, PACIFIC, "es")
    assert (english, eastern) != (spanish, pacific)

    page.set_viewport_size(size)
    sign_in(page, PAT, DEMO_PASSWORD)
    section, card = next_meeting(page)
    expect(section).to_contain_text(f"Times in {eastern}.")
    expect(card).to_contain_text(english)
    expect(card).to_contain_text(re.compile(r"^[^:]*\d{1,2}:\d{2} [AP]M–\d{1,2}:\d{2} [AP]M$"))
    assert_accessible(page)

    page.goto("/account")
    zones = page.get_by_label("Time zone")
    expect(zones).to_have_value(EASTERN)
    groups = zones.locator("optgroup")
    expect(groups.first).to_have_attribute("label", "Common in the United States")
    expect(groups.first.locator(f"option[value='{PACIFIC}']")).to_have_text("Pacific Time")
    assert groups.count() > 5
    assert zones.locator(":scope > option").count() < len(timezone_names())
    assert_accessible(page)
    zones.select_option(PACIFIC)
    page.get_by_label("Language").select_option("es")
    page.get_by_role("main").get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text("Su perfil se guardó.")  # the page is in Spanish now
    expect(page.get_by_label("Zona horaria")).to_have_value(PACIFIC)
    assert_accessible(page)

    section, card = next_meeting(page)
    expect(section).to_contain_text(pacific)
    expect(card).to_contain_text(spanish)
    expect(card).not_to_contain_text(re.compile(r"[AP]M|[ap]\. ?m\."))
    hour_es = int(re.search(r"(\d{1,2}):\d{2}", card.inner_text()).group(1))
    hour_en, noon = re.search(r"(\d{1,2}):\d{2} ([AP]M)", english).groups()
    assert (int(hour_en) % 12 + (12 if noon == "PM" else 0) - hour_es) % 24 == 3
    assert_accessible(page)
