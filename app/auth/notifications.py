"""What account holders are told: the welcome email of a new account and the password-reset
link. Rendered in the reader's language and time zone and queued in the outbox.

Both carry a reset token made by ``app.auth.services.reset_token`` (passed in: it exists only
in the email). Links are built from ``BASE_URL`` (``app.links``), never from the request.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.emails import Reader, send
from app.links import external_url
from app.models import User


def _reset_url(token: str) -> str:
    return external_url("auth.reset_password", token=token)


def welcome(user: User, token: str) -> None:
    """A new account has no password of its own: the link lets its owner choose one."""
    send(
        Reader.of(user),
        _l("Your Learning Circles account"),
        "admin/email/welcome.txt",
        user=user,
        url=_reset_url(token),
    )


def password_reset(user: User, token: str, minutes: int) -> None:
    """The link that sets a new password; it works once and for ``minutes``."""
    send(
        Reader.of(user),
        _l("Reset your Learning Circles password"),
        "auth/email/reset.txt",
        user=user,
        url=_reset_url(token),
        minutes=minutes,
    )
