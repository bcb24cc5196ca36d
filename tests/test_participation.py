"""Joining circles: seats, waitlist in order, withdrawing, guests' links, roster, emails."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Circle, Enrollment, Meeting, OutboxMessage
from app.participation import services
from app.timeutil import utcnow
from tests.conftest import login
from tests.test_circles import World
from tests.test_outbox import Inbox, free_port


@pytest.fixture
def world(app, factory):
    return World(app, factory)


def guest_join(client, circle_id, name, email, **extra):
    return client.post(f"/circles/{circle_id}/join", data={"name": name, "email": email, **extra})


def statuses(query, circle_id):
    return query(
        lambda: [
            (e.email, e.status, services.waitlist_position(e))
            for e in db.session.scalars(
                sa.select(Enrollment)
                .where(Enrollment.circle_id == circle_id)
                .order_by(Enrollment.id)
            )
        ]
    )


def outbox(query):
    return query(
        lambda: [
            (m.to, m.subject)
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    )


def test_staff_join_in_one_click(client, world, query):
    circle_id = world.circle()
    login(client, "pat@example.org")
    page = client.get(f"/circles/{circle_id}").text
    assert "Join the circle" in page
    response = client.post(f"/circles/{circle_id}/join", data={"consent_contact": "y"})
    assert response.status_code == 302
    assert statuses(query, circle_id) == [("pat@example.org", "enrolled", None)]
    enrollment = query(lambda: db.session.scalars(sa.select(Enrollment)).one())
    assert (enrollment.user_id, enrollment.name, enrollment.consent_contact) == (
        world.participant,
        "Pat",
        True,
    )
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 1
    assert outbox(query) == [("pat@example.org", "You are in “Grant Writing Basics”")]
    assert "You are in this circle." in client.get(f"/circles/{circle_id}").text
    page = client.get("/my/circles").text
    assert "Grant Writing Basics" in page
    assert "Enrolled" in page


def test_joining_twice_is_refused_politely(client, world, query):
    circle_id = world.circle(audience="public")
    guest_join(client, circle_id, "Gia", "gia@example.org")
    response = guest_join(client, circle_id, "Gia again", "GIA@example.org")
    assert response.status_code == 409
    assert "already signed up" in response.text
    assert len(statuses(query, circle_id)) == 1
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 1


def test_guest_joins_public_circle_and_manages_by_link(client, world, query):
    circle_id = world.circle(audience="public")
    response = guest_join(client, circle_id, "Gia Guest", "gia@example.org", goals="ignored")
    assert response.status_code == 302
    manage_path = response.headers["Location"]
    assert manage_path.startswith("/manage/")
    assert "You are enrolled." in client.get(manage_path).text
    body = query(lambda: db.session.scalars(sa.select(OutboxMessage.body)).one())
    assert manage_path in body  # the emailed link is the same signed link

    assert "Leave “" in client.get(manage_path + "/withdraw").text
    client.post(manage_path + "/withdraw")
    assert statuses(query, circle_id) == [("gia@example.org", "withdrawn", None)]
    assert "You have left this circle." in client.get(manage_path).text
    # Withdrawing twice changes nothing.
    response = client.post(manage_path + "/withdraw", follow_redirects=True)
    assert "already given up" in response.text
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 0


@pytest.mark.parametrize("token", ["nonsense", "eyJlIjoxLCJtIjoiYUBiLmMifQ.AAAA.BBBB"])
def test_tampered_manage_link_is_404(client, world, token):
    world.circle(audience="public")
    assert client.get(f"/manage/{token}").status_code == 404
    assert client.post(f"/manage/{token}/withdraw").status_code == 404


def test_manage_link_of_one_guest_does_not_open_another(client, world, app, query):
    circle_id = world.circle(audience="public")
    guest_join(client, circle_id, "A", "a@example.org")
    guest_join(client, circle_id, "B", "b@example.org")
    with app.test_request_context():
        a = db.session.scalars(sa.select(Enrollment).filter_by(email="a@example.org")).one()
        token = services.manage_token(a)
    # Forge: same signature, other id -> the signature no longer matches.
    forged = token.replace(token.split(".")[0], token.split(".")[0][::-1])
    assert client.get(f"/manage/{forged}").status_code == 404
    assert client.get(f"/manage/{token}").status_code == 200


def test_staff_only_circle_refuses_guests(client, world, query):
    circle_id = world.circle(audience="staff")
    assert (
        client.post(
            f"/circles/{circle_id}/join", data={"name": "G", "email": "g@example.org"}
        ).status_code
        == 404
    )
    assert statuses(query, circle_id) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "G", "email": "not-an-email"}, "Enter a valid email address."),
        ({"name": "", "email": "g@example.org"}, "This field is required."),
        (
            {"name": "x" * 121, "email": "g@example.org"},
            "Field cannot be longer than 120 characters.",
        ),
    ],
)
def test_bad_guest_input_changes_nothing(client, world, query, data, message):
    circle_id = world.circle(audience="public")
    response = client.post(f"/circles/{circle_id}/join", data=data)
    assert response.status_code == 200
    assert message in response.text
    assert statuses(query, circle_id) == []


@pytest.mark.parametrize("state", ["draft", "cancelled", "closed_signup"])
def test_joining_closed_circles_is_refused(client, world, app, query, state):
    circle_id = world.circle(audience="public", publish=state != "draft")
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        if state == "cancelled":
            circle.status = "cancelled"
        elif state == "closed_signup":
            circle.signup_closes_at = utcnow() - dt.timedelta(minutes=1)
        db.session.commit()
    response = guest_join(client, circle_id, "G", "g@example.org")
    assert response.status_code in {200, 404}
    assert statuses(query, circle_id) == []


def test_goals_and_custom_question_when_asked(client, world, app, query):
    circle_id = world.circle(audience="public")
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        circle.ask_goals, circle.custom_question = True, "Which branch do you work at?"
        db.session.commit()
    page = client.get(f"/circles/{circle_id}/join").text
    assert "Which branch do you work at?" in page
    response = guest_join(
        client, circle_id, "G", "g@example.org", goals="x" * 2001, answer="Kendall"
    )
    assert "Field cannot be longer than 2000 characters." in response.text
    assert statuses(query, circle_id) == []
    guest_join(client, circle_id, "G", "g@example.org", goals="Grow", answer="Kendall")
    enrollment = query(lambda: db.session.scalars(sa.select(Enrollment)).one())
    assert (enrollment.goals, enrollment.answer) == ("Grow", "Kendall")


def test_full_circle_waitlist_in_order_and_promotion_on_withdraw(client, world, query):
    circle_id = world.circle(audience="public", capacity=2)
    for i in range(5):
        guest_join(client, circle_id, f"G{i}", f"g{i}@example.org")
    assert statuses(query, circle_id) == [
        ("g0@example.org", "enrolled", None),
        ("g1@example.org", "enrolled", None),
        ("g2@example.org", "waitlisted", 1),
        ("g3@example.org", "waitlisted", 2),
        ("g4@example.org", "waitlisted", 3),
    ]
    assert outbox(query)[2] == (
        "g2@example.org",
        "You are on the waitlist for “Grant Writing Basics”",
    )
    waitlist_body = query(
        lambda: db.session.scalars(
            sa.select(OutboxMessage.body).where(OutboxMessage.to == "g3@example.org")
        ).one()
    )
    assert "number 2 on the waitlist" in waitlist_body

    login(client, "lead@example.org")
    g0 = query(
        lambda: db.session.scalars(sa.select(Enrollment.id).filter_by(email="g0@example.org")).one()
    )
    client.post(f"/enrollments/{g0}/remove")
    assert statuses(query, circle_id)[:4] == [
        ("g0@example.org", "withdrawn", None),
        ("g1@example.org", "enrolled", None),
        ("g2@example.org", "enrolled", None),
        ("g3@example.org", "waitlisted", 1),
    ]
    assert outbox(query)[-1] == (
        "g2@example.org",
        "A seat opened: you are in “Grant Writing Basics”",
    )
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 2
    events = query(
        lambda: [(e.action, e.actor_id) for e in db.session.scalars(sa.select(AuditEvent))]
    )
    assert events == [("enrollment.withdraw", world.lead)]


def test_raising_capacity_serves_the_waitlist_in_order(client, world, query):
    circle_id = world.circle(audience="public", capacity=1)
    for i in range(3):
        guest_join(client, circle_id, f"G{i}", f"g{i}@example.org")
    login(client, "lead@example.org")
    response = client.post(
        f"/circles/{circle_id}/edit",
        data={
            "course_id": world.course,
            "room_id": world.room,
            "format": "in_person",
            "capacity": "2",
            "audience": "public",
        },
    )
    assert response.status_code == 302
    assert [s[1] for s in statuses(query, circle_id)] == ["enrolled", "enrolled", "waitlisted"]
    response = client.post(
        f"/circles/{circle_id}/edit",
        data={
            "course_id": world.course,
            "room_id": world.room,
            "format": "in_person",
            "capacity": "1",
            "audience": "public",
        },
    )
    assert "2 people are enrolled" in response.text
    assert query(lambda: db.session.get(Circle, circle_id).capacity) == 2


def test_roster_add_move_up_export_and_message(client, world, query):
    circle_id = world.circle(audience="public", capacity=1)
    guest_join(client, circle_id, "=cmd|' /C calc'!A0", "first@example.org")
    login(client, "lead@example.org")
    client.post(
        f"/circles/{circle_id}/roster/add", data={"name": "Pat", "email": "pat@example.org"}
    )
    page = client.get(f"/circles/{circle_id}/roster").text
    assert "Waitlist (1)" in page
    pat = query(
        lambda: db.session.scalars(sa.select(Enrollment).filter_by(email="pat@example.org")).one()
    )
    assert pat.user_id == world.participant  # matched to the account
    response = client.post(f"/enrollments/{pat.id}/promote", follow_redirects=True)
    assert "The circle is full: Pat is now first on the waitlist." in response.text

    csv_text = client.get(f"/circles/{circle_id}/roster.csv").text.lstrip("\ufeff")
    lines = csv_text.splitlines()
    assert lines[0] == "name,email,status,waitlist_position,joined,withdrawn,consent,goals,answer"
    assert lines[1].startswith("'=cmd|' /C calc'!A0,first@example.org,enrolled")
    assert "pat@example.org,waitlisted,1" in lines[2]

    response = client.post(
        f"/circles/{circle_id}/message",
        data={"subject": "Bring laptops", "body": "See you Tuesday."},
    )
    assert response.status_code == 302
    assert outbox(query)[-1] == ("first@example.org", "[Grant Writing Basics] Bring laptops")


@pytest.mark.parametrize("email", ["pat@example.org", "co@example.org", "far@example.org"])
def test_roster_is_for_the_circles_people_only(client, world, email):
    circle_id = world.circle()
    login(client, email)
    assert client.get(f"/circles/{circle_id}/roster").status_code == 403
    assert client.get(f"/circles/{circle_id}/roster.csv").status_code == 403
    assert (
        client.post(f"/circles/{circle_id}/message", data={"subject": "x", "body": "y"}).status_code
        == 403
    )


def test_withdraw_someone_elses_place_is_404(client, world, query):
    circle_id = world.circle()
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    enrollment_id = query(lambda: db.session.scalars(sa.select(Enrollment.id)).one())
    client.post("/logout")
    login(client, "co@example.org")
    assert client.post(f"/my/enrollments/{enrollment_id}/withdraw").status_code == 404
    assert statuses(query, circle_id)[0][1] == "enrolled"


def test_meeting_changes_and_cancellation_email_everyone_enrolled(client, world, query):
    circle_id = world.circle(audience="public", capacity=1)
    guest_join(client, circle_id, "In", "in@example.org")
    guest_join(client, circle_id, "Wait", "wait@example.org")
    meeting = query(
        lambda: db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at)).first()
    )
    login(client, "lead@example.org")
    client.post(f"/meetings/{meeting.id}/cancel")
    assert outbox(query)[-1] == ("in@example.org", "Meeting cancelled: Grant Writing Basics")
    ics = query(
        lambda: (
            db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()))
            .first()
            .ics
        )
    )
    event = next(iter(icalendar.Calendar.from_ical(ics).walk("VEVENT")))
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    client.post(f"/circles/{circle_id}/cancel")
    assert sorted(outbox(query)[-2:]) == [
        ("in@example.org", "Circle cancelled: Grant Writing Basics"),
        ("wait@example.org", "Circle cancelled: Grant Writing Basics"),
    ]


def test_reminders_are_sent_once(client, world, app, query):
    circle_id = world.circle(audience="public")
    guest_join(client, circle_id, "In", "in@example.org")
    runner = app.test_cli_runner()
    assert "0 queued" in runner.invoke(args=["reminders", "send", "--lead-hours", "1"]).output
    lead_days = 20 * 24  # more than the first meeting is away
    assert (
        "1 queued"
        in runner.invoke(args=["reminders", "send", "--lead-hours", str(lead_days)]).output
    )
    assert (
        "0 queued"
        in runner.invoke(args=["reminders", "send", "--lead-hours", str(lead_days)]).output
    )
    reminders = [m for m in outbox(query) if m[1].startswith("Reminder")]
    assert reminders == [("in@example.org", "Reminder: Grant Writing Basics")]


def test_emails_arrive_over_smtp_with_a_parseable_ics(client, world, app, query):
    from aiosmtpd.controller import Controller

    circle_id = world.circle(audience="public")
    guest_join(client, circle_id, "Zoë, “the tester”; ✨", "zoe@example.org")
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app.config["MAIL_PORT"] = controller.port
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert "1 sent, 0 failed" in result.output
    finally:
        controller.stop()
    [(rcpt, message)] = inbox.messages
    assert rcpt == ["zoe@example.org"]
    assert message["Subject"] == "You are in “Grant Writing Basics”"
    assert "Hello Zoë, “the tester”; ✨," in message.get_body(("plain",)).get_content()
    attachment = next(message.iter_attachments())
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = list(calendar.walk("VEVENT"))
    db_starts = query(
        lambda: [
            m.starts_at for m in db.session.scalars(sa.select(Meeting).order_by(Meeting.starts_at))
        ]
    )
    assert [e.decoded("DTSTART") for e in events] == db_starts
    assert {str(e["UID"]).split("@")[0] for e in events} == {
        f"meeting-{i}" for i in query(lambda: db.session.scalars(sa.select(Meeting.id)).all())
    }


def test_adding_someone_without_an_account_needs_a_name(client, world, query):
    circle_id = world.circle()
    login(client, "lead@example.org")
    page = client.post(
        f"/circles/{circle_id}/roster/add", data={"email": "new@example.org"}, follow_redirects=True
    ).text
    assert "Enter a name: new@example.org has no account." in page
    assert statuses(query, circle_id) == []
    client.post(f"/circles/{circle_id}/roster/add", data={"email": "pat@example.org"})
    assert statuses(query, circle_id) == [("pat@example.org", "enrolled", None)]


def test_guest_manage_link_in_the_email_is_the_one_shown(client, world, query):
    circle_id = world.circle(audience="public")
    response = guest_join(client, circle_id, "Gia", "gia@example.org")
    body = query(lambda: db.session.scalars(sa.select(OutboxMessage.body)).one())
    assert response.headers["Location"] in body


def test_completed_participants_see_it_and_cannot_join_again(client, world, app, query):
    circle_id = world.circle()
    login(client, "pat@example.org")
    client.post(f"/circles/{circle_id}/join")
    with app.app_context():
        enrollment = db.session.scalars(sa.select(Enrollment)).one()
        enrollment.status = "completed"
        db.session.commit()
    assert "You completed this circle." in client.get(f"/circles/{circle_id}").text
    response = client.post(f"/circles/{circle_id}/join")
    assert "You completed this circle." in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(Enrollment.id)))) == 1
