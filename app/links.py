"""Addresses that leave the app — in emails, feeds, .ics files and secret links shown once —
are built from the configured ``BASE_URL`` and never from the request's ``Host`` header, so a
forged header cannot put an attacker's host into a password-reset email or a cached feed.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import current_app

from app.calendar.feeds import Links


def base_url() -> str:
    return current_app.config["BASE_URL"]


def host() -> str:
    """The host name that makes calendar UIDs unique (``meeting-7@<host>``)."""
    return urlsplit(base_url()).hostname or "localhost"


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for ``endpoint`` under ``BASE_URL``, the same in and out of a request."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def feed_links() -> Links:
    return Links(host=host(), circle_url=lambda cid: external_url("circles.circle", circle_id=cid))


def subscribe_links(https_url: str, name: str) -> dict[str, str]:
    """Ways to subscribe to a feed: its https link, webcal://, Google and Outlook."""
    webcal = "webcal://" + https_url.split("://", 1)[1]
    return {
        "https": https_url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?url="
        + quote(https_url, safe="")
        + "&name="
        + quote(name, safe=""),
    }
