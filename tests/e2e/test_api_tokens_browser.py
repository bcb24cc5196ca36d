"""End-to-end, on a desktop and a phone: a branch manager makes a personal API token on their
account page, copies the secret shown once, a client books a room with it over HTTP, the page
then shows when it was last used, and once they revoke it (confirming) the next call is a 401.
Axe on every page of the way."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DESKTOP, PHONE, check_page, flash, sign_in
from tests.factories import next_weekday

pytestmark = pytest.mark.e2e


def post_json(base: str, path: str, secret: str, body: dict) -> tuple[int, dict]:
    """A tool's request to the live server: JSON with the token, no cookie."""
    where = urlsplit(base)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        )
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_token_made_on_the_page_books_a_room_until_it_is_revoked(
    new_context, live_server, world, size
):
    context = new_context(base_url=live_server, viewport=size)
    page = context.new_page()
    sign_in(page, "boss@example.org")
    page.goto("/account")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.get_by_text("You have no tokens yet.")).to_be_visible()
    check_page(page)

    # Make a token that may book rooms; its secret is shown once, to copy.
    page.get_by_label("Name").fill("Room script")
    page.get_by_label("Book rooms, once or weekly").check()
    expect(page.get_by_label("Days until it expires")).to_have_value("90")
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_text("Copy it now: you will not see it again.")).to_be_visible()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert secret.startswith("lc_")
    row = page.get_by_role("row").filter(has_text="Room script")
    expect(row).to_contain_text(secret[:10])
    expect(row).to_contain_text("bookings")
    expect(row).to_contain_text("Never")  # not used yet
    check_page(page)

    # A tool books a room with it.
    body = {
        "room_id": world.room,
        "title": "Budget review",
        "date": next_weekday(2).isoformat(),
        "start_time": "10:00",
        "end_time": "11:00",
    }
    status, answer = post_json(live_server, "/api/v1/bookings", secret, body)
    assert status == 201, answer
    page.goto("/bookings/mine")
    expect(page.get_by_text("Budget review")).to_be_visible()

    # The page shows it was used, and never the secret again; revoking asks first.
    page.goto("/account/tokens")
    row = page.get_by_role("row").filter(has_text="Room script")
    expect(row).not_to_contain_text("Never")
    expect(page.get_by_text(secret)).to_have_count(0)
    row.get_by_role("link", name="Revoke Room script").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke token")
    check_page(page)
    page.get_by_role("button", name="Revoke token").click()
    expect(flash(page)).to_contain_text("The token “Room script” is revoked")
    expect(page.get_by_role("row").filter(has_text="Room script")).to_contain_text("Revoked")
    check_page(page)

    status, answer = post_json(live_server, "/api/v1/bookings", secret, body | {"title": "Again"})
    assert status == 401, answer
    assert answer["error"]["code"] == "unauthorized"
    context.close()
