"""Interest and demand (issue 14): marking, changing and withdrawing interest, the demand board
(ranking, filters, who sees names, a fixed number of queries), starting a circle from demand
(the wizard pre-filled) and the invitations when it is published (once, oldest first, through
the outbox and a real SMTP server), and bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.demand import services
from app.demand.demo import ANSWERS, INTERESTS
from app.extensions import db
from app.labels import when
from app.models import (
    Circle,
    Course,
    Interest,
    InterestStatus,
    OutboxMessage,
    PathwayMember,
    User,
)
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import enroll
from tests.mail import send_outbox
from tests.test_home import statements
from tests.test_pathways import build_pathway


def interest(
    app,
    user_id: int,
    *,
    course=None,
    area=None,
    fmt="in_person",
    time="evening",
    branch=None,
    days_ago: int = 0,
) -> int:
    """Mark interest through the service, waiting since ``days_ago``."""
    with app.app_context():
        target = services.Target(
            course=db.session.get(Course, course) if course else None, skill_area=area
        )
        user = db.session.get(User, user_id)
        row, _new = services.mark_interest(user, target, services.Preferences(fmt, time, branch))
        row.created_at = utcnow() - dt.timedelta(days=days_ago)
        db.session.commit()
        return row.id


def rows(query) -> list[tuple]:
    return query(
        lambda: [
            (i.user_id, i.course_id, i.skill_area, i.format, i.time_of_day, i.branch_id, i.status)
            for i in db.session.scalars(sa.select(Interest).order_by(Interest.id))
        ]
    )


def board_rows(html: str) -> list[list[str]]:
    """The board's table: each row's cells as text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        ]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


# --- marking interest -----------------------------------------------------------------------------


def test_staff_mark_change_and_withdraw_interest_in_a_course(client, world, query):
    login(client, "pat@example.org")
    page = client.get(f"/courses/{world.course}").text
    assert f"/demand/interest?course={world.course}" in page
    assert "I&#39;d join a circle on this" in page or "I'd join a circle on this" in page

    form = client.get(f"/demand/interest?course={world.course}").text
    assert "Grant Writing Basics" in form
    assert "Count me in" in form
    data = {"format": "virtual", "time_of_day": "morning", "branch_id": ""}
    response = client.post(f"/demand/interest?course={world.course}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{world.course}"
    assert "we will email you" in client.get(response.headers["Location"]).text
    assert rows(query) == [
        (world.participant, world.course, None, "virtual", "morning", None, "waiting")
    ]

    # A second click changes the preferences of the same row, and says so.
    assert "Update my preferences" in client.get(f"/demand/interest?course={world.course}").text
    data = {"format": "in_person", "time_of_day": "evening", "branch_id": str(world.branch)}
    response = client.post(
        f"/demand/interest?course={world.course}", data=data, follow_redirects=True
    )
    assert response.status_code == 200
    assert "You had already said so: your preferences are updated." in response.text
    assert rows(query) == [
        (world.participant, world.course, None, "in_person", "evening", world.branch, "waiting")
    ]

    mine = client.get("/demand/mine").text
    for shown in ("Grant Writing Basics", "Main Library", "Evening"):
        assert shown in mine
    [interest_id] = query(lambda: db.session.scalars(sa.select(Interest.id)).all())
    response = client.post(f"/demand/interests/{interest_id}/withdraw", follow_redirects=True)
    assert "Your interest is withdrawn." in response.text
    assert rows(query) == []


def test_interest_in_a_skill_area_and_from_a_pathway_step(client, world, app, query):
    pathway_id, _chis = build_pathway(app, world)
    login(client, "pat@example.org")
    page = client.get(f"/pathways/{pathway_id}").text
    assert f"/demand/interest?course={world.course}" in page
    assert "/demand/interest?skill_area=digital_literacy" in page
    data = {"format": "on_demand", "time_of_day": "afternoon", "branch_id": ""}
    response = client.post("/demand/interest?skill_area=digital_literacy", data=data)
    assert response.status_code == 302
    assert rows(query) == [
        (world.participant, None, "digital_literacy", "on_demand", "afternoon", None, "waiting")
    ]
    assert "Any course in Digital literacy" in client.get("/demand/mine").text


def test_someone_elses_interest_cannot_be_withdrawn(client, world, app, query):
    theirs = interest(app, world.co, course=world.course)
    login(client, "pat@example.org")
    assert client.post(f"/demand/interests/{theirs}/withdraw").status_code == 404
    assert len(rows(query)) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/demand/interest",
        "/demand/interest?course=999999",
        "/demand/interest?course=abc",
        "/demand/interest?course=99999999999999",
        "/demand/interest?skill_area=knitting",
        "/circles/new?from_demand=999999",
        "/circles/new?from_demand=abc",
    ],
)
def test_unknown_targets_are_not_found(client, world, path):
    login(client, "lead@example.org")
    assert client.get(path).status_code == 404


def test_a_retired_course_takes_no_new_interest(client, world, app, query):
    with app.app_context():
        db.session.get(Course, world.course).retired_at = utcnow()
        db.session.commit()
    login(client, "pat@example.org")
    data = {"format": "virtual", "time_of_day": "morning", "branch_id": ""}
    assert client.post(f"/demand/interest?course={world.course}", data=data).status_code == 404
    assert rows(query) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("format", "carrier_pigeon"), ("time_of_day", "midnight"), ("branch_id", "999999")],
)
def test_tampered_preferences_are_refused_beside_the_field(client, world, query, field, value):
    login(client, "pat@example.org")
    data = {"format": "virtual", "time_of_day": "morning", "branch_id": "", field: value}
    response = client.post(f"/demand/interest?course={world.course}", data=data)
    assert response.status_code == 200
    assert "Not a valid choice" in response.text
    assert rows(query) == []


# --- the board ------------------------------------------------------------------------------------


@pytest.fixture
def asked(app, world, factory) -> dict[str, int]:
    return ask(app, world, factory)


def ask(app, world, factory) -> dict[str, int]:
    """Grant Writing Basics: three want it (two at Main, one at Kendall; two virtual), the
    Spanish course one (no branch), digital literacy one."""
    ana = factory.user("ana@example.org", name="Ana Asker")
    ben = factory.user("ben@example.org", name="Ben Asker")
    cy = factory.user("cy@example.org", name="Cy Asker")
    interest(app, ana, course=world.course, fmt="virtual", branch=world.branch, days_ago=3)
    interest(app, ben, course=world.course, fmt="virtual", branch=world.other_branch, days_ago=2)
    interest(app, cy, course=world.course, fmt="in_person", branch=world.branch, days_ago=1)
    interest(app, ana, course=world.spanish, fmt="in_person")
    interest(app, ben, area="digital_literacy", fmt="on_demand", branch=world.other_branch)
    return {"ana": ana, "ben": ben, "cy": cy}


def test_the_board_ranks_by_interest_with_waitlists_and_pathway_need(client, world, app, factory):
    full = world.circle(capacity=1)  # on Grant Writing Basics: one seat, two waiting
    for n in range(3):
        factory.user(f"w{n}@example.org")
        enroll(app, full, f"W {n}", f"w{n}@example.org")
    ask(app, world, factory)  # after the circle: not invited to it, still waiting
    pathway_id, _chis = build_pathway(app, world)  # its first step: Grant Writing Basics
    with app.app_context():
        db.session.add(PathwayMember(pathway_id=pathway_id, user_id=world.participant))
        db.session.commit()
    login(client, "admin@example.org")
    table = board_rows(client.get("/demand").text)
    assert [r[:4] for r in table] == [
        ["Grant Writing Basics", "3", "2", "1"],
        ["Informática básica", "1", "0", "0"],
        ["Any course in Digital literacy", "1", "–", "0"],
    ]


def test_the_board_filters_by_branch_and_format(client, world, asked):
    login(client, "admin@example.org")
    kendall = board_rows(client.get(f"/demand?branch={world.other_branch}").text)
    # Ben chose Kendall; the Spanish course's asker chose no branch.
    assert [r[:2] for r in kendall] == [
        ["Grant Writing Basics", "1"],
        ["Informática básica", "1"],
        ["Any course in Digital literacy", "1"],
    ]
    virtual = board_rows(client.get("/demand?format=virtual").text)
    assert [r[:2] for r in virtual] == [["Grant Writing Basics", "2"]]
    both = board_rows(client.get(f"/demand?format=virtual&branch={world.branch}").text)
    assert [r[:2] for r in both] == [["Grant Writing Basics", "1"]]


@pytest.mark.parametrize(
    "path", ["/demand?branch=abc", "/demand?branch=999999", "/demand?format=x"]
)
def test_tampered_board_filters_are_refused(client, world, path):
    login(client, "admin@example.org")
    response = client.get(path)
    assert response.status_code == 400
    assert "from the list" in response.text


def test_who_sees_the_people_who_asked(client, world, factory, asked):
    login(client, "admin@example.org")  # everyone, oldest first
    [grant, *_rest] = board_rows(client.get("/demand").text)
    assert grant[4] == "Ana Asker, Ben Asker, Cy Asker"
    client.post("/logout")

    login(client, "boss@example.org")  # manages Main: those who chose Main
    page = client.get("/demand").text
    [grant, *_rest] = board_rows(page)
    assert grant[:2] == ["Grant Writing Basics", "3"]
    assert grant[4] == "Ana Asker, Cy Asker"
    assert "Ben Asker" not in page
    client.post("/logout")

    login(client, "lead@example.org")  # a facilitator: counts only
    page = client.get("/demand").text
    assert "Who asked" not in page
    assert not re.search(r"(Ana|Ben|Cy) Asker", page)
    assert board_rows(page)[0][:2] == ["Grant Writing Basics", "3"]
    client.post("/logout")

    login(client, "pat@example.org")  # staff without a role: no board, no link
    assert client.get("/demand").status_code == 403
    assert 'href="/demand"' not in client.get("/").text


def test_the_board_takes_as_many_queries_for_30_interests_as_for_3(app, client, world, factory):
    build_pathway(app, world)
    login(client, "admin@example.org")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            user_id = factory.user(f"asker{i}@example.org")
            course = world.course if i % 2 else world.spanish
            interest(app, user_id, course=course, branch=world.branch if i % 3 else None)
            interest(app, user_id, area="leadership")

    add(3, 0)
    page, few = statements(app, lambda: client.get("/demand").text)
    assert "asker1@" not in page
    add(27, 3)
    page, many = statements(app, lambda: client.get("/demand").text)
    assert board_rows(page)[0][:2] == ["Any course in Leadership", "30"]
    assert len(few) == len(many)


# --- starting a circle from demand ------------------------------------------------------------


def test_the_wizard_opens_pre_filled_with_what_most_asked(client, world, asked):
    login(client, "admin@example.org")
    board = client.get("/demand").text
    assert f"/circles/new?from_demand={world.course}" in board
    client.post("/logout")
    login(client, "lead@example.org")
    page = client.get(f"/circles/new?from_demand={world.course}").text
    assert "Started from demand: 3 people are waiting for “Grant Writing Basics”." in page
    assert f'<input type="hidden" name="course_id" value="{world.course}">' in page
    # Two of three chose virtual, two Main Library, all the evening (18:00).
    assert re.search(f'<option selected value="{world.branch}">Main Library', page)
    assert re.search(r'name="start_time"[^>]*value="18:00"', page)
    assert re.search(r'<input checked[^>]*name="format" type="radio" value="virtual"', page)


# --- invitations -------------------------------------------------------------------------------


def mail(query) -> list[OutboxMessage]:
    return query(
        lambda: db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    )


def test_publishing_invites_the_interested_once_oldest_first(
    client, world, app, query, inbox, asked
):
    with app.app_context():  # Ben reads in Spanish, in Los Angeles
        ben = db.session.get(User, asked["ben"])
        ben.locale, ben.timezone = "es", "America/Los_Angeles"
        db.session.commit()
    draft = world.circle(publish=False)
    assert mail(query) == []  # a draft invites nobody
    login(client, "lead@example.org")
    assert client.post(f"/circles/{draft}/publish").status_code == 302

    sent = mail(query)
    assert [m.to for m in sent] == ["ana@example.org", "ben@example.org", "cy@example.org"]
    assert "Grant Writing Basics" in sent[0].subject
    assert f"{app.config['BASE_URL']}/circles/{draft}/join" in sent[0].body
    first = query(lambda: db.session.get(Circle, draft).scheduled_meetings[0].starts_at)
    with app.test_request_context(), force_locale("es"):
        ben_sees = when(first, "America/Los_Angeles", "zoned")
    assert "15:00" in ben_sees  # 18:00 in New York, 24-hour in Spanish
    assert ben_sees in sent[1].body
    assert ben_sees not in sent[0].body
    statuses = query(
        lambda: {
            i.user_id: (i.status, i.invited_circle_id)
            for i in db.session.scalars(
                sa.select(Interest).where(Interest.course_id == world.course)
            )
        }
    )
    assert set(statuses.values()) == {(InterestStatus.invited, draft)}

    assert "3 sent, 0 failed" in send_outbox(app)
    assert [to for to, _m in inbox.messages] == [
        ["ana@example.org"],
        ["ben@example.org"],
        ["cy@example.org"],
    ]

    # A second circle on the course (created published) emails nobody again; the Spanish
    # course's asker is not told of a circle on another course.
    world.circle(world.co, title="Second cohort")
    assert len(mail(query)) == 3
    assert query(lambda: db.session.scalar(sa.select(Circle.id).filter_by(title="Second cohort")))

    # Invited, they no longer count as waiting; their list says so; the others still wait.
    client.post("/logout")
    login(client, "admin@example.org")
    assert [r[:2] for r in board_rows(client.get("/demand").text)] == [
        ["Informática básica", "1"],
        ["Any course in Digital literacy", "1"],
    ]
    client.post("/logout")
    login(client, "cy@example.org")
    assert "A circle was published: check your email." in client.get("/demand/mine").text


def test_the_demo_has_interests_the_board_shows_and_loads_them_once(app, demo, client, query):
    # Its interests, and the skill areas its needs-survey answers asked for (each once).
    wanted = {(email, str(what)) for email, what, *_rest in INTERESTS} | {
        (email, area)
        for answers in ANSWERS.values()
        for email, areas, *_rest in answers
        for area in areas
    }
    count = query(lambda: db.session.scalar(sa.select(sa.func.count(Interest.id))))
    assert count == len(wanted)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "Demo data already present." in result.output
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(Interest.id)))) == count
    login(client, "admin@example.org", "learning-circles-demo")
    table = board_rows(client.get("/demand").text)
    assert table[0][:2] == ["Grants 101", "4"]
    assert ["Any course in Leadership", "3"] in [r[:2] for r in table]  # one from the survey
