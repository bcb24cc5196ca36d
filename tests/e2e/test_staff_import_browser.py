"""End-to-end: an administrator imports staff accounts from CSV. From the People page they
download the template, fill it in with one bad row, see every problem of that row (line,
column, value, what is allowed) with nothing saved, fix it, preview and import; each new
account gets its welcome email. Desktop and phone, axe on each page."""

from __future__ import annotations

import csv

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import OutboxMessage, User
from tests.e2e.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    flash,
    sign_in,
    upload_csv,
)

pytestmark = pytest.mark.e2e

BAD_ROW = "Manny Manager,manny@example.org,boss,Nowhere Branch,,"
FIXED_ROW = "Manny Manager,manny@example.org,manager,Main Library,,,Main Library"


def upload(page: Page, lines: list[str]) -> None:
    upload_csv(page, "staff.csv", lines)


def check_both_sizes(page: Page) -> None:
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page)
        assert_no_horizontal_scroll(page)  # wide tables scroll inside their box
    page.set_viewport_size(DESKTOP)


def problems(page: Page) -> list[list[str]]:
    rows = page.get_by_role("table", name="Problems in the file").get_by_role("row")
    return [
        [c.strip() for c in row.get_by_role("cell").all_inner_texts()]
        for row in rows.all()[1:]  # the first row holds the column headers
    ]


def accounts(query) -> list[str]:
    return query(lambda: sorted(db.session.scalars(sa.select(User.email))))


def test_admin_downloads_template_fixes_a_bad_row_previews_and_imports(page: Page, factory, query):
    factory.user("admin@example.org", name="Alex Admin", is_admin=True)
    branch_id = factory.branch("Main Library")
    page.set_viewport_size(DESKTOP)
    sign_in(page, "admin@example.org")
    page.goto("/admin/users")
    page.get_by_role("link", name="Import from CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import staff accounts from CSV")
    check_both_sizes(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download a template").click()
    download = download_info.value
    assert download.suggested_filename == "staff-template.csv"
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        template = [",".join(row) for row in csv.reader(file)]
    assert template[0] == "name,email,role,branch,timezone,locale,home_branch"
    assert len(template) == 2

    upload(page, [*template, BAD_ROW])
    expect(page.get_by_role("heading", name="2 problems: nothing will be saved")).to_be_visible()
    assert problems(page) == [
        ["3", "role", "boss", "Unknown role.", "One of: participant, facilitator, manager, admin."],
        [
            "3",
            "branch",
            "Nowhere Branch",
            "No branch has this name.",
            "For a manager, the name of a branch (Main Library); empty for other roles.",
        ],
    ]
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    check_both_sizes(page)

    upload(page, [*template, FIXED_ROW])
    expect(page.get_by_role("heading", name="Accounts to create")).to_be_visible()
    expect(page.get_by_role("cell", name="manager (Main Library)")).to_be_visible()
    check_both_sizes(page)
    assert accounts(query) == ["admin@example.org"]  # the preview saved nothing

    page.get_by_role("button", name="Import 2 accounts").click()
    expect(flash(page).first).to_contain_text("2 accounts created")
    expect(page.get_by_role("link", name="Manny Manager")).to_be_visible()
    check_both_sizes(page)
    assert accounts(query) == ["admin@example.org", "ana.example@example.org", "manny@example.org"]
    managed = query(
        lambda: [
            b.id
            for b in db.session.scalar(
                sa.select(User).filter_by(email="manny@example.org")
            ).managed_branches
        ]
    )
    assert managed == [branch_id]
    home = query(
        lambda: db.session.scalar(
            sa.select(User.home_branch_id).filter_by(email="manny@example.org")
        )
    )
    assert home == branch_id
    welcomes = query(lambda: sorted(db.session.scalars(sa.select(OutboxMessage.body))))
    assert len(welcomes) == 2
    assert all("/password/reset/" in body for body in welcomes)
    assert query(lambda: sorted(db.session.scalars(sa.select(OutboxMessage.to)))) == [
        "ana.example@example.org",
        "manny@example.org",
    ]
