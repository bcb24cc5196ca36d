"""What account holders are told: the welcome email of a new account and the password-reset
link. Rendered in the reader's language and time zone and queued in the outbox.

Both carry a token made by ``app.auth.services.reset_token`` (passed in: it exists only in
the email); a welcome link lasts longer (WELCOME_LINK_DAYS) than a reset link. Links are
built from ``BASE_URL`` (``app.links``), never from the request.
"""

from __future__ import annotations

from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url
from app.models import User


def _with_reset_link(user: User, token: str, subject, template: str, **context) -> None:
    url = external_url("auth.reset_password", token=token)
    send(Reader.of(user), subject, template, user=user, url=url, **context)


def welcome(user: User, token: str, days: int) -> None:
    """A new account has no password of its own: the link lets its owner choose one, once,
    for ``days`` days."""
    subject = _l("Your Learning Circles account")
    _with_reset_link(user, token, subject, "admin/email/welcome.txt", days=days)


def password_reset(user: User, token: str, minutes: int) -> None:
    """The link that sets a new password; it works once and for ``minutes``."""
    subject = _l("Reset your Learning Circles password")
    _with_reset_link(user, token, subject, "auth/email/reset.txt", minutes=minutes)


def use_single_sign_on(user: User, button: str) -> None:
    """Asked for a password reset, but staff sign in only with the library's identity
    provider (SSO_REQUIRED_FOR_STAFF): the way to sign in instead of a link that would set a
    password that does not work."""
    subject = _l("How to sign in to Learning Circles")
    url = external_url("auth.login")
    send(Reader.of(user), subject, "auth/email/use_sso.txt", user=user, url=url, button=button)
