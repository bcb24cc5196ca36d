"""Times read the same way on pages, in emails and in forms: in the reader's language (12-hour
in English, 24-hour in Spanish) and with the zone named as people say it (issue 13)."""

from __future__ import annotations

import datetime as dt
import html
import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Circle, Meeting, OutboxMessage, User
from app.participation import services
from app.timeutil import utcnow
from tests.conftest import login


def _speaks(app, user_id: int, locale: str) -> None:
    with app.app_context():
        db.session.get(User, user_id).locale = locale  # New York, like the circle
        db.session.commit()


def test_a_page_shows_the_meeting_time_in_the_readers_language_with_the_zone(client, world, app):
    circle_id = world.circle()  # Tuesdays at 18:00 in New York
    login(client, "pat@example.org")
    page = client.get(f"/circles/{circle_id}").text
    assert "6:00 PM" in page
    assert "18:00" not in page
    assert "Times in Eastern Time." in page

    _speaks(app, world.participant, "es")
    page = client.get(f"/circles/{circle_id}").text
    assert "18:00" in page
    assert "PM" not in page
    assert "hora oriental" in page


def test_an_email_shows_the_meeting_time_in_the_readers_language_with_the_zone(app, world):
    circle_id = world.circle(audience="public")
    _speaks(app, world.participant, "es")
    with app.app_context():
        pat = db.session.get(User, world.participant)
        circle = db.session.get(Circle, circle_id)
        now = utcnow()
        services.join(circle, services.Joiner(name="Pat", email=pat.email, user=pat), now)
        services.join(circle, services.Joiner(name="Gus", email="gus@example.org"), now)
        first = db.session.scalars(
            sa.select(Meeting).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
        ).first()
        assert services.send_reminders(now, first.starts_at - now + dt.timedelta(minutes=1)) == 2
        db.session.commit()
        reminders = {
            m.to: m.body
            for m in db.session.scalars(
                sa.select(OutboxMessage).where(
                    sa.or_(
                        *(OutboxMessage.subject.startswith(w) for w in ("Reminder", "Recordatorio"))
                    )
                )
            )
        }
    assert re.search(
        r"meets on \w{3}, \w{3} \d+, \d{4}, 6:00 PM \(Eastern Time\)\.",
        reminders["gus@example.org"],
    )
    assert re.search(r"se reúne el .*, 18:00 \(hora oriental\)\.", reminders["pat@example.org"])


def test_the_profile_offers_common_us_zones_first_then_regions(client, world, query):
    login(client, "pat@example.org")
    page = client.get("/account").text
    groups = re.findall(r'<optgroup label="([^"]+)">', page)
    assert groups[0] == "Common in the United States"
    assert {"Americas", "Europe", "Asia", "Pacific"} <= set(groups)
    common = page.split('<optgroup label="Common in the United States">')[1].split("</optgroup>")[0]
    labels = re.findall(r">([^<]+)</option>", common)
    assert labels[:4] == ["Eastern Time", "Central Time", "Mountain Time", "Pacific Time"]
    assert {"Alaska Time", "Hawaii Time"} <= set(labels)
    assert "Arizona" in common
    assert "Puerto Rico" in common
    assert re.search(r'<option selected value="America/New_York">Eastern Time</option>', page)
    assert ">Tokyo (Japan Time)</option>" in page
    assert page.count('value="America/New_York"') == 1  # not again under "Americas"

    # Any IANA zone is still accepted, none else.
    data = {"name": "Pat", "timezone": "Asia/Tokyo", "locale": "en"}
    assert client.post("/account", data=data).status_code == 302
    assert query(lambda: db.session.get(User, world.participant).timezone) == "Asia/Tokyo"


def test_the_circle_wizard_offers_the_same_grouped_zones(client, world):
    login(client, "lead@example.org")
    data = {"course_id": world.course, "branch_id": world.branch, "goto": "when"}
    page = html.unescape(client.post("/circles/new", data=data).text)
    select = page.split('name="timezone"')[1].split("</select>")[0]
    assert ">The branch's time zone</option>" in select
    assert '<optgroup label="Common in the United States">' in select
    assert ">Eastern Time</option>" in select
