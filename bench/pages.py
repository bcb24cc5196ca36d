"""The pages issue 15 measures, on the statewide data (`flask seed-scale`): what each is about
(picked the same way at any scale) and who asks for it. Used by tests/test_query_counts.py
(queries per request) and bench/slow_queries.py (EXPLAIN of the slowest); not a script."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Branch,
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    FeedScope,
    FeedToken,
    Meeting,
    Pathway,
    Room,
    User,
)
from app.seed import KNOWN

ADMIN, MANAGER, FACILITATOR = (email for email, *_ in KNOWN)
ACTIVE = (EnrollmentStatus.enrolled, EnrollmentStatus.completed)
LISTED = r'href="/circles/\d+"'  # a page that lists circles links to one


@dataclass
class Picked:
    branch: int
    room: int
    circle: int
    course: int
    pathway: int
    lead: str  # email of the busiest circle's lead
    branch_feed: str  # secrets of two feed links (see _feed)
    personal_feed: str


@dataclass
class Page:
    name: str
    who: str  # "admin", "manager", "lead" or "anyone"
    path: str
    shows: str = ""  # a pattern the page must contain


def _feed(scope: FeedScope, user_id: int | None = None, target: int | None = None) -> str:
    """Give a live link of this kind a secret we know; return the secret. Without a user:
    the link of the person with the most places (a feed with meetings, rooms and leads)."""
    query = sa.select(FeedToken).where(FeedToken.scope == scope, FeedToken.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(FeedToken.user_id == user_id, FeedToken.target_id == target)
    else:
        places = (
            sa.select(sa.func.count(Enrollment.id))
            .where(Enrollment.user_id == FeedToken.user_id, Enrollment.status.in_(ACTIVE))
            .scalar_subquery()
        )
        query = query.order_by(places.desc())
    token = db.session.scalars(query.order_by(FeedToken.id).limit(1)).one()
    raw = f"known-{scope.value}-secret"
    token.token_hash = hashlib.sha256(raw.encode()).hexdigest()
    return raw


def pick(now: dt.datetime) -> Picked:
    """In an app context, on freshly seeded data; commits the two known feed secrets."""
    manager = db.session.scalar(sa.select(User).where(User.email == MANAGER))
    branch = db.session.scalar(
        sa.select(Branch).where(Branch.managers.any(User.id == manager.id)).order_by(Branch.id)
    )
    busiest = (
        sa.select(Circle)
        .where(
            Circle.status == CircleStatus.published,
            Circle.room_id.is_not(None),
            Circle.meetings.any(Meeting.ends_at > now),
        )
        .order_by(Circle.enrolled_count.desc(), Circle.id)
        .limit(1)
    )
    circle = db.session.scalars(busiest).one()
    picked = Picked(
        branch=branch.id,
        room=db.session.scalar(
            sa.select(Room.id).where(Room.branch_id == branch.id).order_by(Room.id).limit(1)
        ),
        circle=circle.id,
        course=circle.course_id,
        pathway=db.session.scalar(sa.select(sa.func.min(Pathway.id))),
        lead=circle.facilitations[0].user.email,
        branch_feed=_feed(FeedScope.branch, manager.id, branch.id),
        personal_feed=_feed(FeedScope.personal),
    )
    db.session.commit()
    return picked


def pages(picked: Picked, today: dt.date) -> list[Page]:
    """The HTML pages (the feeds are ``/feeds/<secret>.ics`` of ``picked``)."""
    week = f"date={today.isoformat()}&room={picked.room}"
    return [
        Page("home", "lead", "/", LISTED),
        Page("circle list filtered", "admin", "/circles/?format=in_person", LISTED),
        Page("circle list page 3", "admin", "/circles/?format=in_person&page=3", LISTED),
        # The facilitator panel, in the lead's language (a tenth of the seeded staff read Spanish).
        Page("circle", "lead", f"/circles/{picked.circle}", "Roster|Lista de participantes"),
        Page("course", "admin", f"/courses/{picked.course}", LISTED),
        Page("week grid", "manager", f"/branches/{picked.branch}/calendar?{week}"),
        Page("facilitator dashboard", "lead", "/facilitate/", LISTED),
        Page("branch report", "manager", f"/reports/?branch={picked.branch}"),
        Page("admin report", "admin", "/reports/"),
        Page("demand board", "admin", "/demand"),
        Page("pathway progress", "admin", f"/pathways/{picked.pathway}/progress"),
    ]
