"""The facilitators' daily digest: who joined or left their circles and which outcomes
participants reported, one email per facilitator per day (``flask digests send``, run from
cron once a day; running it more often sends nothing new until a day has passed).

Each facilitator's ``FacilitatorDigest.covered_until`` marks the end of what their last digest
told, so nothing is told twice or skipped, however late or often the command runs. Someone
never told before starts with the last day. A facilitator with nothing to tell gets no email.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.circles import notifications
from app.extensions import db
from app.models import (
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Facilitation,
    FacilitatorDigest,
    Outcome,
    User,
)

DAY = dt.timedelta(days=1)
# At most one digest a day: a little under a day, so that a daily cron job drifting by a few
# minutes still sends every day.
EVERY = dt.timedelta(hours=20)


@dataclass(frozen=True)
class Event:
    kind: str  # "joined", "waitlisted", "left", "outcome"
    circle_id: int
    circle_title: str
    name: str
    at: dt.datetime
    detail: str = ""  # the outcome's title


LIVE = (CircleStatus.draft, CircleStatus.published)


def _events(start: dt.datetime, end: dt.datetime) -> list[tuple[int, Event]]:
    """(facilitator id, event) for every event in (start, end] in the circles they run."""
    base = (
        sa.select(Facilitation.user_id, Circle.id, Circle.title)
        .join(Circle, Circle.id == Facilitation.circle_id)
        .where(Circle.status.in_(LIVE))
    )
    found: list[tuple[int, Event]] = []
    joined = db.session.execute(
        base.add_columns(Enrollment.name, Enrollment.created_at, Enrollment.status)
        .join(Enrollment, Enrollment.circle_id == Circle.id)
        .where(Enrollment.created_at > start, Enrollment.created_at <= end)
    )
    for user_id, cid, title, name, at, status in joined:
        kind = "waitlisted" if status == EnrollmentStatus.waitlisted else "joined"
        found.append((user_id, Event(kind, cid, title, name, at)))
    left = db.session.execute(
        base.add_columns(Enrollment.name, Enrollment.withdrawn_at)
        .join(Enrollment, Enrollment.circle_id == Circle.id)
        .where(Enrollment.withdrawn_at > start, Enrollment.withdrawn_at <= end)
    )
    found += [(u, Event("left", cid, title, name, at)) for u, cid, title, name, at in left]
    # Outcomes reported by a participant (a facilitator's own are confirmed as they are added).
    reported = db.session.execute(
        base.add_columns(sa.func.coalesce(Enrollment.name, ""), Outcome.created_at, Outcome.title)
        .join(Outcome, Outcome.circle_id == Circle.id)
        .outerjoin(Enrollment, Enrollment.id == Outcome.enrollment_id)
        .where(
            Outcome.created_at > start,
            Outcome.created_at <= end,
            sa.or_(
                Outcome.confirmed_by_id.is_(None),
                Outcome.confirmed_by_id != Outcome.reported_by_id,
            ),
        )
    )
    found += [
        (u, Event("outcome", cid, title, name, at, detail))
        for u, cid, title, name, at, detail in reported
    ]
    return found


def send_digests(now: dt.datetime) -> int:
    """Queue each due facilitator's digest; returns how many were queued."""
    facilitators = db.session.scalars(
        sa.select(User)
        .where(
            User.active,
            User.id.in_(
                sa.select(Facilitation.user_id)
                .join(Circle, Circle.id == Facilitation.circle_id)
                .where(Circle.status.in_(LIVE))
            ),
        )
        .order_by(User.id)
    ).all()
    marks = {
        d.user_id: d
        for d in db.session.scalars(
            sa.select(FacilitatorDigest).where(
                FacilitatorDigest.user_id.in_([u.id for u in facilitators])
            )
        )
    }
    since = {u.id: marks[u.id].covered_until if u.id in marks else now - DAY for u in facilitators}
    due = [u for u in facilitators if since[u.id] <= now - EVERY]
    if not due:
        return 0
    due_ids = {u.id for u in due}
    per_user: dict[int, list[Event]] = defaultdict(list)
    for user_id, event in _events(min(since[u.id] for u in due), now):
        if user_id in due_ids and event.at > since[user_id]:
            per_user[user_id].append(event)
    queued = 0
    for user in due:
        events = sorted(
            per_user.get(user.id, []), key=lambda e: (e.circle_title, e.circle_id, e.at)
        )
        if events:
            notifications.digest(user, events, since[user.id])
            queued += 1
        if user.id in marks:
            marks[user.id].covered_until = now
        else:
            db.session.add(FacilitatorDigest(user_id=user.id, covered_until=now))
    db.session.flush()
    return queued
