"""End-to-end, on a desktop and on a phone: the admin adds a credential to the list (from the
Manage menu), a facilitator records it for a participant by choosing it (its CE hours come
along; a second time is refused until ticked as another), and the report counts it by name.
axe-core checks every page, error states included."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Outcome
from app.timeutil import local_today
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
    sign_out,
)
from tests.factories import World, enroll

pytestmark = pytest.mark.e2e

CHIS = "NNLM CHIS Level 1"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_lists_a_credential_a_facilitator_records_it_and_the_report_counts_it(
    page: Page, app, factory, query, size
):
    world = World(app, factory)
    circle_id = world.circle(audience="public")
    ana = enroll(app, circle_id, "Ana Díaz", "ana@example.org")
    achieved = (local_today("America/New_York") - dt.timedelta(days=2)).isoformat()
    page.set_viewport_size(size)

    sign_in(page, "admin@example.org")
    nav = page.get_by_role("navigation", name="Main")
    if size == PHONE:
        nav.get_by_role("button", name="Manage").click()
    nav.get_by_role("link", name="Credentials").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Credentials")
    # Marked as the current page (folded behind "Manage" on a phone, so looked up by markup).
    expect(nav.locator('a[aria-current="page"]')).to_have_text("Credentials")
    check_page(page)
    page.get_by_role("link", name="New credential").click()
    check_page(page)
    page.get_by_label("Name").fill(CHIS)
    page.get_by_label("Kind").select_option(label="Credential (with CE hours)")
    page.get_by_label("Awarded by").fill("Medical Library Association")
    page.get_by_label("Continuing-education hours").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text(f"Saved “{CHIS}”.")
    row = page.get_by_role("row", name=CHIS)
    expect(row).to_contain_text("Medical Library Association")
    expect(row).to_contain_text("offered")
    check_page(page)

    # Another spelling of it is refused beside the name.
    page.get_by_role("link", name="New credential").click()
    page.get_by_label("Name").fill("nnlm chis  level 1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("“nnlm chis level 1” is already on the list.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    check_page(page)
    sign_out(page)

    sign_in(page, "lead@example.org")
    page.goto(f"/circles/{circle_id}/outcomes")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcomes")
    check_page(page)

    def record() -> None:
        page.get_by_label("For").select_option(label="Ana Díaz")
        page.get_by_label("Kind of outcome").select_option(label="Credential (with CE hours)")
        page.get_by_label("Credential or certificate").select_option(label=CHIS)
        page.get_by_label("Date achieved").fill(achieved)
        page.get_by_role("button", name="Record outcome").click()

    record()
    expect(flash(page)).to_contain_text("Outcome recorded.")
    card = page.get_by_role("listitem").filter(has_text="Ana Díaz")
    expect(card.get_by_role("heading", level=3)).to_contain_text(CHIS)
    expect(card).to_contain_text("awarded by Medical Library Association")
    expect(card).to_contain_text("CE hours: 12.00")
    check_page(page)

    # The same credential for Ana again: refused, with the box to say it is another one.
    record()
    expect(page.get_by_text("Already reported on")).to_be_visible()
    again = page.get_by_label("Record it again")
    expect(again).to_be_visible()
    check_page(page)
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(Outcome.id)))) == 1
    sign_out(page)

    sign_in(page, "admin@example.org")
    page.goto("/reports/")
    table = page.get_by_role("table").filter(has_text="Credentials by title")
    expect(table.get_by_role("row", name=CHIS).get_by_role("cell")).to_have_text(
        ["Credential", "1", "12"]  # kind, earned, CE hours
    )
    check_page(page)
    stored = query(
        lambda: [
            (o.enrollment_id, o.title, o.credential.name)
            for o in db.session.scalars(sa.select(Outcome))
        ]
    )
    assert stored == [(ana, CHIS, CHIS)]
