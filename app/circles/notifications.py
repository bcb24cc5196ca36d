"""What facilitators are told about their circles: the daily digest of who joined or left and
which outcomes were reported (``digest.py`` decides what and when). Rendered in the reader's
language and time zone and queued in the outbox; links from ``BASE_URL``."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import TYPE_CHECKING

from flask_babel import lazy_ngettext

from app.emails import Reader, send
from app.links import external_url
from app.models import User

if TYPE_CHECKING:
    from app.circles.digest import Event


def _circle_of(event: Event) -> tuple[int, str]:
    return event.circle_id, event.circle_title


def digest(user: User, events: list[Event], since: dt.datetime) -> None:
    """One email: the events (sorted by circle) since ``since``, grouped by circle, each with
    the links to its roster and outcomes."""
    circles = [
        {
            "title": title,
            "events": list(group),
            "roster_url": external_url("participation.roster", circle_id=circle_id),
            "outcomes_url": external_url("attendance.outcomes", circle_id=circle_id),
        }
        for (circle_id, title), group in groupby(events, key=_circle_of)
    ]
    send(
        Reader.of(user),
        lazy_ngettext("Your circles: %(num)d update", "Your circles: %(num)d updates", len(events)),
        "circles/email/digest.txt",
        name=user.name,
        since=since,
        circles=circles,
        home_url=external_url("main.index"),
    )
