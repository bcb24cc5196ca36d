"""What people who asked for a circle are told: a circle on the course they asked for is open.
Each reads it in their own language and time zone; links come from ``BASE_URL``."""

from __future__ import annotations

from app.emails import Reader, send
from app.i18n import lazy_gettext as _l
from app.links import external_url
from app.models import Circle, Interest


def invited(interest: Interest, circle: Circle) -> None:
    user = interest.user
    first = next(iter(circle.scheduled_meetings), None)
    send(
        Reader.of(user),
        _l("A circle on “%(course)s” is open", course=circle.course.title),
        "demand/email/invited.txt",
        reply_to=next((f.user.email for f in circle.facilitations if f.is_lead), None),
        name=user.name,
        circle=circle,
        first=first,
        join_url=external_url("participation.join", circle_id=circle.id),
        interests_url=external_url("demand.mine"),
    )
