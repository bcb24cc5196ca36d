"""Facilitators: the lead adds and removes co-facilitators (clash rules apply), the circle page
gives them a panel instead of "Join", cancelling a meeting carries a note, participants' emails
answer to the lead, and facilitators get a daily digest of who joined, left or reported."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.circles.digest import send_digests
from app.extensions import db
from app.labels import when
from app.models import (
    AuditEvent,
    Enrollment,
    Facilitation,
    FacilitatorDigest,
    Meeting,
    OutboxMessage,
    User,
)
from app.participation import services as participation
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import enroll
from tests.mail import send_outbox


def roles(query, circle_id: int) -> dict[int, str]:
    return query(
        lambda: {
            f.user_id: f.role
            for f in db.session.scalars(sa.select(Facilitation).filter_by(circle_id=circle_id))
        }
    )


def outbox(query) -> list[OutboxMessage]:
    return query(
        lambda: list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
    )


def first_meeting(query, circle_id: int) -> int:
    return query(
        lambda: db.session.scalar(
            sa.select(Meeting.id).filter_by(circle_id=circle_id).order_by(Meeting.starts_at)
        )
    )


# --- the lead and co-facilitators --------------------------------------------------------------


def test_lead_adds_and_removes_a_co_facilitator(client, world, query):
    circle_id = world.circle()
    login(client, "lead@example.org")
    page = client.get(f"/circles/{circle_id}/facilitators").text
    assert "Add a co-facilitator" in page
    assert "Assign even if it clashes" not in page  # overriding a clash is for managers

    response = client.post(
        f"/circles/{circle_id}/facilitators", data={"which": "assign", "assign-user_id": world.co}
    )
    assert response.status_code == 302
    assert roles(query, circle_id) == {world.lead: "lead", world.co: "co"}

    assert client.post(f"/circles/{circle_id}/facilitators/{world.co}/remove").status_code == 302
    assert roles(query, circle_id) == {world.lead: "lead"}
    actions = query(
        lambda: list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    )
    assert actions == ["facilitator.assign", "facilitator.remove"]


def test_lead_cannot_add_someone_busy_then_and_cannot_override(client, world, query):
    target = world.circle()
    world.circle(
        lead=world.co, start_time=dt.time(18, 45), course_id=world.spanish, title="Clashing circle"
    )
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{target}/facilitators",
        data={"which": "assign", "assign-user_id": world.co, "assign-override": "y"},
    )
    assert response.status_code == 200
    assert "Cole Co already facilitates “Clashing circle” at" in response.text
    assert roles(query, target) == {world.lead: "lead"}


def test_co_facilitators_may_not_change_who_facilitates(client, world, app, query):
    circle_id = world.circle()
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
    login(client, "co@example.org")
    assert client.get(f"/circles/{circle_id}/facilitators").status_code == 403
    assert client.post(f"/circles/{circle_id}/facilitators/{world.co}/remove").status_code == 403
    assert roles(query, circle_id) == {world.lead: "lead", world.co: "co"}


# --- the circle page: a panel for facilitators, "Join" for everyone else ---------------------


def test_facilitators_get_a_panel_instead_of_join(client, world, app, query):
    circle_id = world.circle(audience="public", capacity=1)
    enroll(app, circle_id, "Ann Able", "ann@example.org")
    enroll(app, circle_id, "Wes Waiting", "wes@example.org")
    login(client, "lead@example.org")
    page = client.get(f"/circles/{circle_id}").text
    assert "Facilitator panel" in page
    assert "1 enrolled, 1 on the waitlist" in page
    assert f'href="/circles/{circle_id}/outcomes"' in page
    assert "open once the last meeting has started" in page
    assert 'id="join-h"' not in page
    assert "Join the circle" not in page
    # Nor can the lead take a place by posting the form.
    response = client.post(f"/circles/{circle_id}/join", follow_redirects=True)
    assert "You facilitate this circle, so you need no place in it." in response.text
    count = query(lambda: db.session.scalar(sa.select(sa.func.count(Enrollment.id))))
    assert count == 2

    client.post("/logout")
    login(client, "pat@example.org")
    page = client.get(f"/circles/{circle_id}").text
    assert 'id="join-h"' in page
    assert "Join the waitlist" in page
    assert "Facilitator panel" not in page


def test_a_manager_who_does_not_facilitate_sees_both(client, world):
    circle_id = world.circle(audience="public")
    login(client, "boss@example.org")
    page = client.get(f"/circles/{circle_id}").text
    assert "Facilitator panel" in page
    assert "Join the circle" in page


# --- cancelling a meeting with a note ----------------------------------------------------------


def test_cancelling_a_meeting_sends_the_note_with_reply_to_the_lead(
    client, world, app, query, inbox
):
    circle_id = world.circle(audience="public")
    enroll(app, circle_id, "Ann Able", "ann@example.org")
    meeting_id = first_meeting(query, circle_id)
    send_outbox(app)
    inbox.messages.clear()

    login(client, "lead@example.org")
    page = client.get(f"/meetings/{meeting_id}/cancel").text
    assert "Note to participants (optional)" in page
    assert "1 person enrolled is emailed" in page
    response = client.post(
        f"/meetings/{meeting_id}/cancel",
        data={"note": "The branch has a power cut.\nRead chapter 2 for next week."},
    )
    assert response.status_code == 302
    assert query(lambda: db.session.get(Meeting, meeting_id).status) == "cancelled"

    send_outbox(app)
    [(rcpt, message)] = inbox.messages
    assert rcpt == ["ann@example.org"]
    assert message["Subject"] == "Meeting cancelled: Grant Writing Basics"
    assert message["Reply-To"] == "lead@example.org"
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "A note from the facilitator:" in body
    assert "The branch has a power cut.\nRead chapter 2 for next week." in body


def test_cancelling_without_a_note_says_nothing_more(client, world, app, query):
    circle_id = world.circle()
    enroll(app, circle_id, "Pat", "pat@example.org")
    login(client, "lead@example.org")
    client.post(f"/meetings/{first_meeting(query, circle_id)}/cancel", data={})
    cancelled = outbox(query)[-1]
    assert cancelled.subject.startswith("Meeting cancelled")
    assert "note from the facilitator" not in cancelled.body


def test_a_note_that_is_too_long_is_refused_beside_the_field(client, world, query):
    circle_id = world.circle()
    meeting_id = first_meeting(query, circle_id)
    login(client, "lead@example.org")
    response = client.post(f"/meetings/{meeting_id}/cancel", data={"note": "x" * 2001})
    assert response.status_code == 200
    assert "Field cannot be longer than 2000 characters." in response.text
    assert query(lambda: db.session.get(Meeting, meeting_id).status) == "scheduled"


# --- Reply-To ----------------------------------------------------------------------------------


def test_participants_emails_answer_to_the_lead_and_messages_to_their_writer(
    client, world, app, query
):
    circle_id = world.circle()
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    [joined] = outbox(query)
    assert joined.subject == "You are in “Grant Writing Basics”"
    assert joined.reply_to == "lead@example.org"

    client.post("/logout")
    login(client, "co@example.org")
    client.post(f"/circles/{circle_id}/message", data={"subject": "Hi", "body": "Bring pens."})
    message = outbox(query)[-1]
    assert message.subject == "[Grant Writing Basics] Hi"
    assert message.reply_to == "co@example.org"


# --- the daily digest --------------------------------------------------------------------------


def digest_run(app, now: dt.datetime) -> int:
    with app.app_context():
        queued = send_digests(now)
        db.session.commit()
        return queued


def test_facilitators_get_one_digest_a_day_of_joins_leaves_and_reported_outcomes(
    client, world, app, query
):
    circle_id = world.circle(audience="public")
    with app.app_context():
        db.session.add(Facilitation(circle_id=circle_id, user_id=world.co, role="co"))
        db.session.commit()
    world.circle(lead=world.co, title="Quiet circle", start_time=dt.time(10))
    ann = enroll(app, circle_id, "Ann Able", "ann@example.org")
    enroll(app, circle_id, "Pat", "pat@example.org")
    login(client, "pat@example.org")
    pat = query(
        lambda: db.session.scalar(sa.select(Enrollment.id).filter_by(email="pat@example.org"))
    )
    client.post(
        f"/my/enrollments/{pat}/outcome",
        data={
            "kind": "other",  # a certificate would name one from the admin's list
            "title": "Grant writing certificate",
            "achieved_on": (utcnow() - dt.timedelta(days=1)).date().isoformat(),
        },
    )
    with app.app_context():
        participation.withdraw(db.session.get(Enrollment, ann), by=None, now=utcnow())
        db.session.commit()
    before = len(outbox(query))

    now = utcnow() + dt.timedelta(seconds=1)
    result = app.test_cli_runner().invoke(args=["digests", "send"])
    assert result.exit_code == 0, result.output
    assert "Digests: 2 queued." in result.output
    digests = outbox(query)[before:]
    assert sorted(m.to for m in digests) == ["co@example.org", "lead@example.org"]
    lead = next(m for m in digests if m.to == "lead@example.org")
    assert lead.subject == "Your circles: 4 updates"
    assert "Grant Writing Basics" in lead.body
    assert "- Ann Able joined (" in lead.body
    assert "- Pat joined (" in lead.body
    assert "- Ann Able left (" in lead.body
    assert "- Pat reported an outcome to confirm: Grant writing certificate" in lead.body
    assert f"/circles/{circle_id}/roster" in lead.body
    assert f"/circles/{circle_id}/outcomes" in lead.body
    assert "Quiet circle" not in lead.body
    assert lead.reply_to is None

    # Run again the same day: nothing, even with news.
    enroll(app, circle_id, "Gia Guest", "gia@example.org")
    assert digest_run(app, now + dt.timedelta(hours=2)) == 0
    # The next day: only what happened since the last digest.
    assert digest_run(app, now + dt.timedelta(hours=24)) == 2
    latest = outbox(query)[-2:]
    assert {m.to for m in latest} == {"co@example.org", "lead@example.org"}
    for message in latest:
        assert message.subject == "Your circles: 1 update"
        assert "- Gia Guest joined (" in message.body
        assert "Ann Able" not in message.body
    # A day with nothing to tell sends nothing, and moves on.
    assert digest_run(app, now + dt.timedelta(hours=48)) == 0
    marks = query(
        lambda: {
            d.user_id: d.covered_until for d in db.session.scalars(sa.select(FacilitatorDigest))
        }
    )
    assert marks == {
        world.lead: now + dt.timedelta(hours=48),
        world.co: now + dt.timedelta(hours=48),
    }


def test_digest_times_are_in_the_facilitators_zone(world, app, query):
    circle_id = world.circle()
    with app.app_context():
        db.session.get(User, world.lead).timezone = "Europe/Madrid"
        db.session.commit()
    pat = enroll(app, circle_id, "Pat", "pat@example.org")
    assert digest_run(app, utcnow() + dt.timedelta(seconds=1)) == 1
    [digest] = outbox(query)[-1:]
    with app.test_request_context():
        joined_at = db.session.get(Enrollment, pat).created_at
        madrid, new_york = when(joined_at, "Europe/Madrid"), when(joined_at, "America/New_York")
    assert f"- Pat joined ({madrid})" in digest.body
    assert new_york not in digest.body
