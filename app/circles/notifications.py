"""What facilitators are told about their circles: the daily digest of who joined or left and
which outcomes were reported (``digest.py`` decides what and when), and that they were added
to a circle as co-facilitator or removed from it. Rendered in the reader's language and time
zone and queued in the outbox; links from ``BASE_URL``."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import TYPE_CHECKING

from flask_babel import lazy_ngettext

from app.circles.meetings import future_meetings
from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url
from app.models import Circle, User

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


def _lead(circle: Circle) -> User | None:
    return next((f.user for f in circle.facilitations if f.is_lead), None)


def facilitator_added(circle: Circle, user: User, by: User) -> None:
    """``user`` now co-facilitates ``circle``: told who leads it, when their first meeting is
    (in their zone, named) and where the circle's page is. Nobody is told of their own
    change; answers go to the lead."""
    if user.id == by.id:
        return
    lead = _lead(circle)
    send(
        Reader.of(user),
        _l("You now co-facilitate “%(title)s”", title=circle.title),
        "circles/email/facilitator_added.txt",
        reply_to=lead.email if lead else None,
        name=user.name,
        circle=circle,
        lead=lead,
        by=by,
        first=next(iter(future_meetings(circle)), None),
        url=external_url("circles.circle", circle_id=circle.id),
    )


def facilitator_removed(circle: Circle, user: User, by: User) -> None:
    """``user`` no longer co-facilitates ``circle`` (unless they removed themselves)."""
    if user.id == by.id:
        return
    send(
        Reader.of(user),
        _l("You no longer co-facilitate “%(title)s”", title=circle.title),
        "circles/email/facilitator_removed.txt",
        reply_to=by.email,
        name=user.name,
        circle=circle,
        by=by,
        url=external_url("circles.circle", circle_id=circle.id),
    )
