"""Access control: deny by default, signed-out visitors are asked to sign in (and sent
back), and nobody signed in sees another branch's pages."""

from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from app.auth.permissions import is_public_endpoint
from app.extensions import db
from app.models import Course
from app.timeutil import utcnow
from tests.conftest import login

# Adding a public page means adding it here too, on purpose.
PUBLIC_ENDPOINTS = {
    "static",
    "main.index",
    "main.healthz",
    "main.readyz",
    "auth.login",
    "auth.forgot_password",
    "auth.choose_language",  # the language switch: a visitor's choice is kept in their session
    "auth.reset_password",
    "catalog.index",
    "catalog.course",
    "circles.index",
    "circles.circle",
    "participation.join",
    "participation.signup_sent",
    "participation.confirm_signup",
    "participation.lost_link",
    "participation.manage",
    "participation.manage_withdraw",
    "calendar.circle_ics",
    "calendar.meeting_ics",
    "calendar.secret_feed",
    "records.verify",  # a certificate's verification link, for whoever is shown it
    "digest.subscribe",  # visitors subscribe to public circles (double opt-in)
    "digest.confirm",
    "digest.unsubscribe",  # RFC 8058 one-click, from the email, without signing in
    "digest.atom",
    "digest.ical",
    "evaluation.guest_survey",  # a guest's signed survey link, from the invitation email
    "participation.offer",  # a waitlisted place's overflow seat offer, from its email
    "embeds.circles",  # in a frame on a library's website: public circles only, no sign-in
    "embeds.circle",
    "auth.sso.login",  # single sign-on: to the library's identity provider and back
    "auth.sso.callback",
    # The read API (app/api/): what visitors see on the site, as JSON, and its document.
    "api.courses",
    "api.course",
    "api.circles",
    "api.circle",
    "api.branches",
    "api.branch",
    "api.rooms",
    "api.pathways",
    "api.pathway",
    "api.openapi",
    "api.docs",
}


# The write API (app/api/write_views.py): a personal API token, not the sign-in; without one,
# 401 JSON.
TOKEN_ENDPOINTS = {
    "api.join",
    "api.withdraw",
    "api.book",
    "api.take_attendance",
    "api.record_outcome",
}


# Any staff member may book a room at any branch (the manager sees and can move it).
OPEN_TO_ALL_STAFF = {"bookings.new_booking"}


def _routes(app):
    """(endpoint, method, path) for every route, with 1 for int arguments and "x" otherwise."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            values = {
                name: 1 if isinstance(converter, IntegerConverter) else "x"
                for name, converter in rule._converters.items()
            }
            path = url_for(rule.endpoint, **values, _external=False)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, path


def test_public_endpoints_are_exactly_the_listed_ones(app):
    with app.test_request_context():
        marked = {
            rule.endpoint for rule in app.url_map.iter_rules() if is_public_endpoint(rule.endpoint)
        }
    assert marked == PUBLIC_ENDPOINTS


def test_every_other_endpoint_refuses_anonymous_users(app):
    client = app.test_client()
    checked = 0
    for endpoint, method, path in _routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(path, method=method)
        if endpoint in TOKEN_ENDPOINTS:
            assert response.status_code == 401, (endpoint, method, path, response.status_code)
            assert response.json["error"]["code"] == "unauthorized", (endpoint, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), (endpoint, path)
            continue
        assert response.status_code == 302, (endpoint, method, path, response.status_code)
        assert response.headers["Location"].startswith("/login?next="), (endpoint, path)
        checked += 1
    assert checked >= 15  # the walk really walked


def test_a_link_to_a_staff_circle_signs_in_first_then_lands_on_it(client, world):
    """Public pages that may show more once signed in (a staff-only circle, its join page and
    schedule) send a signed-out visitor to sign in and back, not to a 404. A circle that does
    not exist stays 404, and the way back is checked by safe_next."""
    circle_id = world.circle(audience="staff", title="Staff only")
    for path in (
        f"/circles/{circle_id}",
        f"/circles/{circle_id}/join",
        f"/circles/{circle_id}/calendar.ics",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/login?next=" + path.replace("/", "%2F")
    page = client.get(f"/login?next=%2Fcircles%2F{circle_id}").text
    assert "Please sign in to see this page." in page
    assert client.get(f"/circles/{circle_id + 100}").status_code == 404
    response = login(client, "pat@example.org", query_string={"next": f"/circles/{circle_id}"})
    assert response.headers["Location"] == f"/circles/{circle_id}"
    assert "Staff only" in client.get(f"/circles/{circle_id}").text


def test_the_way_back_after_sign_in_stays_on_the_site(client, world):
    world.circle(audience="staff")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = login(client, "pat@example.org", query_string={"next": evil})
        assert response.headers["Location"] == "/", evil
        client.post("/logout")


def test_a_retired_course_asks_visitors_to_sign_in_and_stays_hidden_from_participants(
    client, world, app
):
    with app.app_context():
        db.session.get(Course, world.course).retired_at = utcnow()
        db.session.commit()
    response = client.get(f"/courses/{world.course}")
    assert response.headers["Location"] == f"/login?next=%2Fcourses%2F{world.course}"
    login(client, "pat@example.org")
    assert client.get(f"/courses/{world.course}").status_code == 404
    client.post("/logout")
    login(client, "lead@example.org")
    assert client.get(f"/courses/{world.course}").status_code == 200


def test_signed_in_people_get_404_for_a_draft_they_may_not_see(client, world):
    """Sign-in would not help them: as if it did not exist (no redirect loop)."""
    draft = world.circle(publish=False)
    login(client, "pat@example.org")
    for path in (f"/circles/{draft}", f"/circles/{draft}/join", f"/circles/{draft}/calendar.ics"):
        assert client.get(path).status_code == 404, path


def _manager_setup(factory):
    mine = factory.branch("Mine")
    theirs = factory.branch("Theirs")
    my_room = factory.room(mine)
    their_room = factory.room(theirs)
    factory.user("boss@example.org", manages=[mine])
    return mine, theirs, my_room, their_room


def test_branch_manager_gets_404_on_every_page_of_another_branch(app, factory, client):
    mine, theirs, my_room, their_room = _manager_setup(factory)
    login(client, "boss@example.org")
    object_routes = [
        (endpoint, method, rule)
        for endpoint, method, rule in _routes(app)
        if ("/branches/1" in rule or "/rooms/1" in rule)
        and endpoint not in OPEN_TO_ALL_STAFF
        and not is_public_endpoint(endpoint)  # the read API's public fields of any branch
    ]
    assert len(object_routes) >= 8
    for endpoint, method, path in object_routes:
        foreign = path.replace("/branches/1", f"/branches/{theirs}").replace(
            "/rooms/1", f"/rooms/{their_room}"
        )
        response = client.open(foreign, method=method)
        assert response.status_code == 404, (endpoint, method, foreign)
    # The control: the same pages of the manager's own branch open.
    assert client.get(f"/branches/{mine}").status_code == 200
    assert client.get(f"/rooms/{my_room}/edit").status_code == 200


def test_branch_list_shows_only_managed_branches(factory, client):
    _manager_setup(factory)
    login(client, "boss@example.org")
    page = client.get("/branches/").text
    assert "Mine" in page
    assert "Theirs" not in page
    assert "New branch" not in page


@pytest.mark.parametrize(
    "path",
    ["/admin/users", "/admin/users/new", "/admin/users/1", "/branches/new", "/branches/"],
)
def test_participant_is_refused_staff_pages(factory, client, path):
    factory.user("pat@example.org")
    login(client, "pat@example.org")
    assert client.get(path).status_code == 403
    assert client.post(path).status_code in {403, 405}


def test_manager_cannot_reach_user_administration(factory, client):
    _manager_setup(factory)
    login(client, "boss@example.org")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data={"name": "x"}).status_code == 403
