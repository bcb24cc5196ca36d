"""Staff single sign-on with the library's identity provider (OpenID Connect, through Authlib).

The provider is found by its discovery document (``SSO_DISCOVERY_URL``); the app is its client
(``SSO_CLIENT_ID``/``SSO_CLIENT_SECRET``). Authlib keeps a sign-in's ``state``, ``nonce`` and
PKCE verifier in the session, and checks the ID token it is given back: its signature against
the provider's published keys, issuer, audience, expiry and nonce. Whatever goes wrong on the
way is answered with a :class:`~app.rules.RuleViolation` saying so, never a 500.

Who the claims belong to (an account matched by verified email, or a new one) is decided in
``app.auth.sso_accounts``; the pages are in ``app.auth.sso_views``.
"""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from joserfc.errors import JoseError

from app.i18n import lazy_gettext as _l
from app.rules import RuleViolation

log = logging.getLogger(__name__)

_NAME = "library"  # the client's name in Authlib's registry (and its session keys)


def configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get("SSO_DISCOVERY_URL"))


def button_label() -> LazyString:
    """The button's words, in whichever language they are read (a page, or an email in its
    reader's language)."""
    name = current_app.config.get("SSO_NAME")
    if name:
        return _l("Sign in with %(name)s", name=name)
    return _l("Sign in with your library account")


def provider_name() -> str:
    return current_app.config.get("SSO_NAME") or (_("your library account"))


def _client():
    """The provider's client, made once per app and settings. Its discovery document and keys
    are fetched when first needed and kept (a key it has not seen is fetched again)."""
    config = current_app.config
    settings = (config["SSO_DISCOVERY_URL"], config["SSO_CLIENT_ID"], config["SSO_CLIENT_SECRET"])
    kept = current_app.extensions.get("sso_client")
    if kept is not None and kept[0] == settings:
        return kept[1]
    oauth = OAuth()
    oauth.app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = oauth.register(
        _NAME,
        server_metadata_url=settings[0],
        client_id=settings[1],
        client_secret=settings[2],
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "default_timeout": config["SSO_TIMEOUT"],
        },
    )
    current_app.extensions["sso_client"] = (settings, client)
    return client


def _unreachable() -> RuleViolation:
    return RuleViolation(
        _(
            "%(name)s could not be reached, so you are not signed in. Please try again in a "
            "few minutes.",
            name=provider_name(),
        )
    )


def authorization_redirect(redirect_uri: str):
    """The redirect to the provider's sign-in page."""
    try:
        return _client().authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError) as error:
        log.warning("single sign-on: the provider's discovery failed: %s", error)
        raise _unreachable() from error


def verified_claims() -> dict:
    """The claims of the ID token the provider answered with, once everything about it is
    checked; a RuleViolation saying what went wrong otherwise."""
    if request.args.get("error"):
        log.info("single sign-on refused by the provider: %s", request.args.get("error"))
        raise RuleViolation(
            _("%(name)s did not sign you in (it was cancelled or refused).", name=provider_name())
        )
    try:
        token = _client().authorize_access_token()
    except requests.RequestException as error:
        log.warning("single sign-on: the provider could not be reached: %s", error)
        raise _unreachable() from error
    except AuthlibBaseError as error:
        if error.error == "mismatching_state":
            log.info("single sign-on: unknown state")
            raise RuleViolation(
                _(
                    "That sign-in was not started from this browser, or it has expired. "
                    "Please sign in again."
                )
            ) from error
        log.warning("single sign-on: the provider refused the code: %s", error)
        raise _not_verified() from error
    except (JoseError, ValueError) as error:
        # A bad signature, a wrong nonce, issuer or audience, an expired token.
        log.warning("single sign-on: ID token refused: %r", error)
        raise _not_verified() from error
    claims = token.get("userinfo")
    if not claims:
        log.warning("single sign-on: the provider sent no ID token")
        raise _not_verified()
    return dict(claims)


def _not_verified() -> RuleViolation:
    return RuleViolation(
        _(
            "The answer from %(name)s could not be verified, so you are not signed in. Please "
            "try again; if it happens again, tell your library's IT team.",
            name=provider_name(),
        )
    )


def end_session_url(post_logout_redirect_uri: str) -> str | None:
    """Where to sign out at the provider too, if it says (``end_session_endpoint``)."""
    try:
        client = _client()
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.create_logout_url(
            post_logout_redirect_uri=post_logout_redirect_uri,
            client_id=current_app.config["SSO_CLIENT_ID"],
        )["url"]
    except (requests.RequestException, ValueError) as error:
        log.warning("single sign-on: no end-session address: %s", error)
        return None
