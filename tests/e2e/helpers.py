"""Helpers shared by the browser tests: the axe-core check, the sideways-scroll check, the
flash messages, the outbox, signing in and out."""

from __future__ import annotations

import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from app.extensions import db
from app.models import OutboxMessage
from tests.conftest import PASSWORD

AXE = Axe()
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def assert_accessible(page: Page) -> None:
    """No axe-core violations (all rules that axe runs by default) on the page as it is now."""
    results = AXE.run(page)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def assert_no_horizontal_scroll(page: Page) -> None:
    scroll_width, client_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll_width <= client_width, (
        f"{page.url} scrolls sideways: {scroll_width}px of content in {client_width}px"
    )


def check_page(page: Page) -> None:
    """What every page of a journey passes: axe clean, and no sideways scroll (on a phone)."""
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def sign_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()


def outbox(query) -> list[tuple[str, str, str]]:
    """Every email queued so far: (to, subject, body), oldest first (``query``: the fixture)."""
    return query(
        lambda: [
            (m.to, m.subject, m.body)
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    )


def flash(page: Page) -> Locator:
    """The flash messages of the page (a polite live region)."""
    return page.get_by_role("status")


def upload_csv(page: Page, name: str, lines: list[str]) -> None:
    """Choose a CSV file of ``lines`` on an import page and have it checked."""
    page.get_by_label("CSV file").set_input_files(
        files=[
            {
                "name": name,
                "mimeType": "text/csv",
                "buffer": ("\r\n".join(lines) + "\r\n").encode(),
            }
        ]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
