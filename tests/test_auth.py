"""Signing in and out, passwords, reset links, profile."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxMessage, User
from tests.conftest import PASSWORD, login


def test_sign_in_and_out(client, factory):
    factory.user("ana@example.org", name="Ana")
    response = login(client, "ana@example.org", follow_redirects=True)
    assert response.status_code == 200
    assert "Welcome, Ana." in response.text
    assert "Sign out" in response.text
    response = client.post("/logout", follow_redirects=True)
    assert "You are signed out." in response.text
    assert client.get("/account").status_code == 302


def test_email_is_case_insensitive(client, factory):
    factory.user("ana@example.org")
    response = login(client, "  ANA@Example.org ")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@example.org", "wrong password!!"), ("nobody@example.org", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_failed_sign_in_gives_one_answer(client, factory, email, password):
    factory.user("ana@example.org")
    response = login(client, email, password)
    assert response.status_code == 200
    assert "That email and password do not match an account." in response.text
    assert client.get("/account").status_code == 302


def test_deactivated_user_cannot_sign_in(client, factory):
    factory.user("ana@example.org", active=False)
    assert "do not match" in login(client, "ana@example.org").text


def test_session_is_rotated_at_sign_in(client, factory):
    factory.user("ana@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "ana@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def test_copied_cookie_is_refused_after_logout(app, factory):
    factory.user("ana@example.org")
    client = app.test_client()
    login(client, "ana@example.org")
    stolen = client.get_cookie("session", domain="circles.test").value
    assert client.get("/account").status_code == 200
    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="circles.test")
    response = thief.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_cookie_still_works_without_logout(app, factory):
    """The control for the test above: the copy works while the session is live."""
    factory.user("ana@example.org")
    client = app.test_client()
    login(client, "ana@example.org")
    copy = app.test_client()
    copy.set_cookie(
        "session", client.get_cookie("session", domain="circles.test").value, domain="circles.test"
    )
    assert copy.get("/account").status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/branches/", "/branches/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_local_paths(client, factory, target, expected):
    factory.user("ana@example.org")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "ana@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_failed_sign_ins_are_throttled_per_account_and_address(app, factory):
    factory.user("ana@example.org")
    client = app.test_client()
    here = {"REMOTE_ADDR": "10.0.0.1"}
    codes = [
        login(client, "ana@example.org", "wrong password!!", environ_base=here).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [200] * 10
    assert codes[10:] == [429, 429]
    refused = login(client, "ana@example.org", environ_base=here)
    assert refused.status_code == 429
    # The wait is stated truthfully, in the page and the header.
    assert "Please try again in" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_strangers_cannot_lock_the_owner_out(app, factory):
    """Wrong passwords from elsewhere slow the attacker, not the account's owner."""
    factory.user("ana@example.org")
    client = app.test_client()
    for i in range(12):
        attacker = {"REMOTE_ADDR": "198.51.100.66"}
        login(client, "ana@example.org", f"wrong password {i}", environ_base=attacker)
    owner = app.test_client()
    assert (
        login(owner, "ana@example.org", environ_base={"REMOTE_ADDR": "10.0.1.1"}).status_code == 302
    )


def test_failed_sign_ins_are_throttled_per_address(app, factory):
    client = app.test_client()
    codes = [login(client, f"u{i}@example.org", "wrong password!!").status_code for i in range(31)]
    assert codes[:30] == [200] * 30
    assert codes[-1] == 429


def test_a_training_room_signs_in_together(app, factory):
    """Sixty colleagues behind one public address: successful sign-ins are not counted."""
    for i in range(60):
        factory.user(f"staff{i}@example.org")
    codes = [login(app.test_client(), f"staff{i}@example.org").status_code for i in range(60)]
    assert codes == [302] * 60
    # Failed ones still are, per address.
    client = app.test_client()
    codes = [
        login(client, f"staff{i}@example.org", "wrong password!!").status_code for i in range(31)
    ]
    assert codes[-1] == 429


def test_change_password(client, factory, query):
    user_id = factory.user("ana@example.org")
    login(client, "ana@example.org")
    response = client.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert "That is not your current password." in response.text
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "short", "confirm": "short"},
    )
    assert "Use between 12 and 256 characters" in response.text
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new secret",
            "confirm": "another one entirely",
        },
    )
    assert "The passwords differ." in response.text
    assert query(lambda: db.session.get(User, user_id).check_password(PASSWORD))

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this browser stays signed in
    client.post("/logout")
    assert login(client, "ana@example.org", "a brand new secret").status_code == 302


def test_change_password_signs_out_other_devices(app, factory):
    factory.user("ana@example.org")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "ana@example.org")
    login(phone, "ana@example.org")
    laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302


def _reset_link(query) -> str:
    body = query(lambda: db.session.scalars(sa.select(OutboxMessage.body)).one())
    match = re.search(r"http://circles\.test(/password/reset/\S+)", body)
    assert match, body
    return match.group(1)


def test_password_reset_by_email_link_works_once(client, factory, query):
    factory.user("ana@example.org", name="Ana")
    response = client.post(
        "/password/forgot", data={"email": "ana@example.org"}, follow_redirects=True
    )
    assert "a reset link is on its way" in response.text
    message = query(lambda: db.session.scalars(sa.select(OutboxMessage)).one())
    assert message.to == "ana@example.org"
    assert "Hello Ana," in message.body
    link = _reset_link(query)

    assert client.get(link).status_code == 200
    response = client.post(
        link, data={"password": "my fresh password", "confirm": "my fresh password"}
    )
    assert response.status_code == 302
    assert login(client, "ana@example.org", "my fresh password").status_code == 302
    client.post("/logout")

    # Used once: the same link no longer works.
    response = client.post(
        link, data={"password": "a third password!", "confirm": "a third password!"}
    )
    assert response.status_code == 302
    assert "/password/forgot" in response.headers["Location"]
    assert login(client, "ana@example.org", "a third password!").status_code == 200


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client, query):
    response = client.post(
        "/password/forgot", data={"email": "ghost@example.org"}, follow_redirects=True
    )
    assert "a reset link is on its way" in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))) == 0


def test_password_reset_link_expires(app, client, factory, query):
    factory.user("ana@example.org")
    client.post("/password/forgot", data={"email": "ana@example.org"})
    link = _reset_link(query)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(link)
    assert response.status_code == 302
    assert "/password/forgot" in response.headers["Location"]


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ.tampered.sig"])
def test_tampered_reset_link_is_refused(client, token):
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 302
    assert "/password/forgot" in response.headers["Location"]


def test_profile_edit(client, factory, query):
    user_id = factory.user("ana@example.org")
    login(client, "ana@example.org")
    response = client.post(
        "/account", data={"name": "Ana María", "timezone": "America/Chicago", "locale": "es"}
    )
    assert response.status_code == 302
    user = query(lambda: db.session.get(User, user_id))
    assert (user.name, user.timezone, user.locale) == ("Ana María", "America/Chicago", "es")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "timezone": "UTC", "locale": "en"}, "This field is required."),
        ({"name": "x" * 121, "timezone": "UTC", "locale": "en"}, "Field cannot be longer than 120"),
        ({"name": "Ana", "timezone": "Mars/Olympus", "locale": "en"}, "Not a valid choice"),
        ({"name": "Ana", "timezone": "UTC", "locale": "xx"}, "Not a valid choice"),
    ],
)
def test_profile_bad_input_changes_nothing(client, factory, query, data, message):
    user_id = factory.user("ana@example.org", name="Ana")
    login(client, "ana@example.org")
    response = client.post("/account", data=data)
    assert response.status_code == 200
    assert message in response.text
    user = query(lambda: db.session.get(User, user_id))
    assert (user.name, user.timezone, user.locale) == ("Ana", "America/New_York", "en")
