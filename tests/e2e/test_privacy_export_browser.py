"""End-to-end, on a desktop and a phone, axe on every page: a participant opens their account,
downloads their data (a zip that holds their places in circles), then an administrator opens
the personal-data log from the People page and sees that download there."""

from __future__ import annotations

import json
import zipfile

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import DESKTOP, PHONE, check_page, sign_in, sign_out
from tests.factories import enroll

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_participant_downloads_their_data_and_the_admin_sees_it_logged(
    page: Page, app, world, size
):
    page.set_viewport_size(size)
    circle = world.circle(audience="public", title="Grants together")
    enroll(app, circle, "Pat", "pat@example.org")

    sign_in(page, "pat@example.org")
    page.goto("/account")
    page.get_by_role("link", name="Download my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    check_page(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the zip file").click()
    download = download_info.value
    assert download.suggested_filename.startswith("my-data-")
    with zipfile.ZipFile(download.path()) as archive:
        assert "enrollments.csv" in archive.namelist()
        data = json.loads(archive.read("data.json"))
    assert [e["circle"] for e in data["enrollments"]] == ["Grants together"]
    assert data["profile"]["email"] == "pat@example.org"
    sign_out(page)

    sign_in(page, "admin@example.org")
    page.goto("/admin/users")
    page.get_by_role("link", name="Personal data access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Personal data access")
    rows = page.get_by_role("region", name="Personal data access").get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the download
    expect(rows.nth(1)).to_contain_text("Exported")
    expect(rows.nth(1)).to_contain_text("All their data (zip)")
    expect(rows.nth(1)).to_contain_text("Pat")
    check_page(page)
