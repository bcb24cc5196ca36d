"""End-to-end: the read API's docs page (/api/v1/docs) on the desktop and a phone: every
operation listed, the OpenAPI document one link away, axe clean, no sideways scroll; and it
loads nothing from another site (the CSP would refuse it)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import DESKTOP, PHONE, check_page

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_api_docs_page(page: Page, live_server: str, screen: str):
    page.set_viewport_size(DESKTOP if screen == "desktop" else PHONE)
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: elsewhere.append(r.url) if not r.url.startswith(live_server) else None,
    )
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1, name="API documentation")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=2)).to_have_count(14)  # 9 reads, 5 writes
    expect(main.get_by_role("table", name="Parameters").first).to_be_visible()
    check_page(page)
    assert elsewhere == []
    main.get_by_role("link", name="The OpenAPI 3.1 document (JSON)").click()
    assert '"openapi": "3.1.0"' in page.content() or '"openapi":"3.1.0"' in page.content()
