"""What digest subscribers are told: the link that confirms a guest's address, and the
digest itself, in the subscriber's language and time zone, with RFC 8058 one-click
unsubscribe headers. Links come from ``BASE_URL``."""

from __future__ import annotations

import datetime as dt

from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url
from app.models import Circle, DigestSubscription


def _reader(subscription: DigestSubscription) -> Reader:
    return Reader(subscription.email, subscription.timezone, subscription.locale)


def confirm(subscription: DigestSubscription, token: str, hours: int) -> None:
    send(
        _reader(subscription),
        _l("Confirm your Learning Services digest"),
        "digest/email/confirm.txt",
        confirm_url=external_url("digest.confirm", token=token),
        hours=hours,
    )


def digest(
    subscription: DigestSubscription,
    circles: list[Circle],
    now: dt.datetime,
    unsubscribe_token: str,
    feed_token: str,
) -> None:
    unsubscribe_url = external_url("digest.unsubscribe", token=unsubscribe_token)
    items = [(c, next((m for m in c.scheduled_meetings if m.ends_at > now), None)) for c in circles]
    send(
        _reader(subscription),
        _l("Learning Services digest: new and upcoming circles"),
        "digest/email/digest.txt",
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        items=items,
        links={c.id: external_url("circles.circle", circle_id=c.id) for c in circles},
        unsubscribe_url=unsubscribe_url,
        atom_url=external_url("digest.atom", token=feed_token),
        ical_url=external_url("digest.ical", token=feed_token),
    )
