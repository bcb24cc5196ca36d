"""Counts read in the reader's plural (ngettext), one as well as many: "1 person", not
"1 people" (issue 13's loose ends; the booking message is in test_booking_messages.py)."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Meeting, MeetingStatus
from tests.conftest import login


def test_a_message_to_one_person_says_person(client, world):
    circle_id = world.circle()
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    client.post("/logout")
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/message",
        data={"subject": "Bring laptops", "body": "See you Tuesday."},
        follow_redirects=True,
    )
    assert "Message queued for 1 person." in response.text


def test_cancelling_a_circle_with_one_meeting_left_says_meeting(client, world, app):
    circle_id = world.circle()
    with app.app_context():  # three of the four meetings are cancelled already
        meetings = db.session.scalars(
            sa.select(Meeting).filter_by(circle_id=circle_id).order_by(Meeting.starts_at)
        ).all()
        for meeting in meetings[1:]:
            meeting.status = MeetingStatus.cancelled
        db.session.commit()
    login(client, "lead@example.org")
    page = client.get(f"/circles/{circle_id}/cancel").text
    assert "Its 1 meeting still to come is cancelled and disappears from calendars." in page
