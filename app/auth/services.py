"""Account rules: sign-in, passwords and reset links. No request or response here."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import cache

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import notifications, sso
from app.auth.permissions import is_staff
from app.extensions import db
from app.models import User
from app.rules import RuleViolation
from app.timeutil import utcnow


@cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so both answers take the same time."""
    return generate_password_hash(secrets.token_hex(16))


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def staff_passwords_off() -> bool:
    """SSO_REQUIRED_FOR_STAFF, with a single sign-on set up: staff sign in only there."""
    return sso.configured() and bool(current_app.config["SSO_REQUIRED_FOR_STAFF"])


def authenticate(email: str, password: str, *, staff_passwords: bool = True) -> User | None:
    """The account that email and password sign in to, if any. With ``staff_passwords``
    off (SSO_REQUIRED_FOR_STAFF), staff are refused and pointed to the single sign-on button
    (only once the password is right: a wrong one says nothing about the account)."""
    user = find_user(email)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password):
        return None
    if not staff_passwords and is_staff(user):
        raise RuleViolation(
            _(
                "Staff sign in with the library's single sign-on: use the “%(button)s” button.",
                button=sso.button_label(),
            ),
            "password",
        )
    user.last_login_at = utcnow()
    return user


def change_password(user: User, new_password: str) -> None:
    """Set a password and sign out every other copy of the user's session."""
    user.set_password(new_password)
    user.end_sessions()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    # Changes whenever the password (or session version) changes: a used link is dead.
    material = f"{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:16]


def reset_token(user: User, *, welcome: bool = False) -> str:
    """A link's token that sets the user's password once. A welcome token (a new account's)
    lives WELCOME_LINK_DAYS days; a password-reset one PASSWORD_RESET_MAX_AGE seconds."""
    data = {"u": user.id, "f": _fingerprint(user)}
    if welcome:
        data["k"] = "welcome"
    return _serializer().dumps(data)


def _max_age(data: dict) -> int:
    if data.get("k") == "welcome":
        return current_app.config["WELCOME_LINK_DAYS"] * 24 * 3600
    return current_app.config["PASSWORD_RESET_MAX_AGE"]


def user_for_reset_token(token: str, now: dt.datetime | None = None) -> User | None:
    """The user a reset or welcome token is for, if it still works at ``now``."""
    try:
        data, signed_at = _serializer().loads(token, return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    age = ((now or utcnow()) - signed_at).total_seconds()
    if not 0 <= age <= _max_age(data):  # expired, or signed in the future
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user


def send_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; say nothing either way."""
    user = find_user(email)
    if user is None or not user.active:
        return
    if staff_passwords_off() and is_staff(user):
        notifications.use_single_sign_on(user, sso.button_label())
        return
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    notifications.password_reset(user, reset_token(user), minutes)


def update_profile(user: User, *, name: str, timezone: str, locale: str) -> None:
    user.name, user.timezone, user.locale = name, timezone, locale
    db.session.flush()


def choose_language(user: User, locale: str) -> None:
    """The language switch of every page, for someone signed in: kept on the profile, so
    that emails follow it too."""
    user.locale = locale
    db.session.flush()
