"""End-to-end: search ignores accents and case, on the demo data. A visitor finds the course
"Informática Básica" and the circle "Informática básica en español" by typing "informatica";
the administrator finds Ana Álvarez by typing "alvarez". Desktop and phone, axe on each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    sign_in,
)

pytestmark = pytest.mark.e2e

COURSE = "Informática Básica"
CIRCLE = "Informática básica en español"


def type_search(page: Page, path: str, words: str) -> None:
    """On the desktop: type into the page's search field and press Enter."""
    page.goto(path)
    field = page.get_by_role("main").get_by_role("searchbox").first
    field.fill(words)
    field.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={words}"))


def test_unaccented_words_find_accented_courses_circles_and_people(page: Page, demo):
    page.set_viewport_size(DESKTOP)
    type_search(page, "/courses/", "informatica")
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name=COURSE, exact=True)).to_be_visible()
    check_page(page)
    type_search(page, "/circles/", "INFORMATICA")
    expect(page.get_by_role("main").get_by_role("link", name=CIRCLE)).to_be_visible()
    check_page(page)

    page.set_viewport_size(PHONE)  # the filters may be folded away: follow the same link
    page.goto("/courses/?q=informatica+basica")
    expect(page.get_by_role("main").get_by_role("link", name=COURSE, exact=True)).to_be_visible()
    check_page(page)
    page.goto("/circles/?q=espanol")
    expect(page.get_by_role("main").get_by_role("link", name=CIRCLE)).to_be_visible()
    check_page(page)

    page.set_viewport_size(DESKTOP)
    sign_in(page, "admin@example.org", DEMO_PASSWORD)
    type_search(page, "/admin/users", "alvarez")
    main = page.get_by_role("main")
    expect(main.get_by_text("Ana Álvarez")).to_be_visible()
    expect(main.get_by_text("Gabriel Pérez")).to_have_count(0)
    check_page(page)
    page.set_viewport_size(PHONE)
    page.goto("/admin/users?q=PEREZ")
    expect(page.get_by_role("main").get_by_text("Gabriel Pérez")).to_be_visible()
    check_page(page)
