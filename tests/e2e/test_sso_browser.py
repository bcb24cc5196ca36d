"""End-to-end: a member of staff signs in with the library's identity provider (issue 16), a real
OpenID provider on 127.0.0.1 (tests/test_sso.py's), where staff passwords are turned off: the
password is refused with a pointer to the button, the button leads to the provider's page and
back, signed in; signing out ends the session here and goes on to the provider's sign-out,
which sends the browser back to the sign-in page. Desktop and phone, axe on the app's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.helpers import DESKTOP, PHONE, check_page, flash, sign_in
from tests.test_sso import CLIENT_ID, Provider

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    server = Provider()
    yield server
    server.close()


@pytest.fixture
def app_config(provider) -> dict:
    return {
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
        "BASE_URL": "http://127.0.0.1",
        "SSO_DISCOVERY_URL": provider.discovery,
        "SSO_CLIENT_ID": CLIENT_ID,
        "SSO_CLIENT_SECRET": "s3cret",
        "SSO_NAME": "Library ID",
        "SSO_REQUIRED_FOR_STAFF": True,
    }


@pytest.fixture
def context(live_server: str, provider, new_context) -> Iterator[BrowserContext]:
    """As tests/e2e/conftest.py's, with the provider's origin allowed too. The provider's own
    pages ask a CDN for a stylesheet: refused quietly (they work without it)."""
    context = new_context(base_url=live_server)
    elsewhere: list[str] = []

    def refuse(route) -> None:
        if not route.request.frame.url.startswith(provider.url + "/"):
            elsewhere.append(route.request.url)
        route.abort()

    allowed = (live_server + "/", provider.url + "/")
    context.route(lambda url: not url.startswith(allowed), refuse)
    yield context
    assert not elsewhere, f"the app's pages asked for other origins: {elsewhere}"


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_staff_sign_in_with_the_library_s_identity_provider(
    page: Page, factory, provider, live_server, size
):
    page.set_viewport_size(size)
    factory.user("lee@library.org", name="Lee Park", is_facilitator=True)
    provider.person("lee-7", email="Lee@Library.org", email_verified=True, name="Lee Park")

    # Her old password is refused, and the page says which way to go.
    sign_in(page, "lee@library.org")  # checks the sign-in page with axe
    expect(page.get_by_role("main")).to_contain_text(
        "Staff sign in with the library's single sign-on: use the “Sign in with Library ID” button."
    )
    check_page(page)

    # The button: to the provider's page, and back signed in.
    page.get_by_role("link", name="Sign in with Library ID").click()
    expect(page).to_have_url(re.compile(re.escape(provider.url + "/oauth2/authorize")))
    page.get_by_placeholder("sub").fill("lee-7")
    page.get_by_role("button", name="Authorize").click()
    expect(flash(page)).to_have_text("Welcome, Lee Park.")
    assert page.url == live_server + "/"
    expect(page.get_by_role("main")).to_contain_text("Signed in as Lee Park")
    check_page(page)

    # Signing out: here, then at the provider, and back to the sign-in page.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(provider.url + "/oauth2/end_session")))
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(re.compile(re.escape(live_server + "/login")))
    expect(page.get_by_role("link", name="Sign in with Library ID")).to_be_visible()
    check_page(page)
    page.goto("/account")
    expect(page).to_have_url(re.compile(re.escape(live_server + "/login?next=")))
