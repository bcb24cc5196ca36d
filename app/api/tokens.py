"""Personal API tokens: made, listed and revoked by their owner (app/auth/token_views.py), and
the Bearer authentication of the write API (app/api/write_views.py).

A secret is ``lc_`` and 43 random characters (``secrets.token_urlsafe``); only its SHA-256 is
kept, with its first characters (``prefix``) so that its owner can tell tokens apart. A token
acts as its person, within its scopes, until it is revoked or expires or the person is
deactivated; every request is still checked against the same permissions as the pages. A
signed-in browser session is never enough for these endpoints: cookies are not read there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app, g, request
from flask_babel import gettext as _

from app.auth.permissions import is_staff
from app.errors import render_error
from app.extensions import db, limiter
from app.i18n import lazy_gettext as _l
from app.models import ApiToken, User
from app.rules import RuleViolation
from app.timeutil import utcnow

F = TypeVar("F", bound=Callable)

PREFIX = "lc_"
PREFIX_SHOWN = 10  # "lc_" and 7 characters of the secret
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_TOKENS = 20  # live tokens per person
LAST_USED_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often

# Scope → what it allows, in the words of the tokens page.
SCOPES = {
    "participation": _l("Join and leave circles as yourself"),
    "bookings": _l("Book rooms, once or weekly"),
    "attendance": _l("Take attendance at meetings"),
    "outcomes": _l("Record outcomes for participants"),
}
STAFF_SCOPES = frozenset({"bookings", "attendance", "outcomes"})


def scopes_for(user: User) -> list[str]:
    """The scopes ``user`` could use at all: joining is for everyone signed in; booking rooms,
    attendance and outcomes are staff work (each request is still checked as the pages are)."""
    return [s for s in SCOPES if s not in STAFF_SCOPES or is_staff(user)]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def live(user: User) -> sa.ColumnElement[bool]:
    now = utcnow()
    return sa.and_(
        ApiToken.user_id == user.id,
        ApiToken.revoked_at.is_(None),
        sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
    )


def tokens_of(user: User) -> list[ApiToken]:
    """Every token of ``user``, newest first (revoked and expired ones too, marked so)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create(user: User, name: str, scopes: list[str], days: int) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never kept."""
    if not name.strip():
        raise RuleViolation(_("Give the token a name, such as the tool that uses it."), "name")
    allowed = scopes_for(user)
    if not scopes or any(s not in allowed for s in scopes):
        raise RuleViolation(_("Choose at least one of the scopes offered."), "scopes")
    if not 1 <= days <= MAX_DAYS:
        raise RuleViolation(
            _("A token lasts from 1 to %(max)d days.", max=MAX_DAYS), "expires_in_days"
        )
    count = db.session.scalar(sa.select(sa.func.count(ApiToken.id)).where(live(user)))
    if count >= MAX_TOKENS:
        raise RuleViolation(
            _("You have %(max)d tokens already: revoke one you no longer use.", max=MAX_TOKENS)
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=secret[:PREFIX_SHOWN],
        token_hash=digest(secret),
        scopes=[s for s in SCOPES if s in scopes],
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke(token: ApiToken) -> None:
    if token.revoked_at is not None:
        raise RuleViolation(_("This token was already revoked."))
    token.revoked_at = utcnow()


def revoke_all(user: User) -> None:
    """Every live token of ``user`` revoked: when an administrator deactivates them, so that
    activating the account again does not bring old tokens back."""
    db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def is_live(token: ApiToken, now: dt.datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)


# --- authentication of the write API ---------------------------------------------------------


def bearer() -> str | None:
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


def rate_key() -> str:
    """The write API's rate limit counts per token (per address without one)."""
    secret = bearer()
    return "token:" + digest(secret)[:32] if secret else "address:" + (request.remote_addr or "")


def write_limits() -> str:
    return current_app.config["API_WRITE_LIMITS"]


def _unauthorized(message: str):
    response = render_error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def authenticate() -> tuple[ApiToken | None, str]:
    """The token the request carries, if it is good; else why not."""
    secret = bearer()
    if secret is None:
        return None, _("Send a personal API token: Authorization: Bearer <token>.")
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    now = utcnow()
    if token is None or not is_live(token, now) or not token.user.active:
        return None, _("This token is unknown, revoked or expired, or its account is inactive.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
    return token, ""


def token_required(scope: str) -> Callable[[F], F]:
    """The view runs as the token's person when the request carries a live token with
    ``scope``: 401 without one (cookies are not read), 403 without the scope, and the same
    limit per token (API_WRITE_LIMITS). Marked ``token_auth`` so that the sign-in check lets
    it through to here (app/auth/permissions.py)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            token, why = authenticate()
            if token is None:
                return _unauthorized(why)
            if scope not in (token.scopes or []):
                return render_error(
                    403, _("This token does not have the “%(scope)s” scope.", scope=scope)
                )
            g._login_user = token.user  # current_user for this request only: no cookie is set
            g.api_token = token
            return view(*args, **kwargs)

        wrapped.token_auth = True  # type: ignore[attr-defined]
        limited = limiter.shared_limit(
            write_limits, scope="api-write", key_func=rate_key, override_defaults=False
        )
        return limited(wrapped)  # type: ignore[return-value]

    return decorate
