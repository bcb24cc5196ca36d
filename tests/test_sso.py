"""Staff single sign-on (app/auth/sso*.py) against a real OpenID provider on 127.0.0.1: the
``oidc-provider-mock`` package, which signs ID tokens with its own key, publishes it, and lets
a test sign in any subject with the claims it gives it. The app reaches it over HTTP as it
would reach Entra ID or Keycloak; nothing of the app is mocked.

Refusals that a well-behaved provider never produces (an ID token signed with another key)
come from a small WSGI layer in front of the same provider that re-signs its answer."""

from __future__ import annotations

import datetime as dt
import html
import json
import threading
import warnings
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from joserfc import jws, jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import User
from tests.conftest import login

CLIENT_ID = "circles-app"

# The provider (in this process, on its own threads) still calls Authlib's older server API.
pytestmark = [
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


class _Forger:
    """In front of the provider: while ``key`` is set, the ID token of each token answer is
    signed again with it, under the provider's own key id (a signature the app must refuse)."""

    def __init__(self, app):
        self.app = app
        self.key: RSAKey | None = None

    def __call__(self, environ, start_response):
        if self.key is None or environ.get("PATH_INFO") != "/oauth2/token":
            return self.app(environ, start_response)
        response = Response.from_app(self.app, environ)
        token = json.loads(response.get_data())
        if "id_token" in token:
            signed = jws.extract_compact(token["id_token"].encode())
            token["id_token"] = jwt.encode(signed.headers(), json.loads(signed.payload), self.key)
            response.set_data(json.dumps(token))
        return response(environ, start_response)


class Provider:
    def __init__(self, **options):
        with warnings.catch_warnings():  # it imports Authlib's deprecated modules
            warnings.simplefilter("ignore", DeprecationWarning)
            import oidc_provider_mock

        self.forger = _Forger(oidc_provider_mock.app(require_nonce=True, **options))
        self.httpd = make_server("127.0.0.1", 0, self.forger, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def discovery(self) -> str:
        return self.url + "/.well-known/openid-configuration"

    def person(self, sub: str, **claims) -> str:
        """The provider's user ``sub`` with these claims (its answer to the next sign-in)."""
        answer = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        assert answer.status_code == 204
        return sub

    def authorize(self, authorize_url: str, sub: str) -> str:
        """The person signs in at the provider; returns where it sends the browser back."""
        assert authorize_url.startswith(self.url + "/oauth2/authorize?")
        answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def close(self) -> None:
        self.httpd.shutdown()
        self.thread.join()


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    server = Provider()
    yield server
    server.close()


@pytest.fixture
def app_config(provider) -> dict:
    return {
        "SSO_DISCOVERY_URL": provider.discovery,
        "SSO_CLIENT_ID": CLIENT_ID,
        "SSO_CLIENT_SECRET": "s3cret",
        "SSO_NAME": "Library ID",
    }


@pytest.fixture(autouse=True)
def _genuine_tokens(provider):
    provider.forger.key = None
    yield
    provider.forger.key = None


def _start(client, next_path: str | None = None) -> str:
    response = client.get("/login/sso", query_string={"next": next_path} if next_path else {})
    assert response.status_code == 302
    return response.headers["Location"]


def _back(client, location: str):
    """The browser arrives back at the app: the address must be under BASE_URL."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == "http://circles.test", location
    return client.get(parts.path, query_string=parts.query)


def sso_sign_in(client, provider: Provider, sub: str, next_path: str | None = None):
    return _back(client, provider.authorize(_start(client, next_path), sub))


def _page(response) -> str:
    return html.unescape(response.text)


def _refused_with(client, response, message: str) -> None:
    """Refused: back on the sign-in page with ``message``, and not signed in."""
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = client.get("/login")
    assert message in _page(page)
    assert "Sign in with Library ID" in page.text  # the way to try again
    assert client.get("/account").status_code == 302


def _people(app) -> list[tuple[str, str, bool, bool]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, User.name, User.is_facilitator, User.password_hash.is_(None))
        )
        return sorted(tuple(row) for row in rows)


# --- signing in -----------------------------------------------------------------------------


def test_the_sign_in_page_shows_the_button_only_when_configured(client, app):
    page = client.get("/login?next=%2Fcircles").text
    assert 'href="/login/sso?next=/circles">Sign in with Library ID</a>' in page
    app.config["SSO_DISCOVERY_URL"] = ""
    page = client.get("/login").text
    assert "Sign in with" not in page
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback").status_code == 404


def test_the_provider_is_asked_with_a_redirect_address_from_base_url(client, provider):
    authorize = urlsplit(_start(client))
    asked = parse_qs(authorize.query)
    assert asked["redirect_uri"] == ["http://circles.test/login/sso/callback"]
    assert asked["client_id"] == [CLIENT_ID]
    assert set(asked["scope"][0].split()) == {"openid", "email", "profile"}
    assert asked["nonce"]
    assert asked["state"]
    assert asked["code_challenge_method"] == ["S256"]
    # A forged Host header changes nothing of it.
    forged = client.get("/login/sso", headers={"Host": "evil.example"})
    assert forged.status_code in (302, 400)
    if forged.status_code == 302:
        assert "evil.example" not in forged.headers["Location"]


def test_a_first_sign_in_makes_the_account_and_the_second_finds_it(client, app, provider):
    sub = provider.person(
        "u-ana", email="Ana.Ruiz@Library.org", email_verified=True, name="Ana Ruiz"
    )
    response = sso_sign_in(client, provider, sub, next_path="/circles")
    assert response.status_code == 302
    assert response.headers["Location"] == "/circles"
    assert "Welcome, Ana Ruiz." in client.get("/").text
    assert _people(app) == [("ana.ruiz@library.org", "Ana Ruiz", False, True)]  # participant
    client.post("/logout")

    response = sso_sign_in(client, provider, sub)
    assert response.headers["Location"] == "/"
    assert client.get("/account").status_code == 200
    assert _people(app) == [("ana.ruiz@library.org", "Ana Ruiz", False, True)]  # the same one


def test_an_existing_password_account_with_that_email_is_the_same_person(
    client, app, factory, provider
):
    user_id = factory.user("lee@library.org", name="Lee Park", is_facilitator=True)
    sub = provider.person("u-lee", email="LEE@library.org", email_verified=True, name="L. Park")
    assert sso_sign_in(client, provider, sub).status_code == 302
    with client.session_transaction() as session:
        assert session["_user_id"].startswith(f"{user_id}:")
    assert _people(app) == [("lee@library.org", "Lee Park", True, False)]  # kept as it was
    client.post("/logout")
    assert login(client, "lee@library.org").status_code == 302  # the password still works


def test_entra_ids_verified_domain_claim_stands_in_for_email_verified(client, app, provider):
    """Entra ID sends no email_verified; its optional claim xms_edov counts when that is
    missing (never over an email_verified false: see the refusals)."""
    sub = provider.person("u-entra", email="kai@library.org", xms_edov=True, name="Kai")
    assert sso_sign_in(client, provider, sub).headers["Location"] == "/"
    client.post("/logout")
    other = provider.person("u-no", email="no@library.org", email_verified=False, xms_edov=True)
    _refused_with(client, sso_sign_in(client, provider, other), UNVERIFIED)
    assert _people(app) == [("kai@library.org", "Kai", False, True)]


def test_a_name_is_made_from_the_given_and_family_names(client, app, provider):
    sub = provider.person(
        "u-jo", email="jo@library.org", email_verified=True, given_name="Jo", family_name="Kim"
    )
    sso_sign_in(client, provider, sub)
    assert _people(app) == [("jo@library.org", "Jo Kim", False, True)]


def test_new_accounts_take_the_default_role(client, app, provider):
    app.config["SSO_DEFAULT_ROLE"] = "facilitator"
    sub = provider.person("u-fac", email="fac@library.org", email_verified=True, name="Fa C")
    sso_sign_in(client, provider, sub)
    assert _people(app) == [("fac@library.org", "Fa C", True, True)]


def test_groups_make_facilitators_and_branch_managers(client, app, factory, provider):
    main = factory.branch("Main Library", slug="main")
    factory.branch("North", slug="north")
    app.config.update(
        SSO_GROUPS_CLAIM="groups",
        SSO_GROUP_ROLES={
            "lib-facilitators": "facilitator",
            "main-managers": "manager:main",
            "gone-managers": "manager:closed-branch",  # no such branch: skipped
        },
    )
    sub = provider.person(
        "u-max",
        email="max@library.org",
        email_verified=True,
        name="Max",
        groups=["lib-facilitators", "main-managers", "gone-managers", "book-club"],
    )
    assert sso_sign_in(client, provider, sub).headers["Location"] == "/"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "max@library.org"))
        assert user.is_facilitator
        assert not user.is_admin
        assert [b.id for b in user.managed_branches] == [main]
    assert client.get(f"/branches/{main}").status_code == 200  # the manager's page

    other = provider.person("u-eve", email="eve@library.org", email_verified=True, groups=["x"])
    client.post("/logout")
    sso_sign_in(client, provider, other)
    with app.app_context():
        eve = db.session.scalar(sa.select(User).where(User.email == "eve@library.org"))
        assert not eve.is_facilitator
        assert eve.managed_branches == []


# --- refusals -------------------------------------------------------------------------------

UNVERIFIED = "Your identity provider has not confirmed your email address"
NOT_VERIFIED = "The answer from Library ID could not be verified, so you are not signed in."


@pytest.mark.parametrize("verified", [False, None, "false"], ids=["false", "missing", "text"])
def test_an_unverified_email_is_refused(client, app, factory, provider, verified):
    factory.user("ana@library.org", name="Ana")
    claims = {"email": "ana@library.org", "name": "Impostor"}
    if verified is not None:
        claims["email_verified"] = verified
    sub = provider.person(f"u-unverified-{verified}", **claims)
    before = _people(app)
    _refused_with(client, sso_sign_in(client, provider, sub), UNVERIFIED)
    assert _people(app) == before  # nothing made, nothing changed
    new = provider.person("u-new", email="new@library.org", email_verified=False)
    _refused_with(client, sso_sign_in(client, provider, new), UNVERIFIED)
    assert _people(app) == before


def test_an_inactive_account_is_refused(client, app, factory, provider):
    factory.user("old@library.org", active=False)
    sub = provider.person("u-old", email="old@library.org", email_verified=True)
    _refused_with(client, sso_sign_in(client, provider, sub), "This account is switched off.")


def test_a_tampered_state_is_refused(client, app, provider):
    sub = provider.person("u-st", email="st@library.org", email_verified=True)
    back = provider.authorize(_start(client), sub)
    state = parse_qs(urlsplit(back).query)["state"][0]
    tampered = back.replace(f"state={state}", "state=" + "A" * len(state))
    message = "That sign-in was not started from this browser, or it has expired."
    _refused_with(client, _back(client, tampered), message)
    assert _people(app) == []
    # The control: the genuine answer, unchanged, signs in.
    assert _back(client, back).headers["Location"] == "/"
    assert _people(app) == [("st@library.org", "st", False, True)]


def test_an_answer_to_another_browser_s_sign_in_is_refused(client, app, provider):
    """A code from someone else's sign-in, delivered with this browser's own state: the ID
    token's nonce is not the one this browser asked for."""
    sub = provider.person("u-n", email="n@library.org", email_verified=True)
    mine = _start(client)
    theirs = provider.authorize(_start(app.test_client()), sub)
    my_state = parse_qs(urlsplit(mine).query)["state"][0]
    code = parse_qs(urlsplit(theirs).query)["code"][0]
    response = client.get("/login/sso/callback", query_string={"code": code, "state": my_state})
    _refused_with(client, response, NOT_VERIFIED)
    assert _people(app) == []


def test_an_id_token_signed_with_another_key_is_refused(client, app, provider):
    sub = provider.person("u-sig", email="sig@library.org", email_verified=True)
    kid = requests.get(provider.url + "/jwks", timeout=5).json()["keys"][0].get("kid")
    provider.forger.key = RSAKey.generate_key(2048, parameters={"kid": kid} if kid else None)
    _refused_with(client, sso_sign_in(client, provider, sub), NOT_VERIFIED)
    assert _people(app) == []
    provider.forger.key = None  # the control: the same person, genuinely signed, gets in
    assert sso_sign_in(client, provider, sub).headers["Location"] == "/"


def test_an_expired_id_token_is_refused(client, app):
    stale = Provider(access_token_max_age=dt.timedelta(hours=-1))  # issued already expired
    try:
        app.config["SSO_DISCOVERY_URL"] = stale.discovery
        sub = stale.person("u-exp", email="exp@library.org", email_verified=True)
        _refused_with(client, sso_sign_in(client, stale, sub), NOT_VERIFIED)
        assert _people(app) == []
    finally:
        stale.close()


def test_a_provider_that_cannot_be_reached_is_said(client, app):
    app.config["SSO_DISCOVERY_URL"] = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.get("/login/sso")
    _refused_with(client, response, "Library ID could not be reached, so you are not signed in.")


def test_a_sign_in_cancelled_at_the_provider_is_said(client, app, provider):
    authorize = _start(client)
    answer = requests.post(authorize, data={"action": "deny"}, allow_redirects=False, timeout=5)
    response = _back(client, answer.headers["Location"])
    _refused_with(client, response, "Library ID did not sign you in")


def test_refused_callbacks_are_rate_limited(client, app, provider):
    app.config["LOGIN_IP_LIMITS"] = "3 per minute"
    for _ in range(3):
        assert client.get("/login/sso/callback?code=x&state=y").status_code == 302
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 429


# --- local passwords off for staff ---------------------------------------------------------------


def test_staff_passwords_off_points_staff_to_the_button(client, app, factory, provider):
    app.config["SSO_REQUIRED_FOR_STAFF"] = True
    factory.user("fac@library.org", is_facilitator=True)
    factory.user("boss@library.org", manages=[factory.branch()])
    factory.user("pat@library.org")
    for staff in ("fac@library.org", "boss@library.org"):
        response = login(client, staff)
        assert response.status_code == 200
        assert "Staff sign in with the library's single sign-on: use the “Sign in with " in (
            _page(response)
        )
        assert client.get("/account").status_code == 302
    wrong = login(client, "fac@library.org", "wrong password!!")
    assert "That email and password do not match an account." in wrong.text  # says nothing more
    assert login(client, "pat@library.org").headers["Location"] == "/"  # participants keep theirs
    client.post("/logout")
    sub = provider.person("u-fac", email="fac@library.org", email_verified=True)
    assert sso_sign_in(client, provider, sub).headers["Location"] == "/"
    app.config["SSO_REQUIRED_FOR_STAFF"] = False
    client.post("/logout")
    assert login(client, "fac@library.org").status_code == 302


def test_staff_asking_for_a_reset_are_told_to_use_the_button(client, app, factory, query):
    """With staff passwords off, a reset link would set a password that does not work: staff
    are told the way in instead (the page says the same as ever: nothing about the account)."""
    from app.models import OutboxMessage

    app.config["SSO_REQUIRED_FOR_STAFF"] = True
    factory.user("fac@library.org", name="Fa", is_facilitator=True, locale="es")
    factory.user("pat@library.org", name="Pat")
    for email in ("fac@library.org", "pat@library.org"):
        page = client.post("/password/forgot", data={"email": email}, follow_redirects=True)
        assert "a reset link is on its way" in page.text
    sent = query(
        lambda: [
            (m.to, m.subject, m.body)
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    )
    assert [to for to, _, _ in sent] == ["fac@library.org", "pat@library.org"]
    (_, subject, body), (_, _, reset) = sent
    assert subject == "Cómo iniciar sesión en Learning Circles"  # in the reader's language
    assert "“Iniciar sesión con Library ID”" in body
    assert "http://circles.test/login" in body
    assert "/password/reset/" not in body
    assert "http://circles.test/password/reset/" in reset


def test_group_roles_read_from_the_environment(database_url, tmp_path, provider, monkeypatch):
    from tests.conftest import make_app

    monkeypatch.setenv("SSO_GROUPS_CLAIM", "groups")
    monkeypatch.setenv("SSO_GROUP_ROLES", "lib-facilitators=facilitator, main-mgrs = manager:main")
    monkeypatch.setenv("SSO_REQUIRED_FOR_STAFF", "true")
    config = make_app(database_url, tmp_path, **_complete(provider)).config
    assert config["SSO_GROUP_ROLES"] == {
        "lib-facilitators": "facilitator",
        "main-mgrs": "manager:main",
    }
    assert config["SSO_REQUIRED_FOR_STAFF"] is True


# --- signing out --------------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_goes_on_to_the_provider(client, app, provider):
    sub = provider.person("u-out", email="out@library.org", email_verified=True, name="Out")
    sso_sign_in(client, provider, sub)
    with client.session_transaction() as session:
        copied = dict(session)
    response = client.post("/logout")
    assert response.status_code == 200
    page = _page(response)
    assert "You are signed out." in page
    link = urlsplit(page.split('<meta http-equiv="refresh" content="0; url=')[1].split('"')[0])
    assert f"{link.scheme}://{link.netloc}{link.path}" == provider.url + "/oauth2/end_session"
    asked = parse_qs(link.query)
    assert asked["post_logout_redirect_uri"] == ["http://circles.test/login"]
    assert asked["client_id"] == [CLIENT_ID]
    assert "Sign out of Library ID" in page
    assert client.get("/account").status_code == 302
    # A copy of the old cookie is signed out too (the session version moved on).
    other = app.test_client()
    with other.session_transaction() as session:
        session.update(copied)
    assert other.get("/account").status_code == 302
    # The provider's sign-out page sends the browser back to the app's sign-in page.
    form = requests.get(link.geturl(), timeout=5)
    assert form.status_code == 200
    back = requests.post(
        provider.url + "/oauth2/end_session/confirm",
        data={"redirect_uri": asked["post_logout_redirect_uri"][0]},
        allow_redirects=False,
        timeout=5,
    )
    assert back.headers["Location"] == "http://circles.test/login"


def test_sign_out_when_the_provider_cannot_be_reached_still_signs_out_here(client, app, provider):
    sub = provider.person("u-gone", email="gone@library.org", email_verified=True)
    sso_sign_in(client, provider, sub)
    app.config["SSO_DISCOVERY_URL"] = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302


def test_a_password_sign_out_stays_here(client, factory):
    factory.user("pw@library.org")
    login(client, "pw@library.org")
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_settings_halfway_refuse_to_start(database_url, tmp_path, provider):
    from tests.conftest import make_app

    halfway = [
        {"SSO_DISCOVERY_URL": provider.discovery},  # no client
        {"SSO_REQUIRED_FOR_STAFF": True},  # staff locked out
        {**_complete(provider), "SSO_DISCOVERY_URL": "http://idp.example/.well-known/x"},
        {**_complete(provider), "SSO_DEFAULT_ROLE": "admin"},
        {**_complete(provider), "SSO_GROUPS_CLAIM": "g", "SSO_GROUP_ROLES": {"a": "admin"}},
        {**_complete(provider), "SSO_GROUP_ROLES": {"a": "facilitator"}},  # no claim named
    ]
    for settings in halfway:
        with pytest.raises(RuntimeError):
            make_app(database_url, tmp_path, **settings)
    assert make_app(database_url, tmp_path, **_complete(provider)).config["SSO_CLIENT_ID"]


def _complete(provider) -> dict:
    return {
        "SSO_DISCOVERY_URL": provider.discovery,
        "SSO_CLIENT_ID": CLIENT_ID,
        "SSO_CLIENT_SECRET": "x",
    }
