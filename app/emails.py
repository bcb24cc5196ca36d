"""One email for one reader: rendered in the reader's language and time zone, queued in the
outbox (so it is sent if and only if the change that caused it is committed).

Each area's ``notifications.py`` decides what to tell whom and calls ``send``; templates show
times with ``{{ instant|when(tz) }}``, where ``tz`` is the reader's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale

from app.models import Enrollment, GuestSignup, OutboxMessage, User
from app.outbox import queue_email


@dataclass(frozen=True)
class Reader:
    email: str
    timezone: str
    locale: str | None = None  # None: the default language

    @classmethod
    def of(cls, user: User) -> Reader:
        return cls(email=user.email, timezone=user.timezone, locale=user.locale)

    @classmethod
    def of_place(cls, place: Enrollment | GuestSignup) -> Reader:
        """Whoever holds a place in a circle (or a guest asking for one), at the place's
        address: with their account's zone and language; a guest in the circle's zone and
        the language they signed up in."""
        user = place.user if isinstance(place, Enrollment) else None
        if user is not None:
            return cls(email=place.email, timezone=user.timezone, locale=user.locale)
        return cls(email=place.email, timezone=place.circle.timezone, locale=place.locale)


def language(locale: str | None) -> str:
    """The reader's language if the app speaks it, else the default one."""
    config = current_app.config
    return locale if locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]


def send(
    reader: Reader,
    subject,
    template: str,
    *,
    ics: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    **context,
) -> OutboxMessage:
    """Queue ``template`` for ``reader``. ``subject`` may be lazy (``lazy_gettext``): it is
    translated here, in the reader's language, like the body. ``reply_to``: where answers go
    (e.g. the circle's lead facilitator), if not to the app's sender. ``headers``: extra header
    lines (List-Unsubscribe on a digest)."""
    with force_locale(language(reader.locale)):
        body = render_template(template, tz=reader.timezone, **context)
        return queue_email(reader.email, str(subject), body, ics, reply_to, headers)
