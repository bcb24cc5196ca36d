"""End-to-end: the look of every main page on the demo data, as a visitor, a branch manager and
an administrator, on a desktop (1280x800) and a phone (390x844): the installation's name in the
header and the title, the current section marked (aria-current), the staff tools grouped under
"Manage" (one row on a desktop, folded on a phone), wide tables scrolling inside their own
labelled, focusable box with a hint, filter panels folded on a phone, no sideways page scroll,
and axe clean (each page once: axe reads the page, not the screen)."""

from __future__ import annotations

import re
from collections.abc import Collection

import pytest
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    sign_in,
)

pytestmark = pytest.mark.e2e

SITE_NAME = "Riverside Library Learning"
TITLE = re.compile(rf"(^|· ){SITE_NAME}$")

# path -> the navigation link marked as the current page (None: no section, e.g. home)
VISITOR = {"/": None, "/circles/": "Circles", "/courses/": "Courses", "/login": "Sign in"}
MANAGER = {
    "/bookings/mine": "Rooms",
    "/branches/": "Branches",
    "/reports/": "Reports",
    "/demand": "Demand",
}
ADMIN = {
    "/": None,
    "/circles/": "Circles",
    "/courses/": "Courses",
    "/facilitate/": "Facilitate",
    "/my/circles": "My circles",
    "/pathways/": "Pathways",
    "/calendar/": "Calendar",
    "/bookings/mine": "Rooms",
    "/branches/": "Branches",
    "/admin/users": "People",
    "/credentials/": "Credentials",
    "/demand": "Demand",
    "/account": "My account",
    "/reports/": "Reports",  # last: the walk ends on its wide tables
}
# axe checks the page, not the screen, and takes half a second: each page once on a phone, and
# on a desktop the pages whose panels are open there. The visitor's and the manager's pages are
# the admin's, less some links, except those named here.
AXE_ON_DESKTOP = {"/circles/", "/reports/"}
AXE_VISITOR = {"/"}


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "SITE_NAME": SITE_NAME}


def check_page(page: Page, current: str | None, axe: bool = True) -> int:
    """The checks every page passes; returns how many of its tables scroll sideways."""
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name=SITE_NAME, exact=True)).to_be_visible()
    expect(page).to_have_title(TITLE)
    marked = banner.locator('[aria-current="page"]')
    if current is None:
        expect(marked).to_have_count(0)
    else:
        expect(marked).to_have_count(1)
        expect(marked).to_have_text(current)
    assert_no_horizontal_scroll(page)
    scrolling = 0
    for box in page.locator(".table-wrap").all():
        scrolls = box.evaluate("el => el.scrollWidth > el.clientWidth + 1")
        # Every table box is a named region; one that scrolls takes the keyboard and says so.
        assert box.get_attribute("role") == "region"
        assert box.get_attribute("aria-label") or box.get_attribute("aria-labelledby")
        if scrolls:
            scrolling += 1
            assert box.get_attribute("tabindex") == "0", page.url
            hint = box.locator("xpath=preceding-sibling::*[1]")
            expect(hint).to_have_class("scroll-hint")
            expect(hint).to_be_visible()
    # Filter panels are open on a desktop and folded on a phone.
    phone = page.viewport_size == PHONE
    for panel in page.locator("details.filter-panel").all():
        assert panel.evaluate("el => el.open") is not phone, page.url
    if axe:
        assert_accessible(page)
    return scrolling


def sign_in_to_demo(page: Page, email: str) -> None:
    sign_in(page, email, DEMO_PASSWORD)
    expect(page.get_by_role("banner").get_by_role("button", name="Sign out")).to_be_visible()


def walk(
    page: Page, pages: dict[str, str | None], size: dict[str, int], axe: Collection[str] = ()
) -> int:
    """Visit ``pages`` on a screen of ``size``; axe checks those in ``axe``."""
    page.set_viewport_size(size)
    scrolling = 0
    for path, current in pages.items():
        page.goto(path)
        scrolling += check_page(page, current, axe=path in axe)
    return scrolling


def manage_menu_on_desktop(page: Page, links: list[str]) -> None:
    """One row of links, the staff tools in a group of their own named "Manage"."""
    nav = page.get_by_role("navigation", name="Main")
    tops = nav.get_by_role("link").evaluate_all(
        "links => links.map(a => Math.round(a.getBoundingClientRect().top))"
    )
    assert len(set(tops)) == 1, f"the navigation wraps: {tops}"
    expect(nav.get_by_role("list", name="Manage").get_by_role("link")).to_have_text(links)
    expect(nav.get_by_role("button", name="Manage")).to_be_hidden()


def manage_menu_on_phone(page: Page) -> None:
    """On a page of the group: folded behind a "Manage" button, which is marked as holding the
    current page and opens the group."""
    nav = page.get_by_role("navigation", name="Main")
    toggle = nav.get_by_role("button", name="Manage")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_class(re.compile(r"\bhas-current\b"))
    expect(nav.get_by_role("link", name="Branches")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Branches").click()
    expect(page).to_have_url("/branches/")
    check_page(page, "Branches", axe=False)


def test_main_pages_as_visitor_manager_and_admin_on_desktop_and_phone(page: Page, demo):
    """One walk (the demo data loads once): a visitor, then the manager, then the admin."""
    walk(page, VISITOR, DESKTOP)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link")).to_have_text(["Circles", "Courses"])
    expect(nav.get_by_role("list", name="Manage")).to_have_count(0)

    walk(page, VISITOR, PHONE, AXE_VISITOR)
    page.goto("/circles/")
    page.locator(".card h2 a").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page, "Circles")

    sign_in_to_demo(page, "manager@example.org")
    walk(page, MANAGER, DESKTOP)
    manage_menu_on_desktop(page, ["Rooms", "Branches", "Reports", "Demand"])

    walk(page, MANAGER, PHONE)
    manage_menu_on_phone(page)
    page.get_by_role("link", name="Main Library").click()
    check_page(page, "Branches")
    page.get_by_role("link", name="Room bookings").click()
    check_page(page, "Branches")
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()

    sign_in_to_demo(page, "admin@example.org")
    walk(page, ADMIN, DESKTOP, AXE_ON_DESKTOP)
    manage_menu_on_desktop(
        page, ["Rooms", "Branches", "People", "Credentials", "Reports", "Demand"]
    )

    # The reports' wide tables scroll inside their regions, and the page stays still.
    assert walk(page, ADMIN, PHONE, ADMIN) >= 3
    region = page.get_by_role("region", name="By branch")
    expect(page.get_by_text("Scroll sideways to see the whole table").first).to_be_visible()
    region.focus()
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle(), timeout=5000)
    manage_menu_on_phone(page)

    # The filters fold away; opened, they work, and the folded panel says a filter is on.
    page.goto("/circles/")
    show = page.get_by_role("button", name="Show circles")
    expect(show).to_be_hidden()
    page.locator("details.filter-panel > summary").click()
    page.get_by_role("combobox", name="Format").select_option(label="In person")
    show.click()
    expect(page).to_have_url(re.compile(r"format=in_person"))
    expect(page.locator("details.filter-panel > summary")).to_contain_text("filtered")
    check_page(page, "Circles", axe=False)
    page.locator(".card h2 a").first.click()
    check_page(page, "Circles")
