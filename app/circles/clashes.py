"""Is a facilitator double-booked? The one query behind creating a circle, adding or moving a
meeting and assigning a facilitator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from app.extensions import db
from app.labels import when
from app.models import Circle, CircleStatus, Facilitation, Meeting, MeetingStatus, User


@dataclass(frozen=True)
class Clash:
    circle_title: str
    circle_id: int
    starts_at: dt.datetime
    user_name: str


def facilitator_clashes(
    user_ids: Iterable[int],
    intervals: Sequence[tuple[dt.datetime, dt.datetime]],
    exclude_circle_id: int | None = None,
) -> list[Clash]:
    """Scheduled meetings of other live circles, led or co-led by these people, that overlap."""
    if not intervals:
        return []
    overlaps = sa.or_(
        *(sa.and_(Meeting.starts_at < end, Meeting.ends_at > start) for start, end in intervals)
    )
    query = (
        sa.select(Circle.title, Circle.id, Meeting.starts_at, User.name)
        .join(Meeting, Meeting.circle_id == Circle.id)
        .join(Facilitation, Facilitation.circle_id == Circle.id)
        .join(User, User.id == Facilitation.user_id)
        .where(
            Facilitation.user_id.in_(list(user_ids)),
            Meeting.status == MeetingStatus.scheduled,
            Circle.status.in_([CircleStatus.draft, CircleStatus.published]),
            overlaps,
        )
        .order_by(Meeting.starts_at)
    )
    if exclude_circle_id is not None:
        query = query.where(Circle.id != exclude_circle_id)
    return [Clash(*row) for row in db.session.execute(query)]


def clash_message(clashes: list[Clash], tz: str) -> str:
    first = clashes[0]
    message = _(
        "%(name)s already facilitates “%(circle)s” at %(when)s.",
        name=first.user_name,
        circle=first.circle_title,
        when=when(first.starts_at, tz),
    )
    if len(clashes) > 1:
        message += " " + ngettext(
            "(%(num)d clashing meeting in all.)",
            "(%(num)d clashing meetings in all.)",
            len(clashes),
        )
    return message
