"""The yearly needs survey and the career stage × skill area heat map (issue 14): an admin opens
one survey a year, closes it early and reopens it; staff answer it once while it is open (bad
answers refused, nothing saved twice) and their skill areas become interest rows; the demand
board compares this year with last year, shows comments only to admins, and the heat map's
cells hold the right figures in a fixed number of queries; the demo data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.demand import heatmap, survey
from app.extensions import db
from app.models import (
    CareerStage,
    Interest,
    NeedsAnswer,
    NeedsAnswerArea,
    NeedsSurvey,
    Pathway,
    SkillArea,
    User,
)
from app.pathways import services as pathways
from app.rules import RuleViolation
from app.timeutil import local_today, utcnow
from tests.conftest import login
from tests.factories import add_course
from tests.test_demand import interest
from tests.test_home import statements
from tests.test_pathways import build_pathway

ZONE = "America/New_York"  # every test user's zone


def today() -> dt.date:
    return local_today(ZONE)


def open_survey(app, *, year: int | None = None, closes_in: int = 20) -> int:
    """A survey opened through the service (``year`` defaults to this one)."""
    with app.app_context():
        found = survey.open_survey(
            year or today().year, "Tell us", today() + dt.timedelta(days=closes_in), today()
        )
        db.session.commit()
        return found.id


def answer(app, survey_id: int, user_id: int, areas, goal="deepen", fmt="virtual", **extra):
    """An answer through the service, given on a day the survey was open."""
    with app.app_context():
        item = db.session.get(NeedsSurvey, survey_id)
        choices = survey.Choices(
            list(areas), goal, fmt, extra.get("time", "evening"), extra.get("comments", "")
        )
        survey.answer(item, db.session.get(User, user_id), choices, item.closes_on)
        db.session.commit()


def last_year_survey(app, answers: list[tuple[int, list[str], str, str]]) -> int:
    """Last year's survey, answered, then closed."""
    with app.app_context():
        year = today().year - 1
        item = survey.open_survey(year, "", dt.date(year, 6, 30), dt.date(year, 6, 1))
        db.session.commit()
        survey_id = item.id
    for user_id, areas, goal, fmt in answers:
        answer(app, survey_id, user_id, areas, goal, fmt)
    with app.app_context():
        survey.close(db.session.get(NeedsSurvey, survey_id))
        db.session.commit()
    return survey_id


def counts(query) -> tuple[int, int, int, int]:
    """Surveys, answers, answer areas and interests."""
    return query(
        lambda: tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (NeedsSurvey, NeedsAnswer, NeedsAnswerArea, Interest)
        )
    )


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table_rows(html: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table with this caption: header cell → the other cells, as text."""
    table = html.split(caption, 1)[1].split("</table>", 1)[0]
    found = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [text(c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        found[cells[0]] = cells[1:]
    return found


# --- the admin's side ------------------------------------------------------------------------


def test_an_admin_opens_the_survey_once_a_year_and_closes_and_reopens_it(admin, query):
    page = admin.get("/demand/surveys").text
    assert f"Open the {today().year} survey" in page
    response = admin.post("/demand/surveys", data={"intro": "Hi", "closes_on": today().isoformat()})
    assert "Choose a closing date after today." in response.text
    assert counts(query)[0] == 0

    closes_on = today() + dt.timedelta(days=14)
    closes = closes_on.isoformat()
    response = admin.post("/demand/surveys", data={"intro": "Plan 2027", "closes_on": closes})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).text
    assert f"The {today().year} needs survey is open." in page
    assert f"Open the {today().year} survey" not in page  # one a year: no second form
    rows = table_rows(page, "Needs surveys, newest first")
    shown = f"{closes_on:%a, %b} {closes_on.day}, {closes_on.year}"  # as Babel says it in English
    assert rows[str(today().year)][:3] == ["open", shown, "0"]

    # A second one the same year is refused, clearly, and nothing is added.
    response = admin.post("/demand/surveys", data={"intro": "Again", "closes_on": closes})
    assert response.status_code == 409
    assert "needs survey exists already" in response.text
    assert counts(query)[0] == 1

    survey_id = query(lambda: db.session.scalar(sa.select(NeedsSurvey.id)))
    response = admin.post(f"/demand/surveys/{survey_id}/close", follow_redirects=True)
    assert f"The {today().year} needs survey is closed." in response.text
    assert table_rows(response.text, "newest first")[str(today().year)][0] == "closed"
    response = admin.post(f"/demand/surveys/{survey_id}/close", follow_redirects=True)
    assert "This survey is closed already." in response.text

    response = admin.post(f"/demand/surveys/{survey_id}/reopen", follow_redirects=True)
    assert f"The {today().year} needs survey is open again." in response.text
    assert query(lambda: db.session.get(NeedsSurvey, survey_id).status) == "open"

    # After its closing date it stays closed.
    def past_closing():
        item = db.session.get(NeedsSurvey, survey_id)
        item.status, item.closes_on = "closed", today() - dt.timedelta(days=1)
        db.session.commit()

    query(past_closing)
    response = admin.post(f"/demand/surveys/{survey_id}/reopen", follow_redirects=True)
    assert "Its closing date has passed: it cannot be reopened." in response.text
    assert query(lambda: db.session.get(NeedsSurvey, survey_id).status) == "closed"


@pytest.mark.parametrize("bad", ["", "not-a-date", "99999-01-01"])
def test_a_bad_closing_date_is_refused_beside_the_field(admin, query, bad):
    response = admin.post("/demand/surveys", data={"intro": "", "closes_on": bad})
    assert response.status_code == 200
    assert 'id="closes_on-error"' in response.text
    assert counts(query)[0] == 0


def test_only_admins_run_the_survey(client, world, app, query):
    survey_id = open_survey(app)
    for email in ("boss@example.org", "lead@example.org", "pat@example.org"):
        login(client, email)
        assert client.get("/demand/surveys").status_code == 403
        assert client.post(f"/demand/surveys/{survey_id}/close").status_code == 403
        client.post("/logout")
    assert query(lambda: db.session.get(NeedsSurvey, survey_id).status) == "open"


# --- answering ---------------------------------------------------------------------------------


def test_staff_answer_once_and_their_areas_become_interest(client, world, app, query):
    had = interest(app, world.participant, area="leadership", fmt="in_person", branch=world.branch)
    login(client, "pat@example.org")
    assert "needs survey" not in client.get("/").text  # none open yet
    survey_id = open_survey(app)
    for page in ("/", "/demand/mine"):
        assert "Answer the needs survey" in client.get(page).text

    form = client.get("/demand/surveys/answer").text
    assert "Tell us" in form
    assert "Send my answer" in form
    data = {
        "areas": ["leadership", "technology"],
        "career_goal": "lead",
        "format": "virtual",
        "time_of_day": "morning",
        "comments": "Evenings are hard for me.",
    }
    response = client.post("/demand/surveys/answer", data=data)
    assert response.status_code == 302
    assert "your answer is saved" in client.get(response.headers["Location"]).text
    assert counts(query)[1:] == (1, 2, 2)
    found = query(
        lambda: [
            (i.id, i.skill_area, i.format, i.time_of_day, i.branch_id, i.status)
            for i in db.session.scalars(sa.select(Interest).order_by(Interest.id))
        ]
    )
    # The interest they had keeps its row and branch and takes the new preferences.
    assert found[0] == (had, "leadership", "virtual", "morning", world.branch, "waiting")
    assert found[1][1:] == ("technology", "virtual", "morning", None, "waiting")

    for page in ("/", "/demand/mine"):
        assert "Answer the needs survey" not in client.get(page).text
    page = text(client.get("/demand/surveys/answer").text)
    assert "Your answer" in page
    assert "Leadership, Technology" in page
    assert "Take on leadership" in page
    assert "Evenings are hard for me." in page

    # A second answer is refused and saves nothing.
    response = client.post("/demand/surveys/answer", data={**data, "areas": ["outreach"]})
    assert response.status_code == 409
    assert "You have answered this survey already" in response.text
    assert counts(query)[1:] == (1, 2, 2)
    assert survey_id


BAD = {
    "no area": ({"areas": []}, "Choose one to 5 skill areas."),
    "six areas": (
        {
            "areas": [
                "management",
                "outreach",
                "technology",
                "programming",
                "leadership",
                "grant_writing",
            ]
        },
        "Choose one to 5 skill areas.",
    ),
    "unknown area": ({"areas": ["juggling"]}, "Choose skill areas from the list."),
    "no goal": ({"career_goal": ""}, "Choose a career goal."),
    "unknown goal": ({"career_goal": "retire"}, "Choose a career goal."),
    "unknown format": ({"format": "carrier_pigeon"}, "Choose how you would join."),
    "no time": ({"time_of_day": ""}, "Choose a time of day."),
    "long comments": ({"comments": "x" * 1001}, "1000"),
}


@pytest.mark.parametrize("change", list(BAD.values()), ids=list(BAD))
def test_bad_answers_are_refused_and_nothing_is_saved(client, world, app, query, change):
    open_survey(app)
    login(client, "pat@example.org")
    values, message = change
    data = {
        "areas": ["technology"],
        "career_goal": "deepen",
        "format": "in_person",
        "time_of_day": "evening",
        "comments": "",
        **values,
    }
    response = client.post("/demand/surveys/answer", data=data)
    assert response.status_code in (200, 400)
    assert message in response.text
    assert counts(query)[1:] == (0, 0, 0)


@pytest.mark.parametrize("how", ["closed early", "past its closing date"])
def test_a_closed_survey_takes_no_answer(client, world, app, query, how):
    survey_id = open_survey(app)

    def shut():
        item = db.session.get(NeedsSurvey, survey_id)
        if how == "closed early":
            survey.close(item)
        else:
            item.closes_on = today() - dt.timedelta(days=1)
        db.session.commit()

    query(shut)
    login(client, "pat@example.org")
    assert "Answer the needs survey" not in client.get("/").text
    assert "No needs survey is open right now." in client.get("/demand/surveys/answer").text
    data = {"areas": ["technology"], "career_goal": "deepen", "format": "virtual"}
    response = client.post("/demand/surveys/answer", data={**data, "time_of_day": "evening"})
    assert response.status_code == 409
    assert "This survey is closed" in response.text
    assert counts(query)[1:] == (0, 0, 0)
    with app.app_context():  # the service refuses too, whatever page asks
        item = db.session.get(NeedsSurvey, survey_id)
        with pytest.raises(RuleViolation, match="closed"):
            survey.answer(
                item,
                db.session.get(User, world.participant),
                survey.Choices(["technology"], "deepen", "virtual", "evening"),
                today(),
            )


# --- the board: this year against last year -----------------------------------------------------


@pytest.fixture
def two_years(app, world, factory):
    """Last year: 3 answers; this year: 5, two with a comment (one from Bo Boss's staff)."""
    people = [factory.user(f"s{i}@example.org", name=f"Staff {i}") for i in range(5)]
    last_year_survey(
        app,
        [
            (people[0], ["leadership"], "lead", "in_person"),
            (people[1], ["leadership", "technology"], "deepen", "virtual"),
            (people[2], ["outreach"], "deepen", "virtual"),
        ],
    )
    this = open_survey(app)
    answer(app, this, people[0], ["leadership", "grant_writing"], "lead", "virtual")
    answer(app, this, people[1], ["grant_writing"], "advance", "virtual")
    answer(app, this, people[3], ["grant_writing", "technology"], "advance", "on_demand")
    answer(app, this, people[4], ["leadership"], "lead", "in_person", comments="More on budgets")
    answer(app, this, world.participant, ["outreach"], comments="Saturday circles?")

    def at_main():  # Staff 4 works at Main Library, which Bo Boss manages
        db.session.get(User, people[4]).home_branch_id = world.branch
        db.session.commit()

    with app.app_context():
        at_main()
    return people


def test_the_board_compares_this_year_with_last(client, world, two_years):
    login(client, "admin@example.org")
    page = client.get("/demand").text
    year = today().year
    assert f"5 answers in {year}; 3 in {year - 1}." in text(page)
    assert table_rows(page, "Skill areas asked for") == {
        "Skill area": [str(year), str(year - 1), "Change"],
        "Grant writing": ["3", "0", "+3"],
        "Leadership": ["2", "2", "0"],
        "Technology": ["1", "1", "0"],
        "Outreach": ["1", "1", "0"],
    }
    goals = table_rows(page, "Career goals, this year")
    assert goals["Take on leadership"] == ["2", "1", "+1"]
    assert goals["Grow in my current role"] == ["1", "2", "−1"]
    assert goals["Move up: a new role or a promotion"] == ["2", "0", "+2"]
    formats = table_rows(page, "Preferred formats, this year")
    assert formats["Online, at set times"] == ["3", "2", "+1"]
    assert formats["On demand, at my own pace"] == ["1", "0", "+1"]
    assert formats["In person"] == ["1", "1", "0"]
    assert "Staff 4" in page
    assert "More on budgets" in page
    assert "Saturday circles?" in page


@pytest.mark.parametrize(
    ("email", "reads"),
    [
        ("boss@example.org", ["More on budgets"]),  # their own staff's only
        ("far@example.org", []),
        ("lead@example.org", []),
    ],
)
def test_comments_are_for_admins_and_their_own_staffs_managers(
    client, world, two_years, email, reads
):
    login(client, email)
    page = client.get("/demand").text
    assert "Grant writing" in table_rows(page, "Skill areas asked for")  # the counts, yes
    shown = [c for c in ("More on budgets", "Saturday circles?") if c in page]
    assert shown == reads


def test_without_last_years_survey_the_change_is_not_shown(client, world, app, factory):
    answer(app, open_survey(app), world.participant, ["outreach"])
    login(client, "admin@example.org")
    page = client.get("/demand").text
    assert f"no survey in {today().year - 1}" in text(page)
    assert table_rows(page, "Skill areas asked for")["Outreach"] == ["1", "–", "–"]


def test_the_comparison_is_a_fixed_number_of_queries(app, world, factory):
    def compare():
        return survey.comparison(today().year, sa.true())

    this = open_survey(app)
    answer(app, this, world.participant, ["outreach"])
    with app.app_context():
        few_found, few = statements(app, compare)
    for i in range(12):
        answer(app, this, factory.user(), ["outreach", "technology"], comments=f"c{i}")
    with app.app_context():
        found, many = statements(app, compare)
        assert found.answers.this == 13
        assert len(found.comments) == 12
    assert few_found.answers.this == 1
    assert len(few) == len(many) <= 5  # four, and SQLite's BEGIN


# --- the heat map ---------------------------------------------------------------------------


def test_heat_map_cells_hold_demand_against_open_seats(client, app, world, factory, query):
    new_tech = add_course(app, "Tech for new staff", career_stage="new_staff")
    # Published first: publishing invites (and so un-counts) who was waiting for the course.
    world.circle(capacity=2)  # on Grant Writing Basics: 2 open seats
    world.circle(world.co, capacity=3, course_id=new_tech, publish=False)  # a draft: no seats
    interest(app, world.participant, course=new_tech)
    interest(app, world.co, course=new_tech)
    interest(app, world.participant, course=world.course)  # grant writing, every stage
    interest(app, world.co, area="leadership")
    members = [factory.user() for _ in range(3)]
    build_pathway(app, world, members=members)  # emerging managers; next step: grant writing

    with app.app_context():
        found = heatmap.heat_map(utcnow())
        cell = found.cell
        assert cell(CareerStage.new_staff, SkillArea.technology) == heatmap.Cell(2, 0)
        assert cell(CareerStage.new_staff, SkillArea.technology).level == "some"
        assert cell(CareerStage.all, SkillArea.grant_writing) == heatmap.Cell(1, 2)
        assert cell(CareerStage.all, SkillArea.grant_writing).level == "met"
        assert cell(CareerStage.all, SkillArea.leadership) == heatmap.Cell(1, 0)
        assert cell(CareerStage.emerging_managers, SkillArea.grant_writing) == heatmap.Cell(3, 0)
        assert cell(CareerStage.experienced_staff, SkillArea.outreach) == heatmap.Cell()

    login(client, "lead@example.org")
    page = client.get("/demand").text
    rows = table_rows(page, "People wanting a circle against open seats")
    assert rows["Career stage"][:2] == ["Management", "Collection management"]
    areas = rows["Career stage"]
    new_staff = dict(zip(areas, rows["New staff"], strict=True))
    assert new_staff["Technology"] == "2 want 0 seats short 2"
    assert new_staff["Outreach"] == "– none"
    every = dict(zip(areas, rows["Every stage"], strict=True))
    assert every["Grant writing"] == "1 wants 2 seats"
    assert 'class="heat-some"' in page
    assert 'class="heat-met"' in page
    assert '<th scope="row">Emerging managers</th>' in page


def test_heat_map_is_a_fixed_number_of_queries(client, app, world, factory):
    login(client, "admin@example.org")

    def add(n: int) -> None:
        for i in range(n):
            course = add_course(app, f"Course {n}-{i}", career_stage="experienced_staff")
            # Published first: publishing invites (and so un-counts) who was waiting.
            world.circle(factory.user(is_facilitator=True), course_id=course)
            interest(app, factory.user(), course=course)
            interest(app, factory.user(), area="outreach")

    add(1)
    pathway_id, _chis = build_pathway(app, world, members=[world.participant])
    with app.app_context():
        _found, few = statements(app, lambda: heatmap.heat_map(utcnow()))
    _page, few_page = statements(app, lambda: client.get("/demand").text)
    add(8)
    more = [factory.user() for _ in range(4)]
    with app.app_context():
        pathway = db.session.get(Pathway, pathway_id)
        for user_id in more:
            pathways.join(pathway, db.session.get(User, user_id))
        db.session.commit()
    with app.app_context():
        found, many = statements(app, lambda: heatmap.heat_map(utcnow()))
        assert found.cell(CareerStage.experienced_staff, SkillArea.technology) == heatmap.Cell(
            9, 9 * 10
        )
        assert found.cell(CareerStage.all, SkillArea.outreach).demand == 9
        assert found.cell(CareerStage.emerging_managers, SkillArea.grant_writing).demand == 5
    page, many_page = statements(app, lambda: client.get("/demand").text)
    assert "short" not in table_rows(page, "People wanting a circle")["Experienced staff"][4]
    assert len(few) == len(many) <= 6  # five, and SQLite's BEGIN
    assert len(few_page) == len(many_page)


# --- demo data ------------------------------------------------------------------------------


def test_demo_has_last_years_and_this_years_survey(app, demo, query):
    with app.app_context():
        found = survey.comparison(today().year, sa.true())
        assert found.survey.status == "open"
        assert found.last_survey.status == "closed"
        assert (found.answers.this, found.answers.last) == (6, 5)
        areas = {r.code: (r.this, r.last) for r in found.areas}
        assert areas["leadership"] == (3, 0)
        assert areas["grant_writing"] == (2, 1)
        assert len(found.comments) == 3
    before = counts(query)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert counts(query) == before  # loads once
