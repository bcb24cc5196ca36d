"""Browser tests: the app runs on a real HTTP server on 127.0.0.1 (CSRF on, as in production)
and headless Chromium (Debian's /usr/bin/chromium) drives it through pytest-playwright.

The ``app``, ``factory`` and ``query`` fixtures of tests/conftest.py work here as everywhere,
so each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext
from werkzeug.serving import make_server

from tests.conftest import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def app_config() -> dict:
    """Forms carry real CSRF tokens; links point at the live server (its port is set there)."""
    return {"WTF_CSRF_ENABLED": True, "SERVER_NAME": None, "BASE_URL": "http://127.0.0.1"}


E2E = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each browser journey runs once per screen, not once per screen and database: on the
    desktop with SQLite (what `make run` serves) and on the phone with PostgreSQL (what
    production runs). A journey that walks both screens itself runs on PostgreSQL. Every
    other test still runs on both databases; this halves the browser time, the larger part
    of the suite."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if E2E not in item.path.parents or callspec is None:
            keep.append(item)
            continue
        ids = callspec.id.split("-")
        database = "postgresql" if "postgresql" in ids else "sqlite"
        screen = "phone" if "phone" in ids else "desktop" if "desktop" in ids else None
        wanted = {"desktop": "sqlite", "phone": "postgresql", None: "postgresql"}[screen]
        (keep if database == wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _buffered(app: Flask):
    """Hand the server whole bodies and close each response at once.

    When the browser drops a connection mid-write (it navigates away while a static file is
    still streaming), werkzeug's dev server can skip closing the response, and the open file
    surfaces later as a ResourceWarning in whatever test is running. Production runs gunicorn.
    """

    def wsgi(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

    return wsgi


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    # A short poll interval makes shutdown() quick: it waits for the loop to notice.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="e2e-live-server",
        daemon=True,
    )
    thread.start()
    base = app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch arguments, with Debian's Chromium, headless unless --headed."""
    if not CHROMIUM.exists():
        message = f"Chromium not installed: apt-get install chromium (no {CHROMIUM})"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """No fixed base URL: each test's live server picks a free port (see ``context``)."""
    return None


@pytest.fixture
def context(live_server: str, new_context) -> Iterator[BrowserContext]:
    """pytest-playwright's context, pointed at the live server and kept off the network.

    Requesting ``live_server`` first means the browser context closes before the server stops.
    Any request for another origin is aborted and fails the test.
    """
    context = new_context(base_url=live_server)
    elsewhere: list[str] = []

    def refuse(route) -> None:
        elsewhere.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(live_server + "/"), refuse)
    yield context
    assert not elsewhere, f"the pages asked for other origins: {elsewhere}"
