"""Courses finished on one's own (issue 14): the person reports one, a manager of their home
branch (or an admin) confirms or declines it with a note, the person is emailed, and a
confirmed one counts on pathways and shows on the learning record. Bad input is refused beside
its field with nothing saved; duplicates are refused; a declined one may be reported again."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Branch, Course, OutboxMessage, SelfPacedCompletion, SelfPacedStatus, User
from app.pathways import self_paced
from app.rules import RuleViolation
from app.timeutil import local_today, utcnow
from tests.conftest import csrf_token, login
from tests.test_pathways import build_pathway, done_steps

PAGE = "/pathways/self-paced"


@pytest.fixture
def staffed(app, world) -> int:
    """Pat works at Main (Bo Boss manages it) and follows a pathway whose first step is
    Grant Writing Basics, the second any digital-literacy course. Returns the pathway id."""
    with app.app_context():
        db.session.get(User, world.participant).home_branch_id = world.branch
        db.session.commit()
    pathway_id, _chis = build_pathway(app, world, members=[world.participant])
    return pathway_id


def report(client, course: int | str, day: dt.date | str, evidence: str = "https://x.org/c"):
    token = csrf_token(client.get(PAGE).text)
    return client.post(
        PAGE,
        data={
            "csrf_token": token,
            "course": str(course),
            "completed_on": str(day),
            "evidence": evidence,
        },
    )


def review(client, completion_id: int, decision: str, note: str = ""):
    path = f"/pathways/self-paced/{completion_id}"
    token = csrf_token(client.get(path).text)
    return client.post(path, data={"csrf_token": token, "decision": decision, "note": note})


def rows(query) -> list[tuple]:
    return query(
        lambda: db.session.execute(
            sa.select(
                SelfPacedCompletion.course_id,
                SelfPacedCompletion.status,
                SelfPacedCompletion.completed_on,
                SelfPacedCompletion.reviewed_by_id,
                SelfPacedCompletion.review_note,
            ).order_by(SelfPacedCompletion.id)
        ).all()
    )


def only_id(query) -> int:
    return query(lambda: db.session.scalars(sa.select(SelfPacedCompletion.id)).one())


def mail_to(query, email: str) -> list[tuple[str, str]]:
    return query(
        lambda: db.session.execute(
            sa.select(OutboxMessage.subject, OutboxMessage.body).where(OutboxMessage.to == email)
        ).all()
    )


def error_of(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else ""


def test_a_manager_confirms_a_reported_course_and_it_counts_on_pathways_and_the_record(
    app, world, client, staffed, query
):
    today = local_today("America/New_York")
    login(client, "pat@example.org")
    assert report(client, world.course, today - dt.timedelta(days=5)).status_code == 302
    page = client.get(PAGE).text
    assert "Reported “Grant Writing Basics”: your manager confirms it." in unescape(page)
    assert "Waiting for a manager" in page
    again = report(client, world.course, today)
    assert again.status_code == 200
    assert error_of(again.text, "course") == (
        "You reported “Grant Writing Basics” already: it is waiting for your manager."
    )
    assert len(rows(query)) == 1
    assert done_steps(app, staffed, world.participant) == [False, False, False]
    client.post("/logout")

    login(client, "boss@example.org")
    queue = client.get("/pathways/confirmations").text
    assert "Pat: Grant Writing Basics" in queue
    assert 'href="https://x.org/c"' in queue
    completion = only_id(query)
    response = review(client, completion, "confirm")
    assert response.headers["Location"] == "/pathways/confirmations"
    assert "Nothing is waiting." in client.get("/pathways/confirmations").text
    assert rows(query) == [
        (world.course, SelfPacedStatus.confirmed, today - dt.timedelta(days=5), world.manager, "")
    ]
    [(subject, body)] = mail_to(query, "pat@example.org")
    assert subject == "“Grant Writing Basics” is confirmed"
    assert "Bo Boss confirmed that you finished “Grant Writing Basics”" in body
    assert "http://circles.test/pathways/" in body
    # Reviewed once: a second answer is refused and changes nothing.
    late = review(client, completion, "decline", "too late")
    assert late.status_code == 409
    assert "Someone has already reviewed this one." in unescape(late.text)
    assert rows(query)[0][1] == SelfPacedStatus.confirmed

    assert done_steps(app, staffed, world.participant) == [True, False, False]
    record = client.get(f"/people/{world.participant}/record").text
    assert "self-paced, confirmed by Bo Boss" in record
    csv_text = client.get(f"/people/{world.participant}/record.csv").data.decode("utf-8-sig")
    assert 'Self-paced course,Grant Writing Basics,NNLM,"self-paced, confirmed by Bo Boss"' in (
        csv_text
    )
    progress_page = client.get(f"/pathways/people/{world.participant}").text
    assert "1 of 3 required steps done" in progress_page
    client.post("/logout")

    login(client, "pat@example.org")
    assert error_of(report(client, world.course, today).text, "course") == (
        "“Grant Writing Basics” is already confirmed for you."
    )
    assert "self-paced, confirmed by Bo Boss" in client.get("/me/record").text


def test_a_skill_area_step_counts_a_course_of_that_area_finished_on_ones_own(
    app, world, client, staffed, query
):
    login(client, "pat@example.org")
    report(client, world.spanish, local_today("America/New_York"))
    client.post("/logout")
    login(client, "admin@example.org")  # admins review everyone's
    assert "Pat: Informática básica" in client.get("/pathways/confirmations").text
    review(client, only_id(query), "confirm")
    assert done_steps(app, staffed, world.participant) == [False, True, False]


def test_a_decline_says_why_and_the_course_may_be_reported_again(
    app, world, client, staffed, query
):
    today = local_today("America/New_York")
    login(client, "pat@example.org")
    report(client, world.course, today - dt.timedelta(days=3))
    client.post("/logout")

    login(client, "boss@example.org")
    completion = only_id(query)
    silent = review(client, completion, "decline")
    assert error_of(silent.text, "note") == "Say why in the note: the person reads it."
    assert rows(query)[0][1] == SelfPacedStatus.reported
    assert review(client, completion, "decline", "Add the certificate link").status_code == 302
    [(subject, body)] = mail_to(query, "pat@example.org")
    assert subject == "“Grant Writing Basics” was not confirmed"
    assert "Add the certificate link" in body
    assert "http://circles.test/pathways/self-paced" in body
    assert done_steps(app, staffed, world.participant) == [False, False, False]
    client.post("/logout")

    login(client, "pat@example.org")
    page = client.get(PAGE).text
    assert "Declined by Bo Boss: Add the certificate link" in page
    assert report(client, world.course, today, "https://cert.example.org/1").status_code == 302
    assert rows(query) == [(world.course, SelfPacedStatus.reported, today, None, "")]
    assert only_id(query) == completion  # the same row, back in the queue


def _retire(app, course_id: int) -> None:
    with app.app_context():
        db.session.get(Course, course_id).retired_at = utcnow()
        db.session.commit()


@pytest.mark.parametrize(
    ("course", "day", "evidence", "field", "message"),
    [
        (
            "course",
            "tomorrow",
            "x",
            "completed_on",
            "The day you finished cannot be in the future.",
        ),
        ("course", "2026-13-01", "x", "completed_on", "Not a valid date value."),
        ("course", "", "x", "completed_on", "Enter the day you finished it."),
        ("course", "today", "  ", "evidence", "Add a link to your certificate"),
        ("course", "today", "x" * 501, "evidence", "Field cannot be longer than 500 characters."),
        ("retired", "today", "x", "course", "Not a valid choice."),
        ("999999", "today", "x", "course", "Not a valid choice."),
        ("abc", "today", "x", "course", "Invalid Choice: could not coerce."),
        ("", "today", "x", "course", "Choose the course you finished."),
    ],
)
def test_bad_reports_are_refused_beside_the_field(
    app, world, client, query, course, day, evidence, field, message
):
    """ "Today" is on the person's clock: Kiritimati is 14 hours ahead of UTC."""
    with app.app_context():
        db.session.get(User, world.participant).timezone = "Pacific/Kiritimati"
        db.session.commit()
    _retire(app, world.spanish)
    today = local_today("Pacific/Kiritimati")
    days = {"today": today, "tomorrow": today + dt.timedelta(days=1)}
    courses = {"course": world.course, "retired": world.spanish}
    login(client, "pat@example.org")
    picker = client.get(PAGE).text
    assert "Grant Writing Basics" in picker
    assert "Informática básica" not in picker  # retired: not offered
    response = report(client, courses.get(course, course), days.get(day, day), evidence)
    assert response.status_code == 200
    assert message in error_of(response.text, field)
    assert rows(query) == []
    assert report(client, world.course, today).status_code == 302  # today there is fine


def test_nobody_reviews_their_own_and_two_reviews_at_once_decide_once(app, world, client, query):
    with app.app_context():  # Bo works at the branch he manages
        db.session.get(User, world.manager).home_branch_id = world.branch
        db.session.commit()
    login(client, "boss@example.org")
    report(client, world.course, local_today("America/New_York"))
    completion = only_id(query)
    assert "Nothing is waiting." in client.get("/pathways/confirmations").text
    page = client.get(f"/pathways/self-paced/{completion}").text
    assert 'name="decision"' not in page
    token = csrf_token(page)
    response = client.post(
        f"/pathways/self-paced/{completion}", data={"csrf_token": token, "decision": "confirm"}
    )
    assert response.status_code == 403
    assert rows(query)[0][1] == SelfPacedStatus.reported
    with app.app_context():
        row = db.session.get(SelfPacedCompletion, completion)
        with pytest.raises(RuleViolation, match="Someone else confirms"):
            self_paced.review(row, by=row.user, confirm=True, note="", now=utcnow())
        admin = db.session.get(User, world.admin)
        stale = db.session.get(SelfPacedCompletion, completion)
        self_paced.review(row, by=admin, confirm=True, note="", now=utcnow())
        with pytest.raises(RuleViolation, match="already reviewed"):
            self_paced.review(stale, by=admin, confirm=False, note="no", now=utcnow())
        db.session.rollback()


def test_the_demo_gives_staff_home_branches_and_maria_a_course_to_confirm(app, demo, client, query):
    second = app.test_cli_runner().invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    homes = query(
        lambda: dict(
            db.session.execute(
                sa.select(User.email, Branch.slug).join(Branch, Branch.id == User.home_branch_id)
            ).all()
        )
    )
    assert homes["participant@example.org"] == "main-library"
    assert homes["staff06@example.org"] == "coral-gables"
    assert len(homes) == 11
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(SelfPacedCompletion.id)))) == 1
    login(client, "manager@example.org", "learning-circles-demo")
    queue = client.get("/pathways/confirmations").text
    assert "Chen Wei: Improving Communication Skills" in queue
    progress_page = client.get("/pathways/").text
    assert "Self-paced courses to confirm" in progress_page


def test_the_home_page_tells_reviewers_how_many_wait_until_they_are_reviewed(
    app, world, client, staffed, query
):
    waiting = "1 course finished on their own waits for your confirmation."
    login(client, "pat@example.org")
    assert report(client, world.course, local_today("America/New_York")).status_code == 302
    assert waiting not in client.get("/").text  # not to the person who reported it
    client.post("/logout")
    login(client, "far@example.org")  # manages Kendall: Pat is not their staff
    assert "waits for your confirmation" not in client.get("/").text
    client.post("/logout")
    login(client, "boss@example.org")
    home = client.get("/").text
    assert waiting in home
    assert 'href="/pathways/confirmations"' in home
    review(client, only_id(query), "confirm")
    assert "waits for your confirmation" not in client.get("/").text
