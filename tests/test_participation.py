"""Joining circles: seats, waitlist in order, withdrawing, guests' links, roster, emails."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

import icalendar
import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from app.extensions import db
from app.models import AuditEvent, Circle, Enrollment, GuestSignup, Meeting, OutboxMessage
from app.participation import services
from app.timeutil import utcnow
from tests.conftest import login
from tests.mail import smtp_inbox

CONFIRM_LINK = re.compile(r"http://circles\.test(/join/confirm/[A-Za-z0-9_-]+)")
MANAGE_LINK = re.compile(r"http://circles\.test(/manage/[A-Za-z0-9_-]+)")
LOST_LINK = "http://circles.test/join/lost-link"


def guest_asks(client, circle_id, name, email, *, ip="127.0.0.1", **extra):
    """A guest submits the join form: only an email with a link comes of it."""
    return client.post(
        f"/circles/{circle_id}/join",
        data={"name": name, "email": email, **extra},
        environ_base={"REMOTE_ADDR": ip},
    )


def mail_to(query, email) -> list[OutboxMessage]:
    return query(
        lambda: list(
            db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id)
            )
        )
    )


def link_in(pattern, message: OutboxMessage) -> str:
    match = pattern.search(message.body)
    assert match, message.body
    return match.group(1)


def confirm_path(query, email) -> str:
    return link_in(CONFIRM_LINK, mail_to(query, email)[-1])


def guest_join(client, query, circle_id, name, email, **extra):
    """Join as a guest does: sign up, open the link in the email, press Confirm."""
    asked = guest_asks(client, circle_id, name, email, **extra)
    assert asked.status_code == 302, asked.text
    path = confirm_path(query, email.lower())
    assert client.get(path).status_code == 200
    return client.post(path)


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


def test_guest_sign_up_holds_nothing_until_the_address_confirms(client, world, query):
    circle_id = world.circle(audience="public", capacity=1)
    response = guest_asks(client, circle_id, "Gia Guest", "Gia@Example.org", consent_contact="y")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Check your email" in page
    assert "Your place is given when the address is confirmed" in page
    assert "The link works for 48 hours." in page
    assert statuses(query, circle_id) == []  # no seat, no waitlist place
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 0
    [message] = mail_to(query, "gia@example.org")
    assert message.subject == "Confirm your place in “Grant Writing Basics”"
    assert "The link works for 48 hours." in message.body
    assert "/manage/" not in message.body

    # Opening the link (as a mail scanner does) changes nothing: it asks to confirm.
    path = link_in(CONFIRM_LINK, message)
    for _ in range(2):
        page = client.get(path)
        assert page.status_code == 200
        assert "Confirm your place in “Grant Writing Basics”" in page.text
        assert "Gia Guest · gia@example.org" in page.text
    assert statuses(query, circle_id) == []

    response = client.post(path)
    assert response.status_code == 302
    assert MANAGE_LINK.match("http://circles.test" + response.headers["Location"])
    assert statuses(query, circle_id) == [("gia@example.org", "enrolled", None)]
    enrollment = query(lambda: db.session.scalars(sa.select(Enrollment)).one())
    assert (enrollment.name, enrollment.user_id, enrollment.consent_contact) == (
        "Gia Guest",
        None,
        True,
    )
    confirmed = mail_to(query, "gia@example.org")[-1]
    assert confirmed.subject == "You are in “Grant Writing Basics”"
    assert link_in(MANAGE_LINK, confirmed) == response.headers["Location"]
    assert "You are enrolled." in client.get(response.headers["Location"]).text

    # The link worked once: a second use is the same 404 as a link that never existed.
    assert client.post(path).status_code == 404
    assert client.get(path).status_code == 404
    assert client.get("/join/confirm/" + "x" * 43).status_code == 404
    assert len(statuses(query, circle_id)) == 1


def test_a_confirmation_link_expires_after_48_hours(client, world, app, query):
    circle_id = world.circle(audience="public")
    guest_asks(client, circle_id, "Gia", "gia@example.org")
    path = confirm_path(query, "gia@example.org")
    with app.app_context():
        signup = db.session.scalars(sa.select(GuestSignup)).one()
        assert signup.expires_at - signup.created_at == dt.timedelta(hours=48)
        signup.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert statuses(query, circle_id) == []


def test_the_answer_to_a_sign_up_is_the_same_for_any_address(client, world, app, query):
    """New, already in the circle, or an account's: the asker cannot tell. Only the owner of
    the address learns which, by email; and nobody is put into a circle in someone's name."""
    circle_id = world.circle(audience="public")
    client.get(guest_join(client, query, circle_id, "Gia", "gia@example.org").location)
    before = statuses(query, circle_id)

    def answer(email: str) -> tuple:
        response = guest_asks(client, circle_id, "Mallory", email)
        page = client.get(response.headers["Location"])
        # The language switch's CSRF token is signed with the time: the same, second or not.
        text = re.sub(r'name="csrf_token" value="[^"]+"', "", page.text)
        return response.status_code, response.headers["Location"], page.status_code, text

    new, already_in, account = (
        answer(email) for email in ("new@example.org", "gia@example.org", "pat@example.org")
    )
    assert new == already_in == account
    assert statuses(query, circle_id) == before  # nothing changed in the circle

    # The member's account was not put in the circle, and they can still join.
    login(client, "pat@example.org")
    assert "Grant Writing Basics" not in client.get("/my/circles").text
    client.post(f"/circles/{circle_id}/join")
    assert statuses(query, circle_id)[-1] == ("pat@example.org", "enrolled", None)

    # What each address was told.
    assert mail_to(query, "new@example.org")[-1].subject.startswith("Confirm your place")
    assert mail_to(query, "gia@example.org")[-1].subject.startswith("Confirm your place")
    [to_member, _joined] = mail_to(query, "pat@example.org")
    assert to_member.subject == "Sign in to join “Grant Writing Basics”"
    assert "This address has an account, so please sign in to join" in to_member.body
    assert f"http://circles.test/login?next=/circles/{circle_id}/join\n" in to_member.body
    assert "Hello Pat," in to_member.body  # the account's name, not the one typed in
    assert "/join/confirm/" not in to_member.body
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(GuestSignup.id)))) == 3


def test_confirming_again_shows_the_place_already_held(client, world, query):
    circle_id = world.circle(audience="public")
    first = guest_join(client, query, circle_id, "Gia", "gia@example.org").headers["Location"]
    response = guest_join(client, query, circle_id, "Gia again", "GIA@example.org")
    assert response.status_code == 302
    again = response.headers["Location"]
    page = client.get(again, follow_redirects=True).text
    assert "You were already signed up for this circle." in page
    assert "You are enrolled." in page
    assert len(statuses(query, circle_id)) == 1
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 1
    # A new link, emailed too; the one before it ends.
    newest = mail_to(query, "gia@example.org")[-1]
    assert newest.subject == "Your link to “Grant Writing Basics”"
    assert link_in(MANAGE_LINK, newest) == again
    assert client.get(first).status_code == 404


def test_a_sign_up_confirmed_after_the_address_got_an_account_asks_to_sign_in(
    client, world, factory, query
):
    circle_id = world.circle(audience="public")
    guest_asks(client, circle_id, "Nia", "nia@example.org")
    path = confirm_path(query, "nia@example.org")
    factory.user("nia@example.org", name="Nia")
    response = client.post(path)
    assert response.status_code == 200
    assert "This address has an account: sign in to join the circle." in response.text
    assert statuses(query, circle_id) == []


def test_guest_joins_public_circle_and_manages_by_link(client, world, query):
    circle_id = world.circle(audience="public")
    response = guest_join(client, query, circle_id, "Gia Guest", "gia@example.org", goals="ignored")
    assert response.status_code == 302
    manage_path = response.headers["Location"]
    assert manage_path.startswith("/manage/")
    assert "You are enrolled." in client.get(manage_path).text
    body = mail_to(query, "gia@example.org")[-1].body
    assert manage_path in body  # the emailed link is the same link

    assert "Leave “" in client.get(manage_path + "/withdraw").text
    response = client.post(manage_path + "/withdraw")
    assert response.headers["Location"] == f"/circles/{circle_id}"
    assert statuses(query, circle_id) == [("gia@example.org", "withdrawn", None)]
    # Leaving ended the link: withdrawing twice finds nothing.
    assert client.get(manage_path).status_code == 404
    assert client.post(manage_path + "/withdraw").status_code == 404
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 0
    assert query(lambda: db.session.scalars(sa.select(Enrollment)).one().manage_token_hash) is None


@pytest.mark.parametrize("token", ["nonsense", "eyJlIjoxLCJtIjoiYUBiLmMifQ.AAAA.BBBB"])
def test_tampered_manage_link_is_404(client, world, token):
    world.circle(audience="public")
    assert client.get(f"/manage/{token}").status_code == 404
    assert client.post(f"/manage/{token}/withdraw").status_code == 404


def test_manage_links_are_opaque_random_and_stored_hashed(client, world, app, query):
    circle_id = world.circle(audience="public")
    paths = [
        guest_join(client, query, circle_id, name, f"{name}@example.org").headers["Location"]
        for name in ("a", "b")
    ]
    tokens = [path.removeprefix("/manage/") for path in paths]
    for token, name in zip(tokens, ("a", "b"), strict=True):
        assert len(token) >= 43  # 256 random bits
        assert "." not in token  # nothing signed, nothing to decode
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert f"{name}@example.org".encode() not in decoded
    stored = query(
        lambda: [
            e.manage_token_hash
            for e in db.session.scalars(sa.select(Enrollment).order_by(Enrollment.id))
        ]
    )
    assert stored == [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    # Each link opens its own place only.
    assert "a · a@example.org" in client.get(paths[0]).text
    assert "b · b@example.org" in client.get(paths[1]).text


def test_links_signed_the_old_way_no_longer_work(client, world, app, query):
    """Manage links used to be the signed (readable) email and id: they are refused now."""
    circle_id = world.circle(audience="public")
    guest_join(client, query, circle_id, "Gia", "gia@example.org")
    enrollment_id = query(lambda: db.session.scalars(sa.select(Enrollment.id)).one())
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="enrollment-manage").dumps(
        {"e": enrollment_id, "m": "gia@example.org"}
    )
    assert client.get(f"/manage/{old}").status_code == 404
    assert client.post(f"/manage/{old}/withdraw").status_code == 404
    assert statuses(query, circle_id)[0][1] == "enrolled"


def test_pages_reached_with_a_secret_link_send_no_referrer_and_are_not_cached(client, world, query):
    circle_id = world.circle(audience="public")
    guest_asks(client, circle_id, "Gia", "gia@example.org")
    confirm = confirm_path(query, "gia@example.org")
    unknown = "/manage/" + "x" * 43
    responses = [client.get(confirm), client.get(confirm.rstrip("A") + "0"), client.get(unknown)]
    manage = client.post(confirm).headers["Location"]
    responses += [client.get(manage), client.get(manage + "/withdraw")]
    assert [r.status_code for r in responses] == [200, 404, 404, 200, 200]
    for response in responses:
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"


def test_staff_only_circle_refuses_guests(client, world, query):
    """A guest is sent to sign in (staff join with their account), and holds nothing."""
    circle_id = world.circle(audience="staff")
    response = client.post(
        f"/circles/{circle_id}/join", data={"name": "G", "email": "g@example.org"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
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
    assert outbox(query) == []


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
    response = guest_asks(client, circle_id, "G", "g@example.org")
    # A draft asks a visitor to sign in (its editors may see it); the others say why not.
    assert response.status_code == (302 if state == "draft" else 200)
    assert statuses(query, circle_id) == []
    assert outbox(query) == []


def test_goals_and_custom_question_when_asked(client, world, app, query):
    circle_id = world.circle(audience="public")
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        circle.ask_goals, circle.custom_question = True, "Which branch do you work at?"
        db.session.commit()
    page = client.get(f"/circles/{circle_id}/join").text
    assert "Which branch do you work at?" in page
    response = guest_asks(
        client, circle_id, "G", "g@example.org", goals="x" * 2001, answer="Kendall"
    )
    assert "Field cannot be longer than 2000 characters." in response.text
    assert statuses(query, circle_id) == []
    guest_join(client, query, circle_id, "G", "g@example.org", goals="Grow", answer="Kendall")
    enrollment = query(lambda: db.session.scalars(sa.select(Enrollment)).one())
    assert (enrollment.goals, enrollment.answer) == ("Grow", "Kendall")


def test_full_circle_waitlist_in_order_and_promotion_on_withdraw(client, world, query):
    circle_id = world.circle(audience="public", capacity=2)
    for i in range(5):
        guest_join(client, query, circle_id, f"G{i}", f"g{i}@example.org")
    assert statuses(query, circle_id) == [
        ("g0@example.org", "enrolled", None),
        ("g1@example.org", "enrolled", None),
        ("g2@example.org", "waitlisted", 1),
        ("g3@example.org", "waitlisted", 2),
        ("g4@example.org", "waitlisted", 3),
    ]
    assert mail_to(query, "g2@example.org")[-1].subject == (
        "You are on the waitlist for “Grant Writing Basics”"
    )
    waitlist_body = mail_to(query, "g3@example.org")[-1].body
    assert "number 2 on the waitlist" in waitlist_body
    assert "Manage your place or leave the waitlist: http://circles.test/manage/" in waitlist_body

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
    # The manage link was shown once; a later email leads to a page that sends a new one.
    promoted = mail_to(query, "g2@example.org")[-1].body
    assert "/manage/" not in promoted
    assert (
        "Manage your place or leave the circle: use the link in your confirmation email, "
        f"or get a new one here: {LOST_LINK}"
    ) in promoted
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 2
    events = query(
        lambda: [(e.action, e.actor_id) for e in db.session.scalars(sa.select(AuditEvent))]
    )
    assert events == [("enrollment.withdraw", world.lead)]


def test_raising_capacity_serves_the_waitlist_in_order(client, world, query):
    circle_id = world.circle(audience="public", capacity=1)
    for i in range(3):
        guest_join(client, query, circle_id, f"G{i}", f"g{i}@example.org")
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
    guest_join(client, query, circle_id, "=cmd|' /C calc'!A0", "first@example.org")
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
    guest_join(client, query, circle_id, "In", "in@example.org")
    guest_join(client, query, circle_id, "Wait", "wait@example.org")
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
    guest_join(client, query, circle_id, "In", "in@example.org")
    runner = app.test_cli_runner()
    assert "0 queued" in runner.invoke(args=["reminders", "send", "--lead-hours", "1"]).output
    lead_days = 22 * 24  # the first meeting is two to three weeks away (next_weekday)
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
    reminder = mail_to(query, "in@example.org")[-1].body
    assert "/manage/" not in reminder
    assert LOST_LINK in reminder


def test_emails_arrive_over_smtp_with_a_parseable_ics(client, world, app, query):
    circle_id = world.circle(audience="public")
    guest_asks(client, circle_id, "Zoë, “the tester”; ✨", "zoe@example.org")
    with smtp_inbox(app) as inbox:
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert "1 sent, 0 failed" in result.output
        # The guest follows the link in the email that arrived.
        [(rcpt, asked)] = inbox.messages
        assert rcpt == ["zoe@example.org"]
        assert asked["Subject"] == "Confirm your place in “Grant Writing Basics”"
        path = CONFIRM_LINK.search(asked.get_body(("plain",)).get_content()).group(1)
        assert client.post(path).status_code == 302
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
        assert "1 sent, 0 failed" in result.output
    [_asked, (rcpt, message)] = inbox.messages
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
    response = guest_join(client, query, circle_id, "Gia", "gia@example.org")
    body = mail_to(query, "gia@example.org")[-1].body
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


# --- limits, lost links, double clicks -----------------------------------------------------------


def test_guest_sign_ups_are_rate_limited_per_client(client, world, query):
    circle_id = world.circle(audience="public")
    codes = [
        guest_asks(client, circle_id, f"G{i}", f"g{i}@example.org").status_code for i in range(11)
    ]
    assert codes == [302] * 10 + [429]
    assert len(outbox(query)) == 10
    # Someone else is not held up; a signed-in member is not limited either.
    other = guest_asks(client, circle_id, "H", "h@example.org", ip="10.0.0.9")
    assert other.status_code == 302
    login(client, "pat@example.org")
    assert client.post(f"/circles/{circle_id}/join").status_code == 302


def test_guest_sign_ups_are_rate_limited_per_address(client, world, query):
    """Five emails an hour to one address at most, from however many clients."""
    circle_id = world.circle(audience="public")
    codes = [
        guest_asks(
            client,
            circle_id,
            "G",
            "Target@example.org" if i % 2 else "target@example.org",
            ip=f"10.0.1.{i}",
        ).status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
    assert len(mail_to(query, "target@example.org")) == 5


def test_lost_link_page_sends_fresh_links_and_says_the_same_to_anyone(client, world, app, query):
    first = world.circle(audience="public", title="First")
    second = world.circle(audience="public", title="Second", start_time=dt.time(10))
    old = [
        guest_join(client, query, cid, "Gia", "gia@example.org").headers["Location"]
        for cid in (first, second)
    ]
    sent_before = len(outbox(query))
    page = client.get("/join/lost-link")
    assert "Lost the link to your place?" in page.text

    def ask(email: str):
        response = client.post("/join/lost-link", data={"email": email})
        return response.status_code, response.headers["Location"], client.get("/join/lost-link")

    known_status, known_location, known_page = ask("GIA@example.org")
    unknown_status, unknown_location, unknown_page = ask("nobody@example.org")
    assert (
        (known_status, known_location)
        == (unknown_status, unknown_location)
        == (
            302,
            "/join/lost-link",
        )
    )
    assert "If gia@example.org holds a place in a circle" in known_page.text
    assert "If nobody@example.org holds a place in a circle" in unknown_page.text

    fresh = outbox(query)[sent_before:]
    assert fresh == [
        ("gia@example.org", "Your link to “First”"),
        ("gia@example.org", "Your link to “Second”"),
    ]  # and nothing to the unknown address
    new = [link_in(MANAGE_LINK, m) for m in mail_to(query, "gia@example.org")[-2:]]
    for old_path, new_path, title in zip(old, new, ("First", "Second"), strict=True):
        assert client.get(old_path).status_code == 404  # replaced
        assert f"Your place in “{title}”" in client.get(new_path).text
    # Pages reached without a secret get the usual referrer policy.
    assert known_page.headers["Referrer-Policy"] == "same-origin"


def test_lost_link_requests_are_rate_limited(client, world):
    codes = [
        client.post(
            "/join/lost-link",
            data={"email": "gia@example.org"},
            environ_base={"REMOTE_ADDR": f"10.0.2.{i}"},
        ).status_code
        for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
    codes = [
        client.post("/join/lost-link", data={"email": f"x{i}@example.org"}).status_code
        for i in range(11)
    ]
    assert codes[-1] == 429


def test_moving_up_someone_already_moved_up_is_a_message_not_an_error(client, world, query):
    circle_id = world.circle(audience="public", capacity=1)
    guest_join(client, query, circle_id, "In", "in@example.org")
    guest_join(client, query, circle_id, "Wait", "wait@example.org")

    def one_more_seat() -> None:
        db.session.get(Circle, circle_id).capacity = 2
        db.session.commit()

    query(one_more_seat)
    wait = query(
        lambda: db.session.scalars(
            sa.select(Enrollment.id).filter_by(email="wait@example.org")
        ).one()
    )
    login(client, "lead@example.org")
    assert (
        "Wait is now enrolled."
        in client.post(f"/enrollments/{wait}/promote", follow_redirects=True).text
    )
    again = client.post(f"/enrollments/{wait}/promote", follow_redirects=True)
    assert again.status_code == 200
    assert "Wait is already enrolled." in again.text
    assert query(lambda: db.session.get(Circle, circle_id).enrolled_count) == 2
