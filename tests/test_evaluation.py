"""Evaluation (issue 14): the end-of-circle survey (its window, once per place, who may
answer), invitations sent once by email, the facilitators' wrap-up and meeting reflections,
the course page's figures and who sees the free text."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import sqlalchemy as sa
from flask_babel import force_locale

from app.evaluation import services
from app.extensions import db
from app.labels import when
from app.models import Circle, Enrollment, Meeting, SurveyAnswer, SurveyInvitation, WrapUp
from app.models.participation import EnrollmentStatus
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import OTHER_FACILITATOR
from tests.mail import send_outbox

GOOD = {
    "goal_met": "yes",
    "changed_work": "I now write grant budgets myself",
    "recommend": "no",
    "course_rating": "4",
    "circle_rating": "5",
}


def end_circle(app, setting, days_ago: float = 1) -> None:
    """All four meetings held, a week apart; the last one ended ``days_ago`` days ago."""
    last_end = utcnow() - dt.timedelta(days=days_ago)
    with app.app_context():
        for weeks_before, meeting_id in enumerate(reversed(setting.meetings)):
            meeting = db.session.get(Meeting, meeting_id)
            meeting.ends_at = last_end - dt.timedelta(weeks=weeks_before)
            meeting.starts_at = meeting.ends_at - dt.timedelta(minutes=90)
        db.session.commit()


def answers(query) -> list[SurveyAnswer]:
    return query(lambda: list(db.session.scalars(sa.select(SurveyAnswer))))


def text(response) -> str:
    return html.unescape(response.text)


def test_the_survey_is_open_from_the_last_meeting_until_the_window_closes(
    client, app, setting, query
):
    login(client, "pat@example.org")
    url = f"/circles/{setting.circle}/survey"
    # Before: one meeting held, three to come.
    assert "opens when the circle's last meeting begins" in text(client.get(url))
    client.post(url, data=GOOD)
    assert answers(query) == []
    # After: the last meeting ended 31 days ago (the window is 30 days).
    end_circle(app, setting, days_ago=31)
    response = client.post(url, data=GOOD)
    assert "The survey closed on" in text(response)
    assert answers(query) == []
    # Inside.
    end_circle(app, setting, days_ago=29)
    response = client.post(url, data=GOOD)
    assert response.headers["Location"] == f"/circles/{setting.circle}"
    [row] = answers(query)
    assert (row.goal_met, row.recommend, row.course_rating, row.circle_rating) == (
        True,
        False,
        4,
        5,
    )
    assert row.enrollment_id == setting.pat


def test_answering_twice_is_refused_with_409_and_one_row(client, app, setting, query):
    end_circle(app, setting)
    login(client, "pat@example.org")
    url = f"/circles/{setting.circle}/survey"
    assert client.post(url, data=GOOD).status_code == 302
    second = client.post(url, data=GOOD | {"course_rating": "1"})
    assert second.status_code == 409
    assert "You already answered on" in text(second)
    mine = text(client.get(url))
    assert "You already answered on" in mine
    assert "4 of 5" in mine  # the person sees their own answers
    assert "I now write grant budgets myself" in mine
    [row] = answers(query)
    assert row.course_rating == 4


def test_only_participants_with_a_place_may_answer(client, app, setting, world, factory, query):
    end_circle(app, setting)
    factory.user("wes@example.org", name="Wes Waiting")
    url = f"/circles/{setting.circle}/survey"
    for email in ("wes@example.org", "co@example.org", "boss@example.org"):  # waitlisted, staff
        login(client, email)
        response = client.post(url, data=GOOD)
        assert "Only the participants of this circle" in text(response), email
        client.post("/logout")
    assert answers(query) == []
    # Bad input: a rating outside 1..5 is refused beside its field, nothing saved.
    login(client, "pat@example.org")
    response = client.post(url, data=GOOD | {"course_rating": "9"})
    assert response.status_code == 200
    assert "Not a valid choice" in text(response)
    assert answers(query) == []
    # A completed place answers too.
    with app.app_context():
        db.session.get(Enrollment, setting.pat).status = EnrollmentStatus.completed
        db.session.commit()
    assert client.post(url, data=GOOD).status_code == 302
    assert len(answers(query)) == 1


def invite(app) -> str:
    result = app.test_cli_runner().invoke(args=["evaluations", "send"])
    assert result.exit_code == 0, result.output
    return result.output


def test_invitations_are_emailed_once_when_the_window_opens_in_the_readers_language(
    app, setting, factory, inbox, query
):
    assert invite(app) == "Survey invitations: 0 queued.\n"  # not open yet
    factory.user("ann@example.org", name="Ann Able", locale="es")  # Ann gets an account
    end_circle(app, setting)
    # Pat and Ann (accounts), Bob (a guest: his own link, tests/test_evaluation_guests.py);
    # not Wes, on the waitlist.
    assert invite(app) == "Survey invitations: 3 queued.\n"
    assert invite(app) == "Survey invitations: 0 queued.\n"
    send_outbox(app)
    got = {
        to[0]: body
        for to, m in inbox.messages
        if f"/circles/{setting.circle}/survey" in (body := m.get_body(("plain",)).get_content())
    }
    assert set(got) == {"pat@example.org", "ann@example.org"}
    assert "Thank you for taking part" in got["pat@example.org"]
    # Each in the reader's language: the closing date as each language writes it.
    closes = query(lambda: services.window(db.session.get(Circle, setting.circle)).closes_at)
    for email, locale in (("pat@example.org", "en"), ("ann@example.org", "es")):
        with app.test_request_context(), force_locale(locale):
            assert when(closes, "America/New_York", "date") in got[email], email
    assert (
        query(lambda: db.session.scalar(sa.select(sa.func.count(SurveyInvitation.enrollment_id))))
        == 3
    )


def test_wrap_up_and_reflections_are_written_by_facilitators_only(client, app, setting, query):
    end_circle(app, setting)
    meeting = setting.meetings[0]
    data = {
        "went_well": "Lively talk",
        "attendance_notes": "Two left early",
        "would_run_again": "yes",
    }
    for email in ("boss@example.org", "pat@example.org", OTHER_FACILITATOR):
        login(client, email)
        assert client.post(f"/circles/{setting.circle}/wrap-up", data=data).status_code in {
            403,
            404,
        }
        assert client.post(
            f"/meetings/{meeting}/reflection", data={"reflection": "x"}
        ).status_code in {403, 404}
        client.post("/logout")
    assert query(lambda: db.session.get(WrapUp, setting.circle)) is None
    login(client, "co@example.org")
    assert client.post(f"/circles/{setting.circle}/wrap-up", data=data).status_code == 302
    client.post("/logout")
    login(client, "lead@example.org")
    edited = data | {"would_run_again": "no"}
    assert client.post(f"/circles/{setting.circle}/wrap-up", data=edited).status_code == 302
    wrap = query(lambda: db.session.get(WrapUp, setting.circle))
    assert (wrap.went_well, wrap.would_run_again) == ("Lively talk", False)
    # The reflection, from the meeting's attendance sheet; too long is refused, kept as was.
    assert 'name="reflection"' in client.get(f"/meetings/{meeting}/attendance").text
    client.post(f"/meetings/{meeting}/reflection", data={"reflection": "Great questions"})
    response = client.post(f"/meetings/{meeting}/reflection", data={"reflection": "x" * 201})
    assert response.headers["Location"] == f"/meetings/{meeting}/attendance"
    assert "200 characters" in text(client.get(response.headers["Location"]))
    assert query(lambda: db.session.get(Meeting, meeting).reflection) == "Great questions"


def test_free_text_is_seen_by_facilitators_managers_and_admins_only(client, app, setting):
    end_circle(app, setting)
    login(client, "pat@example.org")
    assert client.post(f"/circles/{setting.circle}/survey", data=GOOD).status_code == 302
    client.post("/logout")
    url = f"/circles/{setting.circle}/evaluation"
    for email in ("pat@example.org", "far@example.org", OTHER_FACILITATOR):
        login(client, email)
        response = client.get(url)
        assert response.status_code == 404, email
        assert "grant budgets" not in response.text
        client.post("/logout")
    for email in ("lead@example.org", "co@example.org", "boss@example.org", "admin@example.org"):
        login(client, email)
        page = text(client.get(url))
        client.post("/logout")
        assert "I now write grant budgets myself" in page, email
        assert "100%" in page  # goal met
        assert "0%" in page  # recommend


def test_course_page_shows_runs_completions_and_the_average_rating(client, app, setting, world):
    login(client, "pat@example.org")
    page = text(client.get(f"/courses/{world.course}"))
    assert "Run 0 times, 0 completed" in page
    assert "No ratings yet" in page
    end_circle(app, setting)
    with app.app_context():
        db.session.get(Enrollment, setting.ann).status = EnrollmentStatus.completed
        db.session.commit()
    client.post(f"/circles/{setting.circle}/survey", data=GOOD)
    other = world.circle()  # a circle still to meet: not counted as run
    assert other
    page = text(client.get(f"/courses/{world.course}"))
    assert "Run 1 time, 1 completed" in page
    assert "4.0 of 5 (1 answer)" in page
    assert "grant budgets" not in page  # free text stays off the course page


def surveys_csv(client) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get("/reports/surveys.csv").text.lstrip("\ufeff"))))


def test_reports_give_goal_met_and_recommend_per_branch_and_quarter(client, app, setting, factory):
    end_circle(app, setting)
    factory.user("ann@example.org", name="Ann Able")
    for email, recommend in (("pat@example.org", "no"), ("ann@example.org", "yes")):
        login(client, email)
        answered = client.post(
            f"/circles/{setting.circle}/survey", data=GOOD | {"recommend": recommend}
        )
        assert answered.status_code == 302
        client.post("/logout")
    login(client, "admin@example.org")
    rows = surveys_csv(client)
    assert rows[0] == ["Branch", "Quarter", "Answers", "Goal met (%)", "Would recommend (%)"]
    [(branch, quarter, *figures)] = rows[1:-1]
    assert branch == "Main Library"
    assert re.fullmatch(r"\d{4}-Q[1-4]", quarter)
    assert figures == ["2", "100.0", "50.0"]
    assert rows[-1] == ["All", "", "2", "100.0", "50.0"]
    assert "Would recommend" in client.get("/reports/").text
    client.post("/logout")
    login(client, "far@example.org")  # another branch's manager: none of Main's answers
    rows = surveys_csv(client)
    assert rows[1:] == [["All", "", "0", "", ""]]


def test_the_demo_data_shows_ratings_results_and_report_figures(app, client, demo, query):
    from app.demo import DEMO_PASSWORD

    login(client, "admin@example.org", DEMO_PASSWORD)
    circle_id, course_id = query(
        lambda: db.session.execute(
            sa.select(Circle.id, Circle.course_id).where(Circle.title == "CHIS cohort (spring)")
        ).one()
    )
    page = text(client.get(f"/courses/{course_id}"))
    assert "No ratings yet" not in page
    assert re.search(r"Run [1-9]\d* times?, [1-9]\d* completed", page)
    assert re.search(r"\d\.\d of 5 \(\d+ answers?\)", page)
    assert "Everyone brought a real project" in text(client.get(f"/circles/{circle_id}/evaluation"))
    assert len(surveys_csv(client)) > 2
    # Loading again adds nothing.
    before = len(answers(query))
    assert "already present" in app.test_cli_runner().invoke(args=["demo", "load"]).output
    assert len(answers(query)) == before
