"""End-to-end: an administrator imports courses from CSV. The first file has several
problems, all listed at once (line, column, value, what is allowed) and nothing is saved; the
fixed file is previewed, then saved. Desktop and phone, axe on each page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.catalog.imports import CSV_HEADER
from app.extensions import db
from app.models import Course
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    check_page,
    flash,
    sign_in,
    upload_csv,
)

pytestmark = pytest.mark.e2e

HEADER = ",".join(CSV_HEADER)
BAD = [
    HEADER,
    "Informática básica,GCFGlobal,https://edu.example.org/informatica,,es,self_paced,1.5,true,,"
    "digital_literacy,new_staff",
    ",WebJunction,javascript:alert(1),,en,self_paced,0,maybe,,cooking,all",
    "Weeding,WebJunction,https://wj.example.org/weeding,,xx,self_paced,2,true,,"
    "collection_management,all",
]
GOOD = [
    BAD[0],
    BAD[1],
    "Weeding the Collection,WebJunction,https://wj.example.org/weeding-2,,en,self_paced,0.5,"
    "yes,,collection_management,all",
]


def upload(page: Page, lines: list[str]) -> None:
    upload_csv(page, "courses.csv", lines)


def problems(page: Page) -> list[list[str]]:
    rows = page.get_by_role("table", name="Problems in the file").get_by_role("row")
    return [
        [c.strip() for c in row.get_by_role("cell").all_inner_texts()]
        for row in rows.all()[1:]  # the first row holds the column headers
    ]


def test_admin_sees_every_problem_fixes_them_previews_and_saves(page: Page, factory, query):
    factory.user("admin@example.org", name="Alex Admin", is_admin=True)
    page.set_viewport_size(DESKTOP)
    sign_in(page, "admin@example.org")
    page.goto("/courses/import")
    expect(page.get_by_role("link", name="Download a template")).to_have_attribute(
        "href", "/courses/import/template.csv"
    )
    check_page(page)

    upload(page, BAD)
    expect(page.get_by_role("heading", name="6 problems: nothing will be saved")).to_be_visible()
    assert [row[:3] for row in problems(page)] == [
        ["3", "title", "empty"],
        ["3", "url", "javascript:alert(1)"],
        ["3", "hours", "0"],
        ["3", "is_free", "maybe"],
        ["3", "skill_area", "cooking"],
        ["4", "language", "xx"],
    ]
    assert problems(page)[3][4] == "true or false (yes/no, y/n and 1/0 work too)."
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    check_page(page)

    page.set_viewport_size(PHONE)
    check_page(page)  # the wide table scrolls inside its box, not the page
    page.set_viewport_size(DESKTOP)

    upload(page, GOOD)
    expect(page.get_by_text("2 new, 0 updated (matched by link).")).to_be_visible()
    expect(page.get_by_role("cell", name="Weeding the Collection")).to_be_visible()
    check_page(page)
    page.set_viewport_size(PHONE)
    check_page(page)
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(Course.id)))) == 0

    page.get_by_role("button", name="Save 2 new and 0 updated courses").click()
    expect(flash(page).first).to_contain_text("Import done: 2 added, 0 updated.")
    check_page(page)
    hours = query(lambda: {c.title: str(c.hours) for c in db.session.scalars(sa.select(Course))})
    assert hours == {"Informática básica": "1.50", "Weeding the Collection": "0.50"}
