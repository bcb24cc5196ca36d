"""Who sees personal data (issue 14), page by page: the person, the managers of their home
branch, a manager of another branch, a facilitator and an admin. One table: every page and
every viewer is a test of its own, and each expects one precise answer (shown, 404, 403, or
the page without the person: counts only).

Pat works at Main (Bo Boss manages it); Far manages Kendall; Lena Lead is a facilitator (she
leads Pat's circle, which gives her no right to Pat's record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import SelfPacedCompletion, User
from tests.conftest import csrf_token, login
from tests.factories import enroll
from tests.test_demand import board_rows, interest
from tests.test_pathways import build_pathway, complete

VIEWERS = {
    "person": "pat@example.org",
    "home manager": "boss@example.org",
    "other manager": "far@example.org",
    "facilitator": "lead@example.org",
    "admin": "admin@example.org",
}
SHOWN, COUNTS = "shown", "counts only"  # counts only: the page, without the person


@dataclass
class Pat:
    id: int
    pathway: int
    place: int  # a completed place: its certificate
    completion: int  # a self-paced course she reported
    interest: int


@pytest.fixture
def pat(app, world) -> Pat:
    with app.app_context():
        db.session.get(User, world.participant).home_branch_id = world.branch
        db.session.commit()
    place = enroll(app, world.circle(), "Pat", "pat@example.org")
    complete(app, place)
    pathway_id, _chis = build_pathway(app, world, members=[world.participant])
    with app.app_context():
        row = SelfPacedCompletion(
            user_id=world.participant,
            course_id=world.spanish,
            completed_on=dt.date(2026, 10, 1),
            evidence="https://badges.example.org/pat-spanish",
        )
        db.session.add(row)
        db.session.commit()
        completion = row.id
    asked = interest(app, world.participant, course=world.course, fmt="virtual")
    return Pat(world.participant, pathway_id, place, completion, asked)


def _get(path: str) -> Callable[[FlaskClient, Pat], object]:
    return lambda client, p: client.get(path.format(p=p))


def _post(path: str, page: str, **data) -> Callable[[FlaskClient, Pat], object]:
    def run(client: FlaskClient, p: Pat):
        token = csrf_token(client.get("/pathways/").text)  # any page: the session's token
        return client.post(path.format(p=p), data={"csrf_token": token, **data})

    return run


def _contains(marker: str) -> Callable[[object], bool]:
    return lambda response: marker in response.get_data(as_text=True)


def _names_pat(response) -> bool:
    """The demand board's "who asked" column names Pat."""
    html = response.get_data(as_text=True)
    if "<tbody>" not in html:
        return False
    rows = board_rows(html)
    return any(len(row) > 4 and "Pat" in row[4].split(", ") for row in rows)


def _posted(response) -> bool:
    return response.status_code == 302


# page, how to ask, what shows the person's data, and each viewer's answer in VIEWERS' order.
MATRIX = [
    (
        "learning record",
        _get("/people/{p.id}/record"),
        _contains("Grant Writing Basics"),
        [SHOWN, SHOWN, 404, 404, SHOWN],
    ),
    (
        "learning record CSV",
        _get("/people/{p.id}/record.csv"),
        _contains("Grant Writing Basics"),
        [SHOWN, SHOWN, 404, 404, SHOWN],
    ),
    (
        "certificate (the record's print view of a completion)",
        _get("/certificates/{p.place}"),
        _contains('<p class="certificate-name">Pat</p>'),
        [SHOWN, SHOWN, 404, 404, SHOWN],
    ),
    (
        "a person's pathway progress",
        _get("/pathways/people/{p.id}"),
        _contains("Grant-ready"),
        [SHOWN, SHOWN, 404, 404, SHOWN],
    ),
    (
        "pathway progress by person",
        _get("/pathways/{p.pathway}/progress"),
        _contains(">Pat</a></td>"),
        [403, SHOWN, COUNTS, 403, SHOWN],
    ),
    (
        "self-paced completion review page",
        _get("/pathways/self-paced/{p.completion}"),
        _contains("https://badges.example.org/pat-spanish"),
        [SHOWN, SHOWN, 404, 404, SHOWN],
    ),
    (
        "self-paced completion confirmed",
        _post("/pathways/self-paced/{p.completion}", "", decision="confirm"),
        _posted,
        [403, SHOWN, 404, 404, SHOWN],
    ),
    (
        "self-paced confirmations queue",
        _get("/pathways/confirmations"),
        _contains("Pat: Informática básica"),
        [403, SHOWN, COUNTS, 403, SHOWN],
    ),
    (
        "demand board names",
        _get("/demand"),
        _names_pat,
        [403, SHOWN, COUNTS, COUNTS, SHOWN],
    ),
    (
        "interest: mine",
        _get("/demand/mine"),
        _contains("Grant Writing Basics"),
        [SHOWN, COUNTS, COUNTS, COUNTS, COUNTS],
    ),
    (
        "interest withdrawn",
        _post("/demand/interests/{p.interest}/withdraw", ""),
        _posted,
        [SHOWN, 404, 404, 404, 404],
    ),
]

CASES = [
    pytest.param(ask, shows, viewer, answer, id=f"{page}-{viewer}")
    for page, ask, shows, answers in MATRIX
    for viewer, answer in zip(VIEWERS, answers, strict=True)
]


@pytest.mark.parametrize(("ask", "shows", "viewer", "answer"), CASES)
def test_who_sees_personal_data(client, pat, ask, shows, viewer, answer):
    login(client, VIEWERS[viewer])
    response = ask(client, pat)
    if answer == SHOWN:
        assert response.status_code in (200, 302)
        assert shows(response)
    elif answer == COUNTS:
        assert response.status_code == 200
        assert not shows(response)
    else:
        assert response.status_code == answer
        assert not shows(response)


def test_signed_out_visitors_are_sent_to_sign_in_for_every_personal_page(client, pat):
    for page, ask, _shows, _answers in MATRIX:
        if page in ("self-paced completion confirmed", "interest withdrawn"):
            continue  # POSTs: their CSRF token needs a session page first
        response = ask(client, pat)
        assert response.status_code == 302, page
        assert response.headers["Location"].startswith("/login?next="), page


def test_an_admin_sees_people_without_a_home_branch_and_no_manager_does(app, client, pat):
    with app.app_context():
        db.session.get(User, pat.id).home_branch_id = None
        db.session.commit()
    login(client, "boss@example.org")
    assert client.get(f"/people/{pat.id}/record").status_code == 404
    assert client.get(f"/pathways/people/{pat.id}").status_code == 404
    assert "Pat: Informática básica" not in client.get("/pathways/confirmations").text
    client.post("/logout")
    login(client, "admin@example.org")
    assert client.get(f"/people/{pat.id}/record").status_code == 200
    assert "Pat: Informática básica" in client.get("/pathways/confirmations").text
