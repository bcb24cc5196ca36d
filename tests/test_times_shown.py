"""Days on the circle wizard's review read as the rest of the pages (labels.when) and its zone
is named as people say it, never in ISO or by its IANA name (issue 13's loose ends)."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.models import Closure
from tests.conftest import login
from tests.factories import next_weekday, wizard_data


def readable(day: dt.date) -> str:
    return f"{day:%a, %b} {day.day}, {day.year}"


def test_the_review_names_moved_and_skipped_days_and_the_zone(client, world, app):
    closed = next_weekday(1) + dt.timedelta(days=7)
    with app.app_context():
        db.session.add(Closure(branch_id=world.branch, date=closed, reason="Staff day"))
        db.session.commit()
    login(client, "lead@example.org")
    page = client.post(
        "/circles/new", data=wizard_data(world, meeting_count="3") | {"goto": "review"}
    ).text
    assert f"moved from {readable(closed)} (Staff day)" in page
    assert '3 meetings <span class="hint">(Eastern Time)</span>' in page
    assert closed.isoformat() not in page.replace(f'value="{closed.isoformat()}"', "")
    page = client.post(
        "/circles/new",
        data=wizard_data(world, meeting_count="3", closure_policy="skip") | {"goto": "review"},
    ).text
    skipped = page.split("Skipped because the branch is closed")[1]
    assert f"{readable(closed)} (Staff day)" in skipped
