"""Personal API tokens (app/api/tokens.py): made on the account page with only the SHA-256 of
the secret kept, scopes offered and checked, revoking (by the person or an admin), expiry and
deactivation; Bearer only (a browser session alone is refused, no cookie is set); last use
written once a minute; the limit per token answers 429. The endpoints themselves are in
tests/test_api_write.py, whose helpers these tests use."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, Enrollment, User
from app.timeutil import utcnow
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.test_api_write import assert_error, booking_body, bookings_in, call, make_token, slot

SECRET = re.compile(r'id="new-token" value="(lc_[A-Za-z0-9_-]{43})"')


def login_with(client, email: str, csrf: str):
    return client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})


# --- the tokens page -------------------------------------------------------------------------


def test_a_token_made_on_the_page_is_shown_once_and_only_its_hash_is_kept(client, world, app):
    login(client, "boss@example.org")
    assert "/account/tokens" in client.get("/account").text
    page = client.post(
        "/account/tokens",
        data={"name": "Room script", "scopes": ["bookings"], "expires_in_days": "30"},
    )
    assert page.status_code == 200
    assert "you will not see it again" in page.text
    assert "no-store" in page.headers["Cache-Control"]  # the secret is kept by no cache
    secret = SECRET.search(page.text).group(1)
    with app.app_context():
        token = db.session.scalar(sa.select(ApiToken))
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.prefix == secret[:10]
        assert token.scopes == ["bookings"]
        assert dt.timedelta(days=29) < token.expires_at - utcnow() <= dt.timedelta(days=30)
        row = db.session.execute(sa.select(ApiToken.__table__)).one()
        assert all(secret not in str(value) for value in row)  # the secret is nowhere
    again = client.get("/account/tokens")
    assert "Room script" in again.text
    assert secret[:10] in again.text
    assert secret not in again.text  # never shown again
    response = call(client, "/api/v1/bookings", secret, booking_body(world.room))
    assert response.status_code == 201, response.text


def test_a_person_is_offered_only_the_scopes_they_could_use(client, world, app):
    login(client, "pat@example.org")  # a participant: joining only
    page = client.get("/account/tokens").text
    assert 'value="participation"' in page
    assert 'value="bookings"' not in page
    refused = client.post(
        "/account/tokens", data={"name": "x", "scopes": ["bookings"], "expires_in_days": "30"}
    )
    assert "lc_" not in refused.text
    too_long = client.post(
        "/account/tokens",
        data={"name": "x", "scopes": ["participation"], "expires_in_days": "366"},
    )
    assert "From 1 to 365 days." in too_long.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_revoking_asks_first_then_the_token_stops_working(client, world, app):
    secret = make_token(app, world.manager, "bookings")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    login(client, "boss@example.org")
    confirm = client.get(f"/account/tokens/{token_id}/revoke")
    assert "Tools that use it stop working at once" in confirm.text
    assert call(client, "/api/v1/bookings", secret, booking_body(world.room)).status_code == 201
    client.post(f"/account/tokens/{token_id}/revoke")
    response = call(client, "/api/v1/bookings", secret, booking_body(world.room, title="Later"))
    assert_error(response, 401, "unauthorized", "revoked")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Revoked" in client.get("/account/tokens").text


def test_someone_elses_token_cannot_be_revoked(client, world, app):
    make_token(app, world.manager, "bookings")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    login(client, "lead@example.org")
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("why", ["none", "unknown", "expired", "deactivated", "not bearer"])
def test_no_working_token_is_a_401_with_www_authenticate(client, world, app, why):
    secret = make_token(app, world.manager, "bookings")
    with app.app_context():
        if why == "expired":
            db.session.execute(
                sa.update(ApiToken).values(expires_at=utcnow() - dt.timedelta(seconds=1))
            )
        if why == "deactivated":  # as the admin's "Active" box does; cookies end too
            user = db.session.get(User, world.manager)
            user.active = False
            user.end_sessions()
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    if why == "none":
        headers = {}
    elif why == "unknown":
        headers = {"Authorization": f"Bearer {secret[:-1]}x"}
    elif why == "not bearer":
        headers = {"Authorization": f"Basic {secret}"}
    response = client.post("/api/v1/bookings", json=booking_body(world.room), headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert bookings_in(app, world.room) == []


def test_a_browser_session_alone_cannot_write(client, world, app):
    login(client, "boss@example.org")
    assert client.get("/bookings/mine").status_code == 200  # signed in for the pages
    response = client.post("/api/v1/bookings", json=booking_body(world.room))
    assert_error(response, 401, "unauthorized")
    assert bookings_in(app, world.room) == []


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_token_needs_no_csrf_token_and_acts_as_its_person_not_the_cookie(client, world, app):
    secret = make_token(app, world.participant, "participation")
    circle = world.circle(audience="public")
    form = csrf_token(client.get("/login").text)  # Bo Boss signed in too, with a cookie
    assert login_with(client, "boss@example.org", form).status_code == 302
    response = call(client, f"/api/v1/circles/{circle}/join", secret)
    assert response.status_code == 201, response.text
    with app.app_context():
        place = db.session.get(Enrollment, response.json["id"])
        assert place.email == "pat@example.org"
        assert place.user_id == world.participant


def test_a_missing_scope_is_a_403_naming_it(client, world, app):
    secret = make_token(app, world.manager, "participation")
    response = call(client, "/api/v1/bookings", secret, booking_body(world.room))
    assert_error(response, 403, "forbidden", "bookings")
    assert bookings_in(app, world.room) == []


def test_last_used_is_written_at_most_once_a_minute(client, world, app):
    secret = make_token(app, world.manager, "bookings")

    def last_used():
        with app.app_context():
            return db.session.scalar(sa.select(ApiToken.last_used_at))

    assert last_used() is None
    call(client, "/api/v1/bookings", secret, booking_body(world.room))
    first = last_used()
    assert first is not None
    call(client, "/api/v1/bookings", secret, slot(world.room, 1))
    assert last_used() == first  # not a write per request
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken).values(last_used_at=first - dt.timedelta(seconds=61))
        )
        db.session.commit()
    call(client, "/api/v1/bookings", secret, slot(world.room, 2))
    assert last_used() > first


def test_the_limit_counts_per_token_and_answers_429(client, world, app, factory):
    app.config["API_WRITE_LIMITS"] = "2 per minute"
    one = make_token(app, world.manager, "bookings")
    other = make_token(app, world.admin, "bookings")
    statuses = [call(client, "/api/v1/bookings", one, slot(world.room, n)) for n in range(3)]
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert_error(statuses[2], 429, "too_many_requests")
    assert int(statuses[2].headers["Retry-After"]) > 0
    fine = call(client, "/api/v1/bookings", other, slot(world.room, 4))
    assert fine.status_code == 201, fine.text


def test_deactivating_someone_revokes_their_tokens_for_good(client, world, app):
    secret = make_token(app, world.manager, "bookings")
    admin = client
    login(admin, "admin@example.org")
    page = {"name": "Bo Boss", "email": "boss@example.org", "timezone": "America/New_York"}
    assert admin.post(f"/admin/users/{world.manager}", data=page).status_code == 302  # inactive
    with app.app_context():
        assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None
    assert_error(call(admin, "/api/v1/bookings", secret, slot(world.room, 0)), 401, "unauthorized")
    again = page | {"active": "y", "managed_branches": [str(world.branch)]}
    assert admin.post(f"/admin/users/{world.manager}", data=again).status_code == 302
    assert_error(call(admin, "/api/v1/bookings", secret, slot(world.room, 0)), 401, "unauthorized")
    assert bookings_in(app, world.room) == []


def test_an_admin_sees_and_revokes_anyones_tokens_and_nobody_else_may(client, world, app):
    secret = make_token(app, world.manager, "bookings")
    with app.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    login(client, "lead@example.org")  # staff, not an admin
    assert client.get(f"/admin/users/{world.manager}/tokens").status_code == 403
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    client = app.test_client()
    login(client, "admin@example.org")
    assert (
        f"/admin/users/{world.manager}/tokens" in client.get(f"/admin/users/{world.manager}").text
    )
    listed = client.get(f"/admin/users/{world.manager}/tokens").text
    assert "API tokens of Bo Boss" in listed
    assert secret[:10] in listed
    done = client.post(f"/account/tokens/{token_id}/revoke")
    assert done.headers["Location"] == f"/admin/users/{world.manager}/tokens"
    assert_error(call(client, "/api/v1/bookings", secret, slot(world.room, 0)), 401, "unauthorized")


def test_a_token_request_sets_no_cookie(client, world, app):
    secret = make_token(app, world.manager, "bookings")
    made = call(client, "/api/v1/bookings", secret, slot(world.room, 0))
    assert made.status_code == 201, made.text
    assert "Set-Cookie" not in made.headers
    refused = call(client, "/api/v1/bookings", None, slot(world.room, 1))
    assert "Set-Cookie" not in refused.headers


def test_guessing_tokens_from_one_address_meets_the_apis_limit_per_address(client, world, app):
    app.config["API_LIMITS"] = "3 per minute"  # each guess is its own token: this one counts
    statuses = [
        call(client, "/api/v1/bookings", f"lc_guess{n}", slot(world.room, 0)).status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
