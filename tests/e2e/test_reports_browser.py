"""End-to-end: an administrator reads the reports dashboard in headless Chromium, with
axe-core checking it on a desktop screen and on a phone (where the wide tables scroll inside
their own box, never the page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.factories import build_scene

pytestmark = pytest.mark.e2e


def test_dashboard_is_accessible_on_desktop_and_phone(app, factory, page: Page):
    scene = build_scene(app, factory)
    sign_in(page, scene.admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    expect(page.get_by_role("img", name="Participants by branch")).to_be_visible()
    figure = page.locator(".figures div").filter(has_text="Circles run")
    expect(figure.locator("dd")).to_have_text("4")
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    # Narrow the report to one branch with the filter form.
    page.get_by_role("combobox", name="Branch").select_option(label="Kendall")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports: Kendall")
    expect(figure.locator("dd")).to_have_text("1")

    page.set_viewport_size(PHONE)
    page.goto("/reports/")
    expect(page.get_by_role("img", name="Credentials earned per quarter")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    # The widest table scrolls within its region, which the keyboard can reach.
    region = page.get_by_role("region", name="By branch")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    region.focus()
    expect(region).to_be_focused()
