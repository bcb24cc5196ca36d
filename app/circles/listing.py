"""Circle lists: the public list with its filters, a person's circles and meetings, workload."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import (
    Audience,
    Circle,
    CircleFormat,
    CircleStatus,
    Course,
    Facilitation,
    Meeting,
    MeetingStatus,
    User,
)
from app.querying import contains

# What a list shows of each circle, loaded with it.
LISTED = (so.joinedload(Circle.branch), so.joinedload(Circle.course))


def list_circles(
    viewer: User, now: dt.datetime, *, with_meetings: bool = True, **filters
) -> sa.Select[tuple[Circle]]:
    """Published circles still to meet, that the viewer may see, with the page's filters;
    each with its branch and course, and all its meetings unless ``with_meetings`` is false
    (a list that shows only the next one asks ``next_starts`` for it instead)."""
    query = matching_circles(viewer, now, **filters).options(
        so.joinedload(Circle.branch), so.contains_eager(Circle.course)
    )
    if with_meetings:
        query = query.options(so.selectinload(Circle.meetings))
    return query


def matching_circles(viewer: User, now: dt.datetime, **filters) -> sa.Select[tuple[Circle]]:
    """The circles of ``list_circles`` in its order, nothing loaded with them (a page of them
    sorts ids alone: ``app.querying.paginate``, loading ``LISTED`` with them)."""
    still_meeting = (
        sa.select(Meeting.id)
        .where(
            Meeting.circle_id == Circle.id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.ends_at > now,
        )
        .exists()
    )
    query = (
        sa.select(Circle)
        .join(Course, Course.id == Circle.course_id)
        .where(Circle.status == CircleStatus.published, still_meeting)
    )
    if not viewer.is_authenticated:
        query = query.where(Circle.audience == Audience.public)
    if filters.get("q"):
        query = query.where(contains(filters["q"], Circle.search_text, Course.search_text))
    if filters.get("branch"):
        query = query.where(Circle.branch_id == filters["branch"])
    if filters.get("skill_area"):
        query = query.where(Course.skill_area == filters["skill_area"])
    if filters.get("format"):
        query = query.where(Circle.format == filters["format"])
    if filters.get("language"):
        query = query.where(Course.language == filters["language"])
    if filters.get("weekday") is not None:
        query = query.where(Circle.weekday_mask.op("&")(1 << filters["weekday"]) != 0)
    if filters.get("open_seats"):
        query = query.where(Circle.enrolled_count < Circle.capacity)
    first_meeting = (
        sa.select(sa.func.min(Meeting.starts_at))
        .where(Meeting.circle_id == Circle.id, Meeting.status == MeetingStatus.scheduled)
        .scalar_subquery()
    )
    order = [first_meeting, Circle.id]
    if filters.get("near_branch"):
        # Those the viewer can reach first: online, or at their own branch (branches have no
        # coordinates, so "nearest" is the viewer's home branch).
        reachable = sa.or_(
            Circle.format != CircleFormat.in_person, Circle.branch_id == filters["near_branch"]
        )
        order.insert(0, sa.case((reachable, 0), else_=1))
    return query.order_by(*order)


def next_starts(circles: list[Circle], now: dt.datetime) -> dict[int, dt.datetime]:
    """When each circle meets next (a scheduled meeting not over yet), by circle id: one
    query of a row per circle, where loading their meetings brought back all of them."""
    if not circles:
        return {}
    rows = db.session.execute(
        sa.select(Meeting.circle_id, sa.func.min(Meeting.starts_at))
        .where(
            Meeting.circle_id.in_([c.id for c in circles]),
            Meeting.status == MeetingStatus.scheduled,
            Meeting.ends_at > now,
        )
        .group_by(Meeting.circle_id)
    )
    return dict(rows.all())


def circles_of(user: User) -> sa.Select[tuple[Circle]]:
    return (
        sa.select(Circle)
        .join(Facilitation)
        .where(Facilitation.user_id == user.id)
        .options(so.selectinload(Circle.meetings), so.selectinload(Circle.facilitations))
        .order_by(Circle.id.desc())
    )


def upcoming_meetings_of(user: User, now: dt.datetime, limit: int = 10) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Facilitation, Facilitation.circle_id == Meeting.circle_id)
            .join(Circle, Circle.id == Meeting.circle_id)
            .where(
                Facilitation.user_id == user.id,
                Meeting.status == MeetingStatus.scheduled,
                Meeting.ends_at > now,
                Circle.status.in_([CircleStatus.draft, CircleStatus.published]),
            )
            .options(so.joinedload(Meeting.circle))
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
    )


def workload(user: User, now: dt.datetime, months: int = 6) -> list[tuple[str, int]]:
    """Scheduled meetings per month for the next few months, in the user's time zone."""
    zone = ZoneInfo(user.timezone)
    start = now.astimezone(zone).date().replace(day=1)
    keys = []
    day = start
    for _i in range(months):
        keys.append(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    # Plain combine, not to_utc: midnight may not exist in a few zones, and a bound is enough.
    end = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    starts = db.session.scalars(
        sa.select(Meeting.starts_at)
        .join(Facilitation, Facilitation.circle_id == Meeting.circle_id)
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(
            Facilitation.user_id == user.id,
            Meeting.status == MeetingStatus.scheduled,
            Circle.status.in_([CircleStatus.draft, CircleStatus.published]),
            Meeting.starts_at >= dt.datetime.combine(start, dt.time(0), tzinfo=zone),
            Meeting.starts_at < end,
        )
    )
    counts = dict.fromkeys(keys, 0)
    for s in starts:
        counts[s.astimezone(zone).strftime("%Y-%m")] += 1
    return list(counts.items())
