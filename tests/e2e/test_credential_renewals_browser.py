"""End-to-end, on a desktop and on a phone: the admin gives a credential on the list a renewal
period and CE hours (a period over ten years is refused beside its field first), and a
participant who earned it almost a year ago sees on their learning record that it lapses in 20
days and how many CE hours renewing asks for. axe-core checks every page, errors included."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Credential, Outcome
from app.timeutil import local_today
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
)
from tests.factories import World, enroll

pytestmark = pytest.mark.e2e

CHIS = "NNLM CHIS Level 1"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_sets_a_renewal_period_and_the_holder_sees_it_lapse_soon(
    page: Page, app, factory, query, size
):
    world = World(app, factory)
    circle_id = world.circle(audience="public")
    place = enroll(app, circle_id, "Pat", "pat@example.org")
    today = local_today("America/New_York")  # Pat's
    achieved = today + dt.timedelta(days=20) - relativedelta(months=12)
    days = (achieved + relativedelta(months=12) - today).days

    def add() -> None:
        chis = Credential(name=CHIS, kind="credential", awarding_body="MLA", ce_hours=12)
        db.session.add(chis)
        db.session.add(
            Outcome(
                circle_id=circle_id,
                enrollment_id=place,
                kind="credential",
                credential=chis,
                title=CHIS,
                achieved_on=achieved,
                status="confirmed",
            )
        )
        db.session.commit()

    query(add)
    page.set_viewport_size(size)

    sign_in(page, "admin@example.org")
    page.goto("/credentials/")
    row = page.get_by_role("row", name=CHIS)
    expect(row).to_contain_text("never lapses")
    check_page(page)
    row.get_by_role("link", name=CHIS, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {CHIS}")
    period = page.get_by_label("Renewal period in months")
    period.fill("121")
    page.get_by_label("CE hours to renew").fill("6")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter whole months from 1 to 120, like 36.")).to_be_visible()
    expect(period).to_have_attribute("aria-invalid", "true")
    check_page(page)
    period.fill("12")
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text(f"Saved “{CHIS}”.")
    expect(page.get_by_role("row", name=CHIS)).to_contain_text("renews every year · 6 CE hours")
    check_page(page)
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()

    sign_in(page, "pat@example.org")
    page.goto("/me/record")
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning record")
    credentials = page.get_by_role("region", name="Credentials and certificates")
    expect(credentials).to_contain_text(CHIS)
    expect(credentials).to_contain_text(f"Lapses in {days} days")
    expect(credentials).to_contain_text("CE hours since earned: 0 of 6")
    check_page(page)
