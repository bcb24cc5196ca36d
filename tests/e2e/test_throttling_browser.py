"""End-to-end: sign-in throttling that does not lock out a training room (issue 13). Every
request of the browser comes from one address, as a library's public address would: a whole
room signs in, one person who keeps mistyping is slowed and told truthfully how long to wait,
and the colleagues beside them still get in. Desktop and phone, axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.helpers import DESKTOP, PHONE, assert_accessible, flash, sign_in

pytestmark = pytest.mark.e2e

ROOM = 4  # colleagues at the training room's computers (tests/test_auth.py signs in sixty)


def submit(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in without the axe check of ``helpers.sign_in``: the login page is checked once."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(flash(page)).to_have_text("You are signed out.")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_training_room_signs_in_while_one_mistyper_is_slowed(page: Page, factory, size):
    page.set_viewport_size(size)
    for i in range(ROOM):
        factory.user(f"staff{i}@example.org", name=f"Staff {i}")
    factory.user("ana@example.org", name="Ana Lima")

    # The room signs in, one after another, from the same address: nobody is refused.
    sign_in(page, "staff0@example.org")  # checks the login page with axe once
    expect(flash(page)).to_have_text("Welcome, Staff 0.")
    sign_out(page)
    for i in range(1, ROOM):
        submit(page, f"staff{i}@example.org")
        expect(flash(page)).to_have_text(f"Welcome, Staff {i}.")
        sign_out(page)

    # Ana mistypes: after ten tries on her account from here she has to wait, and is told
    # how long in seconds (at most the minute the limit covers), on an accessible page.
    for attempt in range(10):
        submit(page, "ana@example.org", f"not the password {attempt}")
        expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
    submit(page, "ana@example.org")
    message = page.get_by_role("main")
    expect(message).to_contain_text(re.compile(r"Please try again in \d+ seconds?\."))
    seconds = int(re.search(r"try again in (\d+) second", message.inner_text()).group(1))
    assert 1 <= seconds <= 60
    assert_accessible(page)

    # Her colleague at the next computer, same address, still signs in.
    submit(page, "staff1@example.org")
    expect(flash(page)).to_have_text("Welcome, Staff 1.")
    expect(page.get_by_role("main")).to_contain_text("Signed in as Staff 1")
