"""The language switch for visitors (issue 16): on every page, not signed in; the choice kept
in the (signed) session, so a profile's language comes first, then the visitor's choice, then
the browser's; back only to a path of this site; public feeds, which calendar apps and shared
caches keep, follow the browser alone; pages that follow the browser say so (Vary)."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from app.i18n import VISITOR_LANGUAGE
from tests.conftest import csrf_token, login

SWITCH_TO_SPANISH = re.compile(r'<button type="submit" name="locale" value="es"[^>]*lang="es">')
SWITCH_TO_ENGLISH = re.compile(r'<button type="submit" name="locale" value="en"[^>]*lang="en">')


def _browser(app, language: str = "en"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def _lang(client, path: str = "/courses/") -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return re.search(r'<html lang="(\w+)">', page.text).group(1)


def test_a_visitor_switches_and_the_pages_that_follow_keep_it(app, world):
    visitor = _browser(app, "en")
    home = visitor.get("/").text
    assert SWITCH_TO_SPANISH.search(home)  # offered on the page, not signed in
    assert not SWITCH_TO_ENGLISH.search(home)

    response = visitor.post("/language", data={"locale": "es", "next": "/courses/?q=grant"})
    assert (response.status_code, response.headers["Location"]) == (302, "/courses/?q=grant")
    with visitor.session_transaction() as kept:
        assert kept[VISITOR_LANGUAGE] == "es"
    page = visitor.get("/courses/").text
    assert '<html lang="es">' in page  # though the browser asks for English
    assert "Catálogo de cursos gratuitos" in page
    assert SWITCH_TO_ENGLISH.search(page)  # the way back
    assert _lang(visitor, f"/circles/{world.circle(audience='public')}") == "es"

    # Not a language of the app, or a link elsewhere: nothing changes, home it is.
    for next_ in ("//elsewhere.example/", "https://elsewhere.example/", "/\\elsewhere.example"):
        response = visitor.post("/language", data={"locale": "fr", "next": next_})
        assert response.headers["Location"] == "/"
    assert _lang(visitor) == "es"

    # And back to English, whatever the browser says.
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    visitor.post("/language", data={"locale": "en"})
    assert _lang(visitor) == "en"


def test_a_profile_comes_before_a_visitors_choice(app, world):
    member = _browser(app, "es")
    login(member, "pat@example.org")  # Pat's profile: English
    with member.session_transaction() as kept:
        kept[VISITOR_LANGUAGE] = "es"
    assert _lang(member) == "en"
    # The switch, signed in, goes to the profile (and so to Pat's emails), as before.
    member.post("/language", data={"locale": "es"})
    with member.session_transaction() as kept:
        kept[VISITOR_LANGUAGE] = "en"
    assert _lang(member) == "es"


def test_pages_that_follow_the_browser_vary_by_it(app, world):
    visitor = _browser(app, "es")
    page = visitor.get("/courses/")
    assert '<html lang="es">' in page.text
    assert {"Accept-Language", "Cookie"} <= set(page.vary)
    assert page.headers["Cache-Control"] == "no-store"


def _descriptions(response) -> set[str]:
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    return {str(event["DESCRIPTION"]).split("\n")[0] for event in calendar.walk("VEVENT")}


def test_a_public_feed_follows_the_browser_not_the_switch(app, world):
    circle_id = world.circle(audience="public")
    course = "Course: Grant Writing Basics (NNLM)"
    visitor = _browser(app, "en")
    visitor.post("/language", data={"locale": "es"})
    assert _lang(visitor) == "es"
    feed = visitor.get(f"/circles/{circle_id}/calendar.ics")
    assert _descriptions(feed) == {course}
    assert "Accept-Language" in feed.vary
    assert feed.headers["Cache-Control"] == "public, max-age=300"
    spanish = _browser(app, "es").get(f"/circles/{circle_id}/calendar.ics")
    assert _descriptions(spanish) == {"Curso: Grant Writing Basics (NNLM)"}
    assert spanish.headers["ETag"] != feed.headers["ETag"]  # kept apart by caches too


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_switch_needs_the_pages_token(self, app, world):
        visitor = _browser(app, "en")
        page = visitor.get("/courses/").text
        refused = visitor.post("/language", data={"locale": "es"})
        assert refused.status_code == 400
        assert _lang(visitor) == "en"
        response = visitor.post(
            "/language", data={"locale": "es", "next": "/", "csrf_token": csrf_token(page)}
        )
        assert (response.status_code, response.headers["Location"]) == (302, "/")
        assert _lang(visitor) == "es"
