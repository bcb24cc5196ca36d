"""End-to-end, on a desktop and a phone, with two other origins (a library's website and one
that is not listed, each a tiny HTTP server of its own on 127.0.0.1): the admin lists the
library's website, copies the code for the list, and the library's page shows the circles in
its frame, while Chromium refuses the frame on the page of the origin not listed. Axe on the
admin page and on the embed pages themselves."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DESKTOP, PHONE, check_page, flash, sign_in

pytestmark = pytest.mark.e2e


class _Website:
    """A library's website: one page that holds whatever code was pasted into it."""

    def __init__(self) -> None:
        self.pasted = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (
                    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                    "<title>Our library</title></head><body><main><h1>Our library</h1>"
                    f"{site.pasted}</main></body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"


@contextmanager
def _websites(count: int) -> Iterator[list[_Website]]:
    sites = [_Website() for _ in range(count)]
    threads = [
        threading.Thread(target=s.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        for s in sites
    ]
    for thread in threads:
        thread.start()
    try:
        yield sites
    finally:
        for site, thread in zip(sites, threads, strict=True):
            site.server.shutdown()
            site.server.server_close()
            thread.join(timeout=5)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_embed_shows_on_the_listed_website_and_is_refused_on_another(
    new_context, live_server, world, size
):
    circle = world.circle(audience="public", title="Grants together")
    world.circle(audience="staff", title="Staff grants", start_time=dt.time(10))
    with _websites(2) as (library, elsewhere):
        context = new_context(base_url=live_server, viewport=size)
        reached: list[str] = []

        def refuse(route) -> None:
            reached.append(route.request.url)
            route.abort()

        ours = (live_server + "/", library.origin + "/", elsewhere.origin + "/")
        context.route(lambda url: not url.startswith(ours), refuse)
        page = context.new_page()

        # The admin lists the library's website (a path is refused first) and copies the code.
        sign_in(page, "admin@example.org")
        page.goto("/admin/users")
        page.get_by_role("link", name="Embeds for your website").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Embeds for your website")
        expect(page.get_by_text("No website may show the embeds yet")).to_be_visible()
        check_page(page)
        page.get_by_label("Website address").fill(library.origin + "/events")
        page.get_by_role("button", name="Add website").click()
        expect(page.locator("#origin-error")).to_contain_text("Only the website itself")
        check_page(page)
        page.get_by_label("Website address").fill(library.origin.upper() + "/")
        page.get_by_role("button", name="Add website").click()
        expect(flash(page)).to_contain_text(f"{library.origin} may now show the embeds.")
        expect(page.get_by_role("cell", name=library.origin, exact=True)).to_be_visible()
        page.get_by_label("Branch").select_option(label="Main Library")
        page.get_by_role("button", name="Show the code").click()
        code = page.get_by_label("Code for the list").input_value()
        assert code.startswith(f'<iframe src="{live_server}/embed/circles?branch={world.branch}"')
        assert 'title="Upcoming learning circles"' in code
        check_page(page)
        library.pasted = elsewhere.pasted = code

        # The library's page shows the circles in its frame: only the public one.
        page.goto(library.origin + "/")
        frame = page.frame_locator("iframe")
        expect(frame.get_by_role("heading", name="Grants together")).to_be_visible()
        expect(frame.get_by_role("heading", level=1)).to_have_text("Upcoming learning circles")
        join = frame.get_by_role("link", name="Join Grants together (opens in a new tab)")
        expect(join).to_have_attribute("href", f"{live_server}/circles/{circle}")
        expect(join).to_have_attribute("target", "_blank")
        expect(frame.get_by_text("Staff grants")).to_have_count(0)

        # Another website pastes the same code: Chromium refuses the frame (nothing of the
        # app is shown in it), though the app answered.
        with page.expect_response(lambda r: "/embed/circles" in r.url) as answered:
            page.goto(elsewhere.origin + "/")
        assert answered.value.status == 200
        page.wait_for_load_state("load")
        expect(page.get_by_role("heading", name="Our library")).to_be_visible()
        (embedded,) = page.main_frame.child_frames
        assert not embedded.url.startswith(live_server), embedded.url
        expect(frame.get_by_role("heading", name="Grants together")).to_have_count(0)

        # The embed pages themselves: axe clean and no sideways scroll, on this screen.
        page.goto(f"/embed/circles?branch={world.branch}")
        expect(page.get_by_role("heading", name="Grants together")).to_be_visible()
        check_page(page)
        page.goto(f"/embed/circles/{circle}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Grants together")
        expect(
            page.get_by_role("link", name="Join the circle (opens in a new tab)")
        ).to_be_visible()
        check_page(page)
        context.close()
        assert not reached, f"the pages asked for other origins: {reached}"
