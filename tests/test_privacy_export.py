"""Personal data (issue 16): a person downloads everything the app holds about them as a zip
(data.json and a CSV per list), an administrator downloads anyone's (a subject access
request), and every bulk view or export of personal data leaves one AuditEvent, listed on the
administrators' personal-data log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    ApiToken,
    Attendance,
    AuditEvent,
    Circle,
    DigestSubscription,
    Enrollment,
    FeedToken,
    Interest,
    Meeting,
    NeedsAnswer,
    NeedsAnswerArea,
    NeedsSurvey,
    Outcome,
    Pathway,
    PathwayMember,
    SelfPacedCompletion,
    SkillArea,
    SurveyAnswer,
    User,
)
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import enroll
from tests.test_home import statements

AREAS = list(SkillArea)


def _circles(world, count: int) -> list[int]:
    """Circles two hours apart (one lead, no clash), for people to take part in."""
    return [
        world.circle(title=f"Circle {i}", audience="public", start_time=dt.time(9 + 2 * i))
        for i in range(count)
    ]


def _give(app, circles: list[int], email: str, tag: str) -> None:
    """Everything a person can have, once per circle where a list can grow: places with goals
    and answers, attendance, outcomes and evaluation answers; self-paced courses, a pathway,
    interests, a needs-survey answer, a digest, a feed link, API tokens and an audit event.
    Every text carries ``tag``, so whose data a zip holds can be told."""
    for circle_id in circles:
        enroll(app, circle_id, f"{tag} Person", email)
    with app.app_context():
        person = db.session.scalar(sa.select(User).where(User.email == email))
        places = db.session.scalars(sa.select(Enrollment).where(Enrollment.email == email)).all()
        for i, place in enumerate(places):
            place.goals, place.answer = f"{tag}-goal-{i}", f"{tag}-answer-{i}"
            meeting = db.session.scalar(
                sa.select(Meeting).where(Meeting.circle_id == place.circle_id).limit(1)
            )
            db.session.add(Attendance(meeting=meeting, enrollment=place, status="present"))
            db.session.add(
                Outcome(
                    circle_id=place.circle_id,
                    enrollment=place,
                    kind="certificate",
                    title=f"{tag}-outcome-{i}",
                    achieved_on=dt.date(2026, 1, 1 + i),
                )
            )
            db.session.add(
                SurveyAnswer(
                    enrollment=place,
                    circle_id=place.circle_id,
                    goal_met=True,
                    recommend=True,
                    changed_work=f"{tag}-changed-{i}",
                    course_rating=5,
                    circle_rating=4,
                )
            )
            db.session.add(
                Interest(
                    user_id=person.id,
                    skill_area=AREAS[i],
                    format="virtual",
                    time_of_day="morning",
                )
            )
            db.session.add(
                ApiToken(
                    user_id=person.id,
                    name=f"{tag}-token-{i}",
                    prefix=f"{tag[:3]}{i}",
                    token_hash=f"{tag}-api-secret-hash-{i}",
                    scopes=["read"],
                )
            )
        course_id = db.session.scalar(sa.select(Circle.course_id).where(Circle.id == circles[0]))
        db.session.add(
            SelfPacedCompletion(
                user_id=person.id,
                course_id=course_id,
                completed_on=dt.date(2026, 2, 1),
                evidence=f"{tag}-evidence",
            )
        )
        pathway = db.session.scalar(sa.select(Pathway)) or Pathway(
            name="New staff essentials", career_stage="new_staff", status="published"
        )
        db.session.add(PathwayMember(pathway=pathway, user_id=person.id))
        survey = db.session.scalar(sa.select(NeedsSurvey)) or NeedsSurvey(
            year=2026, closes_on=dt.date(2026, 12, 31)
        )
        answer = NeedsAnswer(
            survey=survey,
            user_id=person.id,
            career_goal="lead",
            format="virtual",
            time_of_day="evening",
            comments=f"{tag}-comments",
        )
        db.session.add(answer)
        db.session.flush()
        db.session.add(NeedsAnswerArea(answer_id=answer.id, skill_area="management"))
        db.session.add(
            DigestSubscription(
                user_id=person.id,
                email=email,
                timezone="America/New_York",
                frequency="weekly",
                skill_areas=["management"],
            )
        )
        db.session.add(
            FeedToken(user_id=person.id, scope="personal", token_hash=f"{tag}-feed-secret-hash")
        )
        db.session.add(
            AuditEvent(
                actor_id=person.id, action="enrollment.withdraw", subject="circle:0", detail=tag
            )
        )
        db.session.commit()


@pytest.fixture
def people(app, world):
    """Pat (the participant of ``world``) and Cora (the control), each with data in the same
    three circles."""
    circles = _circles(world, 3)
    _give(app, circles, "pat@example.org", "PAT")
    with app.app_context():
        db.session.add(User(email="cora@example.org", name="Cora Control", password_hash="x"))
        db.session.commit()
    _give(app, circles, "cora@example.org", "CORA")
    return circles


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(response.data))


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def _secrets(query, email: str) -> list[str]:
    def read():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        feeds = db.session.scalars(
            sa.select(FeedToken.token_hash).where(FeedToken.user_id == user.id)
        )
        tokens = db.session.scalars(
            sa.select(ApiToken.token_hash).where(ApiToken.user_id == user.id)
        )
        return [user.password_hash, *feeds, *tokens]

    return query(read)


def _events(query, action: str | None = None) -> list[tuple]:
    def read():
        q = sa.select(AuditEvent.actor_id, AuditEvent.action, AuditEvent.subject, AuditEvent.detail)
        if action:
            q = q.where(AuditEvent.action == action)
        return [tuple(row) for row in db.session.execute(q.order_by(AuditEvent.id))]

    return query(read)


PERSONAL = "personal_data."


def _personal_events(query) -> list[tuple]:
    return [e for e in _events(query) if e[1].startswith(PERSONAL)]


# --- the person's own download ----------------------------------------------------------------


def test_my_data_zip_holds_my_rows_and_not_anothers_nor_any_secret(client, world, people, query):
    login(client, "pat@example.org")
    page = client.get("/me/data")
    assert page.status_code == 200
    assert "Download my data" in page.text
    assert 'href="/me/data"' in client.get("/account").text
    archive = _zip(client.post("/me/data"))
    names = set(archive.namelist())
    assert {"data.json", "enrollments.csv", "attendance.csv", "outcomes.csv"} <= names
    assert {"api_tokens.csv", "feed_links.csv", "audit_events.csv"} <= names
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["email"] == "pat@example.org"
    assert sorted(e["goals"] for e in data["enrollments"]) == [
        "PAT-goal-0",
        "PAT-goal-1",
        "PAT-goal-2",
    ]
    assert {e["circle"] for e in data["enrollments"]} == {"Circle 0", "Circle 1", "Circle 2"}
    assert len(data["attendance"]) == 3
    assert {o["title"] for o in data["outcomes"]} == {f"PAT-outcome-{i}" for i in range(3)}
    assert [t["name"] for t in data["api_tokens"]] == [f"PAT-token-{i}" for i in range(3)]
    assert data["needs_survey_answers"][0]["skill_areas"] == ["management"]
    assert data["self_paced_completions"][0]["evidence"] == "PAT-evidence"
    assert data["pathways"][0]["pathway"] == "New staff essentials"
    assert len(data["interests"]) == 3
    assert len(data["evaluation_answers"]) == 3
    assert data["digest_subscriptions"][0]["email"] == "pat@example.org"
    assert data["feed_links"][0]["scope"] == "personal"
    assert [e["detail"] for e in data["audit_events"]] == ["PAT"]
    rows = _csv(archive, "enrollments.csv")
    assert sorted(r["answer"] for r in rows) == [f"PAT-answer-{i}" for i in range(3)]
    assert [r["name"] for r in _csv(archive, "api_tokens.csv")] == [
        f"PAT-token-{i}" for i in range(3)
    ]
    everything = b"".join(archive.read(name) for name in names).decode("utf-8")
    assert "CORA" not in everything
    assert "cora@example.org" not in everything
    for secret in _secrets(query, "pat@example.org"):
        assert secret not in everything
    assert "token_hash" not in everything
    assert "password" not in everything


def test_a_csv_of_the_zip_neutralises_formulas(client, world, query):
    circle = _circles(world, 1)[0]
    _give(world.app, [circle], "pat@example.org", "PAT")
    with world.app.app_context():
        db.session.execute(sa.update(Enrollment).values(goals='=HYPERLINK("http://evil")'))
        db.session.commit()
    login(client, "pat@example.org")
    archive = _zip(client.post("/me/data"))
    assert _csv(archive, "enrollments.csv")[0]["goals"] == '\'=HYPERLINK("http://evil")'
    assert json.loads(archive.read("data.json"))["enrollments"][0]["goals"].startswith("=")


def test_my_data_download_is_logged_once_and_needs_a_post(client, world, query):
    login(client, "pat@example.org")
    client.get("/me/data")
    assert _personal_events(query) == []  # the page saying what is in it is not an export
    archive = _zip(client.post("/me/data"))
    assert "data.json" in archive.namelist()
    assert _personal_events(query) == [
        (world.participant, "personal_data.exported", f"user:{world.participant}", "data_zip")
    ]


def test_the_export_asks_the_same_number_of_queries_for_more_rows(app, client, world):
    circles = _circles(world, 4)
    _give(app, circles[:1], "pat@example.org", "PAT")
    with app.app_context():
        db.session.add(User(email="many@example.org", name="Many", password_hash="x"))
        db.session.commit()
    _give(app, circles, "many@example.org", "MANY")

    def count(email: str) -> int:
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            user.password_hash = db.session.scalar(
                sa.select(User.password_hash).where(User.email == "pat@example.org")
            )
            db.session.commit()
        login(client, email)
        response, seen = statements(app, lambda: client.post("/me/data"))
        client.post("/logout")
        assert len(json.loads(_zip(response).read("data.json"))["attendance"]) >= 1
        return len(seen)

    assert count("pat@example.org") == count("many@example.org")


# --- an administrator's copy (subject access request) ----------------------------------------


def test_admin_downloads_anyones_data_and_it_is_logged(client, world, people, query):
    login(client, "admin@example.org")
    page = client.get(f"/admin/users/{world.participant}").text
    assert f'href="/admin/people/{world.participant}/data"' in page
    assert "Pat" in client.get(f"/admin/people/{world.participant}/data").text
    archive = _zip(client.post(f"/admin/people/{world.participant}/data"))
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["email"] == "pat@example.org"
    assert "CORA" not in archive.read("data.json").decode()
    assert _personal_events(query) == [
        (world.admin, "personal_data.exported", f"user:{world.participant}", "data_zip")
    ]
    assert client.get("/admin/people/99999/data").status_code == 404
    assert client.post("/admin/people/99999/data").status_code == 404
    # Pat's own copy now says who exported their data.
    client.post("/logout")
    login(client, "pat@example.org")
    events = json.loads(_zip(client.post("/me/data")).read("data.json"))["audit_events"]
    assert [(e["action"], e["detail"]) for e in events if e["by"] != "Pat"] == [
        ("personal_data.exported", "data_zip")
    ]


@pytest.mark.parametrize("email", ["pat@example.org", "boss@example.org", "lead@example.org"])
def test_only_admins_download_someone_elses_data(client, world, query, email):
    login(client, email)
    assert client.get(f"/admin/people/{world.admin}/data").status_code == 403
    assert client.post(f"/admin/people/{world.admin}/data").status_code == 403
    assert client.get("/admin/personal-data-log").status_code == 403
    assert _personal_events(query) == []


# --- the audit of views and exports -----------------------------------------------------------


def test_each_personal_view_or_export_writes_one_event(client, world, query, setting):
    """Read back through another session after each GET: the rows were committed by the
    request's boundary (app/boundary.py commits GETs too), not just added and dropped."""
    circle = setting.circle
    login(client, "lead@example.org")
    assert client.get(f"/circles/{circle}/roster").status_code == 200  # a control: not logged
    assert client.get(f"/circles/{circle}/roster.csv").status_code == 200
    assert client.get(f"/circles/{circle}/attendance.csv").status_code == 200
    client.post("/logout")
    login(client, "boss@example.org")
    with world.app.app_context():
        db.session.get(User, world.participant).home_branch_id = world.branch
        db.session.commit()
    assert client.get(f"/people/{world.participant}/record").status_code == 200
    assert client.get(f"/people/{world.participant}/record.csv").status_code == 200
    assert client.get(f"/people/{world.manager}/record").status_code == 200  # one's own: no event
    # Controls: pages that show nothing personal in bulk write nothing.
    assert client.get("/reports/").status_code == 200
    lead, boss, pat = world.lead, world.manager, world.participant
    assert _personal_events(query) == [
        (lead, "personal_data.exported", f"circle:{circle}", "roster_csv"),
        (lead, "personal_data.exported", f"circle:{circle}", "attendance_csv"),
        (boss, "personal_data.viewed", f"user:{pat}", "record"),
        (boss, "personal_data.exported", f"user:{pat}", "record_csv"),
    ]


def test_a_refused_export_writes_no_event(client, world, setting, query):
    login(client, "far@example.org")  # manages another branch
    assert client.get(f"/circles/{setting.circle}/roster.csv").status_code == 403
    assert client.get(f"/people/{world.participant}/record").status_code == 404
    assert _personal_events(query) == []


# --- the log page -------------------------------------------------------------------------------


def _log_setting(app, world) -> None:
    """Bo Boss viewed Pat's record two hours ago, Lena Lead exported Cole Co's an hour ago,
    and then withdrew someone (another trail, not the personal-data log's)."""
    events = [
        (world.manager, "personal_data.viewed", f"user:{world.participant}", "record", 2),
        (world.lead, "personal_data.exported", f"user:{world.co}", "record_csv", 1),
        (world.lead, "enrollment.withdraw", "circle:1", "enrollment:1", 0),
    ]
    now = utcnow()
    with app.app_context():
        db.session.add_all(
            AuditEvent(
                actor_id=actor,
                action=action,
                subject=subject,
                detail=detail,
                created_at=now - dt.timedelta(hours=hours),
            )
            for actor, action, subject, detail, hours in events
        )
        db.session.commit()


def _admin(client):
    login(client, "admin@example.org")
    return client


def _log_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return body.split("<tr>")[1:]


def test_the_log_lists_newest_first_and_filters_by_person_and_action(client, app, world):
    _log_setting(app, world)
    admin = _admin(client)
    page = admin.get("/admin/personal-data-log")
    assert page.status_code == 200
    assert 'href="/admin/personal-data-log"' in admin.get("/admin/users").text
    rows = _log_rows(page.text)
    assert len(rows) == 2  # the withdrawal is another trail, not personal-data access
    assert all(word in rows[0] for word in ("Lena Lead", "Exported", "Cole Co"))
    assert all(word in rows[1] for word in ("Bo Boss", "Viewed", "Pat"))
    by_pat = _log_rows(admin.get("/admin/personal-data-log?who=pat").text)
    assert len(by_pat) == 1  # Pat as the subject
    assert "Bo Boss" in by_pat[0]
    by_lena = _log_rows(admin.get("/admin/personal-data-log?who=lena").text)
    assert len(by_lena) == 1  # Lena as the actor
    assert "Cole Co" in by_lena[0]
    viewed = _log_rows(admin.get("/admin/personal-data-log?action=personal_data.viewed").text)
    assert len(viewed) == 1
    assert "Bo Boss" in viewed[0]
    none = admin.get("/admin/personal-data-log?who=nobody-at-all")
    assert "Nothing in the log matches these filters." in none.text
    bad = admin.get("/admin/personal-data-log?action=drop-table")
    assert bad.status_code == 200
    assert len(_log_rows(bad.text)) == 2  # an unknown action is shown as an error, not applied


def test_the_log_is_empty_at_first_and_pages(client, app, world):
    admin = _admin(client)
    assert (
        "Nobody has seen or exported personal data yet."
        in admin.get("/admin/personal-data-log").text
    )
    with app.app_context():
        db.session.add_all(
            AuditEvent(
                actor_id=world.manager,
                action="personal_data.viewed",
                subject=f"user:{world.participant}",
                detail="record",
            )
            for _ in range(app.config["PER_PAGE"] + 1)
        )
        db.session.commit()
    first = admin.get("/admin/personal-data-log")
    assert len(_log_rows(first.text)) == app.config["PER_PAGE"]
    assert "/admin/personal-data-log?page=2" in first.text
    assert len(_log_rows(admin.get("/admin/personal-data-log?page=2").text)) == 1


def test_the_log_is_for_admins_only(client, world):
    login(client, "boss@example.org")
    assert client.get("/admin/personal-data-log").status_code == 403
