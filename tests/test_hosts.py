"""Nothing in the request decides what others receive: links in emails, feeds and .ics files
come from BASE_URL, unknown Host headers are refused, and the feed cache is keyed by all that
shapes its bytes (security finding 1 and 4)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from app import create_app
from app.extensions import db
from app.models import Branch, OutboxMessage, User
from tests.conftest import make_app


@pytest.fixture
def app_config() -> dict:
    # One more name the app answers to (as behind an internal load balancer): requests
    # may arrive under it, but links must still use the configured base URL.
    return {"BASE_URL": "https://circles.example.org", "TRUSTED_HOSTS": ["circles.test"]}


def test_unknown_host_is_refused(client):
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login").status_code == 200


def test_reset_link_uses_the_base_url_not_the_host_header(client, factory, query):
    factory.user("ana@example.org")
    response = client.post("/password/forgot", data={"email": "ana@example.org"})
    assert response.status_code == 302
    body = query(lambda: db.session.scalars(sa.select(OutboxMessage.body)).one())
    assert "https://circles.example.org/password/reset/" in body
    assert "circles.test" not in body


def test_forged_host_cannot_reach_the_password_reset(client, factory, query):
    factory.user("ana@example.org")
    response = client.post(
        "/password/forgot", data={"email": "ana@example.org"}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 400
    assert query(lambda: db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))) == 0


def test_feed_links_and_uids_use_the_base_url(client, world):
    circle_id = world.circle(audience="public")
    body = client.get(f"/circles/{circle_id}/calendar.ics").data
    events = Calendar.from_ical(body).walk("VEVENT")
    assert events
    for event in events:
        assert str(event["UID"]).endswith("@circles.example.org")
        assert str(event["URL"]) == f"https://circles.example.org/circles/{circle_id}"
    assert b"circles.test" not in body


def test_feed_cache_follows_the_base_url(app, client, world):
    """A cached feed rendered under one base URL is never served under another."""
    circle_id = world.circle(audience="public")
    first = client.get(f"/circles/{circle_id}/calendar.ics")
    app.config["BASE_URL"] = "https://learning.example.org"
    second = client.get(f"/circles/{circle_id}/calendar.ics")
    assert second.headers["ETag"] != first.headers["ETag"]
    assert b"learning.example.org" in second.data
    assert b"circles.example.org" not in second.data


def test_feed_cache_follows_renamed_branches_and_facilitators(client, world, query):
    circle_id = world.circle(audience="public")
    path = f"/circles/{circle_id}/calendar.ics"
    first = client.get(path)

    def rename():
        db.session.scalars(sa.select(Branch)).first().name = "Renamed Branch"
        db.session.commit()

    query(rename)
    second = client.get(path)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert b"Renamed Branch" in second.data

    def rename_lead():
        for user in db.session.scalars(sa.select(User)):
            user.name = f"{user.name} Jr"
        db.session.commit()

    query(rename_lead)
    third = client.get(path)
    assert third.headers["ETag"] != second.headers["ETag"]
    events = Calendar.from_ical(third.data).walk("VEVENT")
    assert events
    assert all(" Jr" in str(event["DESCRIPTION"]) for event in events)


def test_production_refuses_to_start_without_a_base_url(database_url, tmp_path):
    with pytest.raises(RuntimeError, match="BASE_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
    with pytest.raises(RuntimeError, match="BASE_URL"):
        make_app(database_url, tmp_path, BASE_URL="javascript:alert(1)")


def test_links_outside_a_request_use_the_base_url(app):
    from app.links import external_url

    with app.app_context():
        assert external_url("circles.circle", circle_id=7) == (
            "https://circles.example.org/circles/7"
        )


def test_proxy_fix_sees_the_client_behind_the_configured_proxies(database_url, tmp_path):
    seen = []
    app = make_app(database_url, tmp_path, PROXY_COUNT=1)

    @app.get("/_remote")
    def _remote():
        from flask import request

        seen.append(request.remote_addr)
        return "ok"

    from app.auth.permissions import public

    public(_remote)
    client = app.test_client()
    client.get(
        "/_remote",
        headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    # One proxy: only its own entry (the last) is trusted; the rest could be forged.
    assert seen == ["203.0.113.9"]
