"""Administrators manage people and roles."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import OutboxMessage, User
from tests.conftest import login


def _user_data(**overrides):
    return {
        "name": "Nia New",
        "email": "nia@example.org",
        "timezone": "America/New_York",
        "active": "y",
    } | overrides


def test_create_account_sends_set_password_link(admin, factory, query):
    branch_id = factory.branch("Main")
    response = admin.post(
        "/admin/users/new",
        data=_user_data(is_facilitator="y", managed_branches=[str(branch_id)]),
    )
    assert response.status_code == 302
    user = query(lambda: db.session.scalar(sa.select(User).filter_by(email="nia@example.org")))
    assert user.is_facilitator
    assert not user.is_admin
    assert query(lambda: [b.id for b in db.session.get(User, user.id).managed_branches]) == [
        branch_id
    ]
    message = query(lambda: db.session.scalars(sa.select(OutboxMessage)).one())
    assert message.to == "nia@example.org"
    assert "/password/reset/" in message.body


def test_duplicate_email_is_refused(admin, factory, query):
    factory.user("nia@example.org")
    response = admin.post("/admin/users/new", data=_user_data(email="NIA@example.org"))
    assert response.status_code == 200
    assert "Another account already uses that email." in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(User.id)))) == 2
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"name": ""}, "This field is required."),
        ({"timezone": "Atlantis/Capital"}, "Not a valid choice."),
        ({"managed_branches": ["999"]}, "is not a valid choice for this field"),
    ],
)
def test_bad_account_input_saves_nothing(admin, query, overrides, message):
    response = admin.post("/admin/users/new", data=_user_data(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(User.id)))) == 1


def test_edit_roles_and_deactivate(admin, factory, query, app):
    user_id = factory.user("fac@example.org", name="Fay")
    other = app.test_client()
    login(other, "fac@example.org")
    assert other.get("/account").status_code == 200

    response = admin.post(
        f"/admin/users/{user_id}",
        data={"name": "Fay", "email": "fac@example.org", "timezone": "UTC", "is_facilitator": "y"},
    )
    assert response.status_code == 302
    user = query(lambda: db.session.get(User, user_id))
    assert user.is_facilitator
    assert not user.active
    assert other.get("/account").status_code == 302  # deactivated: signed out at once
    assert "do not match" in login(other, "fac@example.org").text


def test_admin_cannot_lock_themselves_out(admin, query):
    response = admin.post(
        f"/admin/users/{admin.user_id}",
        data={"name": "Alex Admin", "email": "admin@example.org", "timezone": "UTC", "active": "y"},
    )
    assert "cannot remove your own administrator role" in response.text
    assert query(lambda: db.session.get(User, admin.user_id).is_admin)


def test_user_list_search_and_pagination(admin, factory, app):
    app.config["PER_PAGE"] = 3
    for i in range(5):
        factory.user(f"person{i}@example.org", name=f"Person {i}")
    factory.user("odd_one%@example.org", name="Zed")
    page1 = admin.get("/admin/users").text
    assert "Page 1 of 3" in page1
    assert "Alex Admin" in page1
    page3 = admin.get("/admin/users?page=3").text
    assert "Zed" in page3
    found = admin.get("/admin/users?q=PERSON 3").text
    assert "person3@example.org" in found
    assert "person2@example.org" not in found
    # LIKE wildcards in the search are literal characters.
    wildcard = admin.get("/admin/users?q=_").text
    assert "odd_one%@example.org" in wildcard
    assert "person1@example.org" not in wildcard
    assert "Nobody matches" in admin.get("/admin/users?q=nobody-here").text


def test_unknown_user_is_404(admin):
    assert admin.get("/admin/users/9999").status_code == 404
    assert admin.get("/admin/users?page=99").status_code == 200


def test_admin_sets_a_home_branch_the_person_sees_on_their_account(admin, factory, query, app):
    main = factory.branch("Main")
    user_id = factory.user("wes@example.org", name="Wes Worker")

    def home():
        return query(lambda: db.session.get(User, user_id).home_branch_id)

    tampered = [("abc", "Invalid Choice: could not coerce."), ("999999", "Not a valid choice.")]
    for value, message in tampered:  # refused beside the field, nothing saved
        response = admin.post(f"/admin/users/{user_id}", data=_user_data(home_branch=value))
        assert response.status_code == 200
        assert f'<p class="error" id="home_branch-error">{message}</p>' in response.text
        assert home() is None
    response = admin.post(
        f"/admin/users/{user_id}",
        data=_user_data(name="Wes Worker", email="wes@example.org", home_branch=str(main)),
    )
    assert response.status_code == 302
    assert home() == main
    page = admin.get(f"/admin/users/{user_id}").text
    assert f'<option selected value="{main}">Main</option>' in page
    admin.post("/logout")
    login(admin, "wes@example.org")
    account = admin.get("/account").text
    assert "<dt>Home branch</dt>\n  <dd>Main</dd>" in account
    assert 'name="home_branch"' not in account  # read-only for the person
    admin.post("/logout")
    login(admin, "admin@example.org")
    admin.post(f"/admin/users/{user_id}", data=_user_data(email="wes@example.org", home_branch=""))
    assert home() is None
