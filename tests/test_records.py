"""Learning records, certificates of completion and the impact report (issue 14): what a
record holds and adds up, who may see it, its CSV, certificate links (valid, tampered with,
revoked) and the before/after figures of the impact report."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from html import unescape
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import Circle, Course, Credential, Enrollment, SurveyAnswer, User
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import INJECTION_TITLE, Builder, at
from tests.test_reports import count_queries

HOUR = 3600


def figures(html: str) -> dict[str, str]:
    return {
        k: unescape(v) for k, v in re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd></div>", html)
    }


def table_rows(html: str) -> dict[str, list[str]]:
    """Body rows of the page's tables: the row header, then the cells as shown."""
    rows = {}
    for header, cells in re.findall(r'<tr>\s*<th scope="row">(.*?)</th>(.*?)</tr>', html, re.S):
        rows[" ".join(unescape(re.sub(r"<[^>]+>", " ", header)).split())] = [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
    return rows


@dataclass
class RecordScene:
    pat: int
    ann: int
    health: int  # a completed place of Pat's at Main
    health_circle: int
    grants: int  # Pat's place (by email only) at Main, not completed


def _place(circle: Circle, email: str, status: str, **fields) -> Enrollment:
    place = Enrollment(
        circle=circle, name=fields.pop("name", email), email=email, status=status, **fields
    )
    db.session.add(place)
    return place


def build_record_scene(app, world, factory) -> RecordScene:
    """Pat: a completed circle at Main (two of three held meetings attended, 90 minutes each;
    a cancelled and a future meeting do not count), a circle at Main joined by email only
    (both 60-minute meetings), a place withdrawn at Kendall and one in a draft. Confirmed
    outcomes of hers and of her circle, and some that must not show."""
    ann = factory.user("ann@example.org", name="Ann Other")
    now = utcnow()
    ago = lambda days: now - dt.timedelta(days=days)  # noqa: E731
    with app.app_context():
        make = Builder("rec")
        course = db.session.get(Course, world.course)
        pat = db.session.get(User, world.participant)
        health, meetings, _ = make.circle(
            world.branch,
            course,
            status="completed",
            meetings=[
                (ago(30), 90, "scheduled"),
                (ago(23), 90, "scheduled"),
                (ago(16), 90, "scheduled"),
                (ago(9), 90, "cancelled"),
                (now + dt.timedelta(days=5), 90, "scheduled"),
            ],
        )
        health.title = "Health information circle"
        mine = _place(
            health, pat.email, "completed", user_id=pat.id, name="Pat", completed_at=ago(15)
        )
        others = _place(health, "ann@example.org", "completed", user_id=ann, completed_at=ago(15))
        for meeting, mark in zip(
            meetings, ["present", "absent", "present", "present"], strict=False
        ):
            make.mark(meeting, mine, mark)
        make.mark(meetings[1], others, "present")
        grants, grant_meetings, _ = make.circle(
            world.branch, course, meetings=[(ago(40), 60, "scheduled"), (ago(33), 60, "scheduled")]
        )
        grants.title = "Grant writing circle"
        by_email = _place(grants, pat.email, "enrolled", name="Pat")
        for meeting in grant_meetings:
            make.mark(meeting, by_email, "present")
        kendall, kendall_meetings, _ = make.circle(
            world.other_branch, course, meetings=[(ago(5), 60, "scheduled")]
        )
        kendall.title = "Withdrawn circle"
        gone = _place(kendall, pat.email, "withdrawn", user_id=pat.id)
        make.mark(kendall_meetings[0], gone, "present")
        draft, _, _ = make.circle(world.branch, course, status="draft")
        draft.title = "Draft circle"
        _place(draft, pat.email, "enrolled", user_id=pat.id)
        chis = Credential(
            name="NNLM CHIS Level 1", kind="credential", awarding_body="MLA", ce_hours=Decimal(12)
        )
        db.session.add(chis)
        make.outcome(
            health,
            "credential",
            "chis level 1",
            "2025-03-01",
            enrollment=mine,
            credential=chis,
            ce_hours=Decimal(12),
        )
        make.outcome(
            health,
            "certificate",
            INJECTION_TITLE,
            "2025-03-02",
            enrollment=mine,
            ce_hours=Decimal("3.5"),
        )
        make.outcome(health, "promotion", "Promoted to supervisor", "2025-04-01", enrollment=mine)
        make.outcome(
            grants,
            "grant",
            "Teen lab",
            "2025-05-01",
            enrollment=by_email,
            amount_cents=250_000,
            funder="Knight Foundation",
        )
        make.outcome(
            grants, "grant", "Whole circle grant", "2025-05-02", amount_cents=100_000, funder="City"
        )
        make.outcome(
            health,
            "credential",
            "Not confirmed yet",
            "2025-03-03",
            enrollment=mine,
            status="reported",
        )
        make.outcome(health, "credential", "Ann's credential", "2025-03-04", enrollment=others)
        make.outcome(kendall, "credential", "From a withdrawn place", "2025-03-05", enrollment=gone)
        db.session.commit()
        return RecordScene(pat.id, ann, mine.id, health.id, by_email.id)


@pytest.fixture
def record_scene(app, world, factory) -> RecordScene:
    return build_record_scene(app, world, factory)


def test_the_record_lists_circles_hours_outcomes_and_totals(client, record_scene):
    login(client, "pat@example.org")
    page = client.get("/me/record")
    assert page.status_code == 200
    html = page.text
    assert figures(html) == {
        "Hours of learning": "5",  # 2 × 90 min + 2 × 60 min, present at held meetings only
        "Circles completed": "1",
        "Credentials and certificates": "2",
        "CE hours": "15.5",
        "Grant dollars": "$3,500.00",  # hers and her circle's
    }
    rows = table_rows(html)
    health = rows["Health information circle Grant Writing Basics"]
    assert health[1:3] == ["2 of 3", "3"]
    assert health[3].startswith("Completed ")
    assert rows["Grant writing circle Grant Writing Basics"][1:4] == [
        "2 of 2",
        "2",
        "Not completed",
    ]
    text = unescape(html)
    for shown in (
        "NNLM CHIS Level 1",
        INJECTION_TITLE,
        "Promoted to supervisor",
        "Teen lab",
        "Knight Foundation",
        "won by the whole circle",
    ):
        assert shown in text, shown
    for hidden in (
        "Not confirmed yet",
        "Ann's credential",
        "Withdrawn circle",
        "Draft circle",
        "From a withdrawn place",
    ):
        assert hidden not in text, hidden


def test_the_record_downloads_as_csv_with_formulas_neutralised(client, record_scene):
    login(client, "pat@example.org")
    response = client.get("/me/record.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Type,Title,Course or awarding body,Circle,Date,Completed")
    assert any(
        line.startswith("Circle,Health information circle,Grant Writing Basics,")
        and ",yes,2,3,3.0," in line
        for line in lines
    )
    assert any(
        line.startswith("Credential,NNLM CHIS Level 1,MLA,") and ",12.00," in line for line in lines
    )
    assert any(line.startswith("Certificate,\"'=HYPERLINK(") for line in lines)
    assert lines[-1] == "Total,,,,,1,4,5,5.0,15.50,3500.00,,,,,"  # every row as wide as the header


PERSON_PAGES = ["/people/{pat}/record", "/people/{pat}/record.csv"]


def _home_branch(app, person_id: int, branch_id: int | None) -> None:
    with app.app_context():
        db.session.get(User, person_id).home_branch_id = branch_id
        db.session.commit()


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("pat@example.org", True),  # herself
        ("boss@example.org", True),  # manages Main, her home branch
        ("admin@example.org", True),
        ("far@example.org", False),  # manages Kendall: not her home branch
        ("lead@example.org", False),  # a facilitator is not her manager
        ("ann@example.org", False),  # another participant
    ],
)
def test_who_may_see_a_persons_record(app, client, world, record_scene, email, allowed):
    _home_branch(app, record_scene.pat, world.branch)
    login(client, email)
    for path in PERSON_PAGES:
        response = client.get(path.format(pat=record_scene.pat))
        assert response.status_code == (200 if allowed else 404), (email, path)
    certificate = client.get(f"/certificates/{record_scene.health}")
    assert certificate.status_code == (200 if allowed and email != "far@example.org" else 404)


def test_a_persons_managers_are_those_of_her_home_branch_not_where_she_takes_part(
    app, client, world, record_scene
):
    """Pat takes part at Main: without a home branch Bo (Main) is not her manager. With
    Kendall as her home branch, Far (Kendall) sees her whole record, certificates of circles
    at other branches included, and Bo does not."""
    login(client, "boss@example.org")
    assert client.get(f"/people/{record_scene.pat}/record").status_code == 404
    client.post("/logout")
    _home_branch(app, record_scene.pat, world.other_branch)
    login(client, "far@example.org")
    assert "Health information circle" in client.get(f"/people/{record_scene.pat}/record").text
    assert client.get(f"/certificates/{record_scene.health}").status_code == 200
    client.post("/logout")
    login(client, "boss@example.org")
    assert client.get(f"/people/{record_scene.pat}/record").status_code == 404
    assert client.get(f"/people/{record_scene.pat}/record.csv").status_code == 404


def test_a_record_page_of_nobody_is_404_and_signed_out_visitors_sign_in(client, record_scene):
    assert client.get("/me/record").headers["Location"].startswith("/login?next=")
    assert client.get(f"/people/{record_scene.pat}/record").status_code == 302
    login(client, "admin@example.org")
    assert client.get("/people/99999/record").status_code == 404
    assert "Learning record: Pat" in client.get(f"/people/{record_scene.pat}/record").text


def test_only_a_completed_place_has_a_certificate(client, record_scene):
    login(client, "pat@example.org")
    assert client.get(f"/certificates/{record_scene.grants}").status_code == 404
    assert client.get("/certificates/99999").status_code == 404


def _verify_path(client, enrollment_id: int) -> str:
    page = client.get(f"/certificates/{enrollment_id}")
    assert page.status_code == 200
    url = unescape(
        re.search(r'<a href="(http[^"]+/certificates/verify/[^"]+)"', page.text).group(1)
    )
    assert url.startswith("http://circles.test/")  # from BASE_URL (SERVER_NAME in tests)
    return urlsplit(url).path


def test_a_certificate_link_verifies_without_signing_in_and_shows_no_email(client, record_scene):
    login(client, "pat@example.org")
    path = _verify_path(client, record_scene.health)
    client.post("/logout")
    page = client.get(path)
    assert page.status_code == 200
    assert "This certificate of completion is valid." in page.text
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page.text))
    assert facts["Name"] == "Pat"
    assert facts["Circle"] == "Health information circle"
    assert facts["Hours of learning"] == "3"
    assert "@example.org" not in page.text


def test_a_tampered_or_foreign_certificate_link_says_it_cannot_be_verified(
    app, client, record_scene
):
    login(client, "pat@example.org")
    path = _verify_path(client, record_scene.health)
    token = path.rsplit("/", 1)[1]
    payload, _, signature = token.partition(".")
    forged_payload = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    from itsdangerous import URLSafeSerializer

    with app.app_context():  # signed with the app's key but another salt: not a certificate
        other_salt = URLSafeSerializer(app.config["SECRET_KEY"], salt="password-reset").dumps(
            [record_scene.health, "2025-01-01T00:00:00+00:00"]
        )
    for bad in (f"{forged_payload}.{signature}", token[:-3], "x", other_salt):
        page = client.get(f"/certificates/verify/{bad}")
        assert page.status_code == 400, bad
        assert "This certificate cannot be verified" in page.text
        assert "Pat" not in page.text.split("<main", 1)[1]  # the navigation has "Pathways"


def test_undoing_the_completion_revokes_the_certificate_and_a_new_one_differs(
    app, client, record_scene
):
    login(client, "pat@example.org")
    old = _verify_path(client, record_scene.health)
    with app.app_context():
        place = db.session.get(Enrollment, record_scene.health)
        place.status, place.completed_at = "enrolled", None
        db.session.commit()
    page = client.get(old)
    assert page.status_code == 200
    assert "revoked and is no longer valid" in page.text
    assert "Pat" not in page.text.split("<main", 1)[1].split("</main>")[0].replace(
        "Certificate", ""
    )
    with app.app_context():  # completed again later: a new certificate, the old link stays dead
        place = db.session.get(Enrollment, record_scene.health)
        place.status, place.completed_at = "completed", utcnow()
        db.session.commit()
    new = _verify_path(client, record_scene.health)
    assert new != old
    assert "revoked" in client.get(old).text
    assert "is valid" in client.get(new).text


def test_the_record_takes_as_many_queries_for_20_circles_as_for_2(app, factory, world, client):
    build_record_scene(app, world, factory)
    login(client, "pat@example.org")
    few, page = count_queries(app, client, "/me/record")
    assert figures(page)["Circles completed"] == "1"
    with app.app_context():
        make = Builder("more")
        course = db.session.get(Course, world.course)
        for i in range(18):
            circle, meetings, _ = make.circle(
                world.branch,
                course,
                meetings=[(utcnow() - dt.timedelta(days=60 + i), 60, "scheduled")],
            )
            place = _place(
                circle,
                "pat@example.org",
                "completed",
                user_id=world.participant,
                completed_at=utcnow(),
            )
            make.mark(meetings[0], place, "present")
            make.outcome(circle, "certificate", f"Certificate {i}", "2025-01-01", enrollment=place)
        db.session.commit()
    many, page = count_queries(app, client, "/me/record")
    assert figures(page)["Circles completed"] == "19"
    assert few == many


# --- the impact report -------------------------------------------------------------------------


def build_impact_scene(app, world) -> None:
    """For 2025-01-01 .. 2025-06-30 (181 days; before it 2024-07-04 .. 2024-12-31): at Main,
    two CHIS credentials and a certificate in the period, one CHIS before it and one long
    before; a $1,000 grant in it and a $400 one before; two completions in it, one before;
    two people present for 90 minutes in it, one for 60 before; two survey answers in it (one
    goal met), one before (goal met). At Kendall, one credential
    and a $5,000 grant in the period (only an admin's "all branches" counts them)."""
    with app.app_context():
        make = Builder("imp")
        course = db.session.get(Course, world.course)
        main, meetings, places = make.circle(
            world.branch,
            course,
            meetings=[
                (at("2025-04-01T15:00:00"), 90, "scheduled"),
                (at("2024-09-01T15:00:00"), 60, "scheduled"),
                (at("2025-04-08T15:00:00"), 90, "cancelled"),
            ],
            places=["completed", "completed", "completed"],
        )
        for place, when in zip(
            places,
            ["2025-05-05T15:00:00", "2025-06-30T20:00:00", "2024-12-01T15:00:00"],
            strict=True,
        ):
            place.completed_at = at(when)
        make.mark(meetings[0], places[0], "present")
        make.mark(meetings[0], places[1], "present")
        make.mark(meetings[0], places[2], "absent")
        make.mark(meetings[1], places[2], "present")
        make.mark(meetings[2], places[0], "present")  # cancelled: not counted
        for place, met, when in zip(
            places,
            [True, False, True],
            ["2025-05-06T15:00:00", "2025-06-30T20:00:00", "2024-12-02T15:00:00"],
            strict=True,
        ):
            db.session.add(
                SurveyAnswer(
                    enrollment=place,
                    circle=main,
                    goal_met=met,
                    recommend=True,
                    course_rating=4,
                    circle_rating=5,
                    created_at=at(when),
                )
            )
        for day in ("2025-03-01", "2025-06-30"):
            make.outcome(main, "credential", "NNLM CHIS Level 1", day, ce_hours=Decimal(12))
        make.outcome(main, "certificate", "Coursera certificate", "2025-02-01")
        make.outcome(main, "credential", "NNLM CHIS Level 1", "2024-10-01", ce_hours=Decimal(12))
        make.outcome(main, "credential", "NNLM CHIS Level 1", "2024-01-01", ce_hours=Decimal(12))
        make.outcome(main, "credential", "Reported only", "2025-03-01", status="reported")
        make.outcome(main, "grant", "Teen lab", "2025-02-01", amount_cents=100_000)
        make.outcome(main, "grant", "Old grant", "2024-08-01", amount_cents=40_000)
        kendall, _, _ = make.circle(world.other_branch, course)
        make.outcome(kendall, "credential", "Kendall credential", "2025-03-01")
        make.outcome(kendall, "grant", "Kendall grant", "2025-03-01", amount_cents=500_000)
        db.session.commit()


PERIOD = "from=2025-01-01&to=2025-06-30"
BEFORE, AFTER = "2024-07-04 – 2024-12-31", "2025-01-01 – 2025-06-30"


def test_the_impact_report_compares_the_period_with_the_one_before(app, client, world):
    build_impact_scene(app, world)
    login(client, "boss@example.org")  # manages Main only
    page = client.get(f"/reports/impact?{PERIOD}")
    assert page.status_code == 200
    rows = table_rows(page.text)
    # credentials, CE hours, completions, hours, grant dollars, goal met
    assert rows[BEFORE] == ["1", "12", "1", "1", "$400.00", "100.0%"]
    assert rows[AFTER] == ["3", "24", "2", "3", "$1,000.00", "50.0%"]
    assert rows["NNLM CHIS Level 1"] == ["Credential", "1", "2"]
    assert rows["Coursera certificate"] == ["Certificate", "0", "1"]
    assert "Kendall credential" not in page.text
    assert "Credentials earned, previous period and this one" in page.text  # the chart
    client.post("/logout")
    login(client, "admin@example.org")
    rows = table_rows(client.get(f"/reports/impact?{PERIOD}").text)
    assert rows[AFTER] == ["4", "24", "2", "3", "$6,000.00", "50.0%"]
    rows = table_rows(client.get(f"/reports/impact?{PERIOD}&branch={world.other_branch}").text)
    assert rows[AFTER] == ["1", "0", "0", "0", "$5,000.00", "n/a"]


def test_the_impact_report_is_for_managers_of_the_branch_and_admins(app, client, world):
    build_impact_scene(app, world)
    login(client, "boss@example.org")
    assert client.get(f"/reports/impact?{PERIOD}&branch={world.other_branch}").status_code == 404
    client.post("/logout")
    login(client, "pat@example.org")
    assert client.get("/reports/impact").status_code == 403


def test_the_impact_report_defaults_to_the_last_twelve_months(client, world):
    login(client, "admin@example.org")
    page = client.get("/reports/impact")
    assert page.status_code == 200
    today = dt.date.today()
    assert (
        f'value="{today.isoformat()}"' in page.text
        or f'value="{(today - dt.timedelta(days=1)).isoformat()}"' in page.text
    )
    assert (
        "compared with the 365 days before" in page.text
        or "compared with the 366 days before" in page.text
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2025-13-01", "is not a date: use YYYY-MM-DD."),
        ("from=2025-06-30&to=2025-01-01", "The period must start on or before the day it ends."),
        ("from=1999-01-01", "Enter a date between 2000-01-01 and 2100-12-31."),
        ("to=yesterday", "is not a date"),
    ],
)
def test_bad_dates_are_refused_with_a_clear_message(client, world, query, message):
    login(client, "admin@example.org")
    page = client.get(f"/reports/impact?{query}")
    assert page.status_code == 400
    assert message in unescape(page.text)


def test_my_learning_record_is_linked_from_the_account_menu(client, world):
    login(client, "pat@example.org")
    assert 'href="/me/record"' in client.get("/").text
