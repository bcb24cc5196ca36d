"""End-to-end: an administrator closes every branch for a three-day holiday: a mistake first
(the last day before the first), then the holiday, listed as one closure at each branch.
Desktop and phone, axe on each page."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Closure
from app.timeutil import local_today
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)

pytestmark = pytest.mark.e2e


def shown(day: dt.date) -> str:
    """A day as pages show it in English (app.labels.when): "Thu, Dec 31, 2026"."""
    return f"{day:%a, %b} {day.day}, {day.year}"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_adds_a_holiday_for_every_branch(page: Page, factory, query, size):
    factory.user("admin@example.org", name="Alex Admin", is_admin=True)
    main = factory.branch("Main Library", slug="main")
    factory.branch("Kendall", slug="kendall")
    first = local_today("America/New_York") + dt.timedelta(days=30)
    last = first + dt.timedelta(days=2)

    page.set_viewport_size(size)
    sign_in(page, "admin@example.org")
    page.goto("/branches/")
    page.get_by_role("link", name="Closure at every branch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a closure at every branch")
    check_page(page)

    page.get_by_label("First day").fill(last.isoformat())
    page.get_by_label("Last day").fill(first.isoformat())
    page.get_by_label("Reason").fill("Winter holiday")
    page.get_by_role("button", name="Add closure").click()
    expect(page.get_by_text("The last day cannot be before the first day.")).to_be_visible()
    expect(page.get_by_label("Last day")).to_have_attribute("aria-invalid", "true")
    check_page(page)

    page.get_by_label("First day").fill(first.isoformat())
    page.get_by_label("Last day").fill(last.isoformat())
    page.get_by_role("button", name="Add closure").click()
    expect(page).to_have_url("/branches/")
    expect(flash(page)).to_contain_text("Closure added at 2 branches: 6 branch days.")
    check_page(page)

    page.goto(f"/branches/{main}")
    closures = page.get_by_role("region", name="Upcoming closures").get_by_role("listitem")
    expect(closures).to_have_count(1)
    expect(closures).to_contain_text(f"{shown(first)} – {shown(last)} — Winter holiday")
    check_page(page)
    stored = query(lambda: db.session.scalars(sa.select(Closure.date)).all())
    assert sorted(stored) == sorted([first, first + dt.timedelta(days=1), last] * 2)
