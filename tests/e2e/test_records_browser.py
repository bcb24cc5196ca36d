"""End-to-end on the demo data, on a desktop and a phone, axe on every page: a participant
opens their learning record from the home page, opens the certificate of a circle they
completed (which prints without the site's header) and follows its verification link."""

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

CHIS = "CHIS cohort (spring)"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_participant_opens_record_then_certificate_then_its_verification(page: Page, demo, size):
    page.set_viewport_size(size)
    sign_in(page, "staff01@example.org", DEMO_PASSWORD)  # Ana Álvarez: completed the CHIS cohort
    page.get_by_role("link", name="My learning record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning record")
    totals = page.get_by_role("region", name="Totals")
    # Hours, circles completed, credentials, CE hours (CHIS Levels 1 and 2), grant dollars
    expect(totals.get_by_role("definition")).to_have_text(["6", "1", "2", "36", "$0.00"])
    expect(page.get_by_role("region", name="Credentials and certificates")).to_contain_text(
        "NNLM CHIS Level 1"
    )
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # app.js shows it
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/me/record.csv"
    )
    check_page(page)

    page.get_by_role("link", name=f"Certificate ({CHIS})").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate of completion")
    certificate = page.get_by_role("article")
    expect(certificate).to_contain_text("Ana Álvarez")
    expect(certificate).to_contain_text(CHIS)
    check_page(page)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(certificate).to_be_visible()
    page.emulate_media(media="screen")

    certificate.get_by_role("link", name=re.compile("certificates.verify")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificate check")
    expect(page.get_by_role("main")).to_contain_text("This certificate of completion is valid.")
    expect(page.get_by_role("main")).to_contain_text("Ana Álvarez")
    expect(page.get_by_role("main")).not_to_contain_text("@example.org")
    check_page(page)
