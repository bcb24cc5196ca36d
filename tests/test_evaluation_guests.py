"""Evaluation (issue 14) for guests: a guest (a place with no account) is invited by email
with a signed link of their own and answers the end-of-circle survey through it, under the
same rules as everyone: inside the window, once per place, not after leaving the circle."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest

from app.evaluation import services
from app.extensions import db
from app.labels import when
from app.logs import redact
from app.models import Circle, Enrollment, EnrollmentStatus, SurveyAnswer
from app.participation import services as participation
from app.records import certificates
from app.timeutil import utcnow
from tests.conftest import login
from tests.mail import send_outbox
from tests.test_evaluation import GOOD, answers, end_circle, invite, text

BASE = "https://circles.example.org"


def emailed(inbox, email: str) -> tuple[str, str]:
    """The survey link in the invitation the SMTP server received for ``email``, and its body."""
    [body] = [
        m.get_body(("plain",)).get_content()
        for to, m in inbox.messages
        if to == [email] and m["Subject"].startswith("How was")
    ]
    [link] = re.findall(r"\S+/survey\b\S*", body)
    return link, body


def guest_path(app, enrollment_id: int) -> str:
    """The path of a guest's survey link, as the invitation builds it."""
    with app.test_request_context():
        return "/survey/" + services.survey_token(db.session.get(Enrollment, enrollment_id))


def test_a_guest_is_emailed_a_survey_link_of_their_own_under_base_url(
    client, app, setting, inbox, query
):
    app.config["BASE_URL"] = BASE
    end_circle(app, setting)
    assert invite(app) == "Survey invitations: 3 queued.\n"  # Pat, Ann and Bob; not Wes
    send_outbox(app)
    link, body = emailed(inbox, "bob@example.org")
    assert link.startswith(BASE + "/survey/"), link
    assert link == BASE + guest_path(app, setting.bob)
    assert "Hello Bob Baker," in body
    closes = query(lambda: services.window(db.session.get(Circle, setting.circle)).closes_at)
    with app.test_request_context():
        assert when(closes, "America/New_York", "date") in body  # the circle's zone
    # Each guest's link is their own; the account holder is sent to sign in instead.
    ann, _ = emailed(inbox, "ann@example.org")
    assert ann != link
    assert ann == BASE + guest_path(app, setting.ann)
    assert emailed(inbox, "pat@example.org")[0] == f"{BASE}/circles/{setting.circle}/survey"
    assert invite(app) == "Survey invitations: 0 queued.\n"  # once
    # No account needed: the link opens the survey itself, not the sign-in page.
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200
    assert "Send my answers" in page.text
    assert f'action="{urlsplit(link).path}"' in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert urlsplit(link).path.split("/")[-1] not in redact(f"GET {urlsplit(link).path} 200")


def test_a_guest_answers_once_and_a_replay_saves_nothing(client, app, setting, query):
    end_circle(app, setting)
    with app.app_context():  # far east: the day there is not the day in UTC
        db.session.get(Circle, setting.circle).timezone = "Pacific/Kiritimati"
        db.session.commit()
    path = guest_path(app, setting.bob)
    response = client.post(path, data=GOOD)
    assert response.status_code == 302
    assert response.headers["Location"] == path
    assert "your answers are saved" in text(client.get(path))
    [row] = answers(query)
    assert (row.enrollment_id, row.circle_id, row.course_rating) == (setting.bob, setting.circle, 4)
    assert row.changed_work == "I now write grant budgets myself"
    answered = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)  # Mar 11 in Kiritimati
    with app.app_context():
        db.session.get(SurveyAnswer, row.id).created_at = answered
        db.session.commit()
    with app.test_request_context():
        local = when(answered, "Pacific/Kiritimati", "date")
        utc_day = when(answered, "UTC", "date")
    assert local != utc_day
    # Opening the link again shows the answer and the day it was given, in the circle's zone.
    again = text(client.get(path))
    assert f"You already answered on {local}" in again
    assert utc_day not in again
    assert "I now write grant budgets myself" in again
    # Sending again: refused with the date, nothing changed.
    second = client.post(path, data=GOOD | {"course_rating": "1"})
    assert second.status_code == 409
    assert f"You already answered on {local}" in text(second)
    [row] = answers(query)
    assert row.course_rating == 4


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature
        lambda token: "W" + token[1:] if token[0] != "W" else "X" + token[1:],  # payload
        lambda token: token.split(".")[0],  # cut short
        lambda token: "x" * 600,
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "cut", "long", "garbage"],
)
def test_a_tampered_link_is_a_clear_400_and_saves_nothing(client, app, setting, query, tamper):
    end_circle(app, setting)
    token = guest_path(app, setting.bob).rsplit("/", 1)[1]
    path = "/survey/" + tamper(token)
    for response in (client.get(path), client.post(path, data=GOOD)):
        assert response.status_code == 400
        assert "This survey link is not valid" in text(response)
    assert answers(query) == []


def test_links_signed_for_something_else_or_a_place_gone_are_refused(client, app, setting, query):
    end_circle(app, setting)
    with app.app_context():
        bob = db.session.get(Enrollment, setting.bob)
        bob.status = EnrollmentStatus.completed
        bob.completed_at = utcnow()
        db.session.commit()
        certificate = certificates.certificate_token(bob)  # same key, another salt
    assert client.post(f"/survey/{certificate}", data=GOOD).status_code == 400
    # A link for a place whose address changed (or that was deleted) no longer works.
    path = guest_path(app, setting.bob)
    with app.app_context():
        db.session.get(Enrollment, setting.bob).email = "robert@example.org"
        db.session.commit()
    assert client.post(path, data=GOOD).status_code == 400
    with app.app_context():
        db.session.delete(db.session.get(Enrollment, setting.bob))
        db.session.commit()
    assert client.get(path).status_code == 400
    assert answers(query) == []


def test_a_guest_answers_only_while_the_window_is_open(client, app, setting, query):
    path = guest_path(app, setting.bob)
    # Before the last meeting begins.
    assert "opens when the circle's last meeting begins" in text(client.get(path))
    client.post(path, data=GOOD)
    assert answers(query) == []
    # After the window: the page says when it closed, in the circle's zone.
    end_circle(app, setting, days_ago=31)
    closes = query(lambda: services.window(db.session.get(Circle, setting.circle)).closes_at)
    with app.test_request_context():
        closed = f"The survey closed on {when(closes, 'America/New_York', 'date')}"
    assert closed in text(client.get(path))
    response = client.post(path, data=GOOD)
    assert closed in text(response)
    assert answers(query) == []


def test_a_guest_who_left_the_circle_is_refused(client, app, setting, query):
    end_circle(app, setting)
    path = guest_path(app, setting.bob)
    with app.app_context():
        participation.withdraw(db.session.get(Enrollment, setting.bob), by=None, now=utcnow())
        db.session.commit()
    assert "Only the participants of this circle" in text(client.get(path))
    response = client.post(path, data=GOOD)
    assert "Only the participants of this circle" in text(response)
    assert answers(query) == []
    # The waitlisted guest (moved up when Bob left) answers with a link of their own.
    assert (
        query(lambda: db.session.get(Enrollment, setting.wes).status) == EnrollmentStatus.enrolled
    )
    assert client.post(guest_path(app, setting.wes), data=GOOD).status_code == 302
    assert [a.enrollment_id for a in answers(query)] == [setting.wes]


def test_the_results_count_a_guests_answer(client, app, setting):
    end_circle(app, setting)
    assert client.post(guest_path(app, setting.bob), data=GOOD).status_code == 302
    login(client, "pat@example.org")
    assert client.post(f"/circles/{setting.circle}/survey", data=GOOD).status_code == 302
    client.post("/logout")
    login(client, "lead@example.org")
    page = text(client.get(f"/circles/{setting.circle}/evaluation"))
    assert re.search(r"<dt>Answers</dt>\s*<dd>2</dd>", page), page
    assert "<strong>Bob Baker</strong>: I now write grant budgets myself" in page
