"""The one request boundary (app/boundary.py): every view commits once when it returns and
rolls back when anything escapes it; a refusal becomes a field error, a flash or a 409."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from wtforms import StringField

from app.auth.permissions import public
from app.boundary import back_to, saving, unit_of_work
from app.extensions import db
from app.forms import BaseForm
from app.models import Branch
from app.rules import RuleViolation

ROOT = Path(__file__).resolve().parent.parent


def test_no_view_commits_or_rolls_back_itself():
    views = [*ROOT.glob("app/*/views.py"), *ROOT.glob("app/*/*_views.py")]
    assert views
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in views
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\.(commit|rollback)\(", line)
    ]
    assert offenders == []


def test_every_endpoint_runs_in_the_unit_of_work(app):
    assert app.view_functions
    unwrapped = [e for e, view in app.view_functions.items() if not view.in_unit_of_work]
    assert unwrapped == []


class NameForm(BaseForm):
    name = StringField()


def _branch(name: str) -> None:
    db.session.add(Branch(name=name, slug=name.lower(), timezone="America/New_York"))
    db.session.flush()


@pytest.fixture
def probe(app):
    # Its tests are marked own_app: routes cannot be added to an app that has served.
    """A few views that change data and then succeed, fail or are refused."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: a 500 page

    def route(path):
        def register(view):
            app.add_url_rule(path, view.__name__, unit_of_work(public(view)), methods=["POST"])
            return view

        return register

    @route("/_probe/ok")
    def ok():
        _branch("Kept")
        return "saved"

    @route("/_probe/crash")
    def crash():
        _branch("Crashed")
        raise RuntimeError("boom")

    @route("/_probe/refused-action")
    def refused_action():
        back_to("/courses/")
        _branch("Refused")
        raise RuleViolation("Not today.")

    @route("/_probe/conflict")
    def conflict():
        _branch("Conflict")
        raise RuleViolation("Someone was faster.", conflict=True)

    @route("/_probe/form")
    def form_page():
        _branch("Before")
        form = NameForm()
        with saving(form) as saved:
            _branch("Inside")
            raise RuleViolation("That name is taken.", "name", conflict=True)
        return f"errors={form.name.errors}", saved.status

    return app.test_client()


def _names(query) -> set[str]:
    return set(query(lambda: db.session.scalars(sa.select(Branch.name)).all()))


@pytest.mark.own_app
def test_a_view_that_returns_is_committed_once(probe, query):
    assert probe.post("/_probe/ok").status_code == 200
    assert _names(query) == {"Kept"}


@pytest.mark.own_app
def test_anything_that_escapes_a_view_rolls_it_back(probe, query):
    assert probe.post("/_probe/crash").status_code == 500
    assert _names(query) == set()


@pytest.mark.own_app
def test_a_refused_action_flashes_and_goes_back(probe, query):
    response = probe.post("/_probe/refused-action")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/"
    assert "Not today." in probe.get("/courses/").text
    assert _names(query) == set()


@pytest.mark.own_app
def test_a_refusal_without_a_way_back_is_a_409_page(probe, query):
    response = probe.post("/_probe/conflict")
    assert response.status_code == 409
    assert "Someone was faster." in response.text
    assert _names(query) == set()


@pytest.mark.own_app
def test_a_refused_form_keeps_its_error_beside_the_field(probe, query):
    response = probe.post("/_probe/form")
    assert response.status_code == 409
    assert "That name is taken." in response.text
    # Only the service call inside saving() is undone; the view's own answer is committed.
    assert _names(query) == {"Before"}
