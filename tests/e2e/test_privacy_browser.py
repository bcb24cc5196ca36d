"""End-to-end, on a desktop and a phone, axe on every page: Pat deletes her account from her
account page (typing her address to confirm; a wrong one is refused beside the field), is
signed out and cannot sign in again; the admin opens the retention page, sees the guest of a
circle that ended over a year ago, runs it after confirming, and sees nothing left to do."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.timeutil import utcnow
from tests.e2e.helpers import DESKTOP, PHONE, check_page, flash, sign_in
from tests.factories import enroll
from tests.test_privacy_retention import end_circle

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_person_deletes_her_account_and_an_admin_runs_the_retention(page: Page, app, world, size):
    page.set_viewport_size(size)
    old = world.circle(audience="public", title="Grants of long ago")
    enroll(app, old, "Gus Guest", "gus@example.org")
    with app.app_context():
        end_circle(old, utcnow() - dt.timedelta(days=400))
        db.session.commit()

    # Pat deletes her account.
    sign_in(page, "pat@example.org")
    page.goto("/account")
    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete my account")
    expect(page.get_by_role("heading", name="What stays, without your name")).to_be_visible()
    check_page(page)
    page.get_by_label("Your email address").fill("someone@example.org")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#email-error")).to_contain_text("Type the email address of this account")
    check_page(page)
    page.get_by_label("Your email address").fill("pat@example.org")
    page.get_by_role("button", name="Delete my account").click()
    expect(flash(page)).to_contain_text("Your account is deleted.")
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    check_page(page)

    # She cannot sign in again.
    sign_in(page, "pat@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("That email and password do not match an account.")).to_be_visible()

    # The admin runs the retention.
    sign_in(page, "admin@example.org")
    page.goto("/admin/users")
    page.get_by_role("link", name="Privacy and retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy and retention")
    expect(page.get_by_role("link", name="Grants of long ago")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="Run now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Run the retention now")
    check_page(page)
    page.get_by_role("button", name="Run now").click()
    expect(flash(page)).to_contain_text("Retention run done: 1 change made.")
    expect(page.get_by_text("Nothing is due: the next run will change nothing.")).to_be_visible()
    check_page(page)
