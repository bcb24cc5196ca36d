"""Headers, CSRF, error pages, cookies."""

from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from app.extensions import csrf, db
from tests.conftest import csrf_token, login


def test_security_headers_on_every_page(client):
    for path in ("/", "/login", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert len(headers["X-Request-ID"]) >= 16


def test_pages_have_no_inline_script(client, factory):
    factory.user("admin@example.org", is_admin=True)
    login(client, "admin@example.org")
    for path in ("/", "/branches/", "/admin/users", "/account"):
        html = client.get(path).text
        assert "<script>" not in html
        assert " onclick=" not in html


def test_session_cookie_flags(client, factory):
    factory.user("ana@example.org")
    response = login(client, "ana@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookie_in_production(database_url, tmp_path, password_hash):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    try:
        client.get("/login")
        response = client.get("/")
    finally:
        with app.app_context():  # no connection left for a later test's warnings
            db.engine.dispose()
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# The one POST without a CSRF token: RFC 8058 one-click unsubscribe, which a mail client sends
# with no session or page; the signed token in its address authorises it.
CSRF_EXEMPT = {
    "digest.unsubscribe",
    # The write API reads no cookie, only a Bearer token (a browser session alone is a 401:
    # tests/test_api_write.py), so there is nothing for a cross-site form to ride on.
    "api.join",
    "api.withdraw",
    "api.book",
    "api.take_attendance",
    "api.record_outcome",
}


def test_only_the_one_click_unsubscribe_is_exempt_from_csrf(app):
    exempt = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if f"{app.view_functions[rule.endpoint].__module__}.{rule.endpoint.rsplit('.', 1)[-1]}"
        in csrf._exempt_views
    }
    assert exempt == CSRF_EXEMPT


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_every_post_endpoint_requires_a_csrf_token(self, app, factory):
        factory.user("admin@example.org", is_admin=True)
        client = app.test_client()
        page = client.get("/login").text
        client.post(
            "/login",
            data={
                "email": "admin@example.org",
                "password": "correct horse battery",
                "csrf_token": csrf_token(page),
            },
        )
        assert client.get("/account").status_code == 200
        posts = []
        with app.test_request_context():
            for rule in app.url_map.iter_rules():
                if "POST" in rule.methods and rule.endpoint not in CSRF_EXEMPT:
                    values = {
                        name: 1 if isinstance(conv, IntegerConverter) else "x"
                        for name, conv in rule._converters.items()
                    }
                    posts.append(url_for(rule.endpoint, **values))
        assert len(posts) >= 10
        for path in posts:
            response = client.post(path, data={"name": "x"})
            assert response.status_code == 400, path
            assert "Your form expired" in response.text
        assert client.get("/account").status_code == 200  # the logout POST did nothing

    def test_forms_carry_the_token(self, app, factory):
        factory.user("ana@example.org")
        client = app.test_client()
        token = csrf_token(client.get("/login").text)
        response = client.post(
            "/login",
            data={
                "email": "ana@example.org",
                "password": "correct horse battery",
                "csrf_token": token,
            },
        )
        assert response.status_code == 302


def test_404_page(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Traceback" not in response.text


@pytest.mark.own_app  # adds a route
def test_500_page_hides_the_error_and_shows_a_reference(app, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.is_public = True
    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-12345"})
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "req-12345" in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert "secret internals" in caplog.text  # but it is logged


def test_api_errors_are_json(client):
    response = client.get("/api/nothing")
    # Anonymous: the deny-by-default hook answers first for non-public paths, but a
    # missing route is a plain 404 as a JSON error.
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_request_id_from_proxy_is_kept_only_if_sane(client):
    assert client.get("/", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    bad = client.get("/", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert bad != "<script>"
