"""Which meetings and bookings a feed holds, its cheap fingerprint (the ETag), secret
feed links, and a cache of rendered feeds keyed by that fingerprint."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from app.calendar.feeds import PRODID, Links, booking_event, build_calendar, meeting_events
from app.extensions import db
from app.models import (
    Booking,
    BookingKind,
    Branch,
    Circle,
    CircleStatus,
    Course,
    Enrollment,
    EnrollmentStatus,
    Facilitation,
    FeedCache,
    FeedScope,
    FeedToken,
    Meeting,
    Room,
    User,
)
from app.timeutil import utcnow

WINDOW_BACK = dt.timedelta(days=90)
TOUCH_EVERY = dt.timedelta(hours=1)
# A rendered feed's ETag covers the day's window, so after a day nobody asks for it again.
CACHE_KEEP = dt.timedelta(days=2)
PRUNE_BATCH = 100  # stale rendered feeds removed each time one is cached


@dataclass(frozen=True)
class Feed:
    """What a feed holds: meetings matching ``meetings`` (a condition on Meeting/Circle)
    and bookings matching ``bookings`` (a condition on Booking/Room)."""

    key: str
    name: str
    filename: str
    meetings: sa.ColumnElement[bool] | None = None
    bookings: sa.ColumnElement[bool] | None = None
    private: bool = True


# --- what each feed holds -----------------------------------------------------------------------

_LIVE = Circle.status != CircleStatus.draft


def circle_feed(circle: Circle) -> Feed:
    return Feed(
        key=f"circle-{circle.id}",
        name=circle.title,
        filename=f"circle-{circle.id}.ics",
        meetings=sa.and_(Meeting.circle_id == circle.id, _LIVE),
        private=circle.audience != "public",
    )


def meeting_feed(meeting: Meeting) -> Feed:
    return Feed(
        key=f"meeting-{meeting.id}",
        name=meeting.circle.title,
        filename=f"meeting-{meeting.id}.ics",
        meetings=Meeting.id == meeting.id,
        private=meeting.circle.audience != "public",
    )


def branch_feed(branch: Branch) -> Feed:
    return Feed(
        key=f"branch-{branch.id}",
        name=_("%(branch)s: circles and room bookings", branch=branch.name),
        filename=f"branch-{branch.slug}.ics",
        meetings=sa.and_(Circle.branch_id == branch.id, _LIVE),
        bookings=sa.and_(Room.branch_id == branch.id, Booking.kind != BookingKind.meeting),
    )


def room_feed(room: Room) -> Feed:
    return Feed(
        key=f"room-{room.id}",
        name=_("%(room)s at %(branch)s", room=room.name, branch=room.branch.name),
        filename=f"room-{room.id}.ics",
        bookings=Booking.room_id == room.id,
    )


def facilitator_feed(user: User) -> Feed:
    mine = sa.select(Facilitation.circle_id).where(Facilitation.user_id == user.id)
    return Feed(
        key=f"facilitator-{user.id}",
        name=_("Circles I facilitate"),
        filename="facilitating.ics",
        meetings=Meeting.circle_id.in_(mine),
    )


def personal_feed(user: User) -> Feed:
    joined = sa.select(Enrollment.circle_id).where(
        Enrollment.user_id == user.id,
        Enrollment.status.in_([EnrollmentStatus.enrolled, EnrollmentStatus.completed]),
    )
    return Feed(
        key=f"personal-{user.id}",
        name=_("My learning circles"),
        filename="my-circles.ics",
        meetings=sa.and_(Meeting.circle_id.in_(joined), _LIVE),
    )


# --- fingerprint, render, cache -----------------------------------------------------------------


def _window(now: dt.datetime) -> dt.datetime:
    # Whole days, so that the window (and the ETag) moves once a day, not every second.
    start = (now - WINDOW_BACK).replace(hour=0, minute=0, second=0, microsecond=0)
    return start


def _names_version() -> list[sa.ScalarSelect]:
    """When a branch, room or course last changed: their names appear in events."""
    return [
        sa.select(sa.func.max(model.updated_at)).scalar_subquery()
        for model in (Branch, Room, Course)
    ]


def fingerprint(feed: Feed, links: Links, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """(ETag, Last-Modified) from a few aggregate queries: no calendar is built. The ETag also
    keys the cache of rendered bytes, so it covers everything that shapes them: the rows, the
    names shown in events, the feed's (translated) name and the links."""
    since = _window(now)
    parts = [PRODID, feed.key, feed.name, links.host, links.circle_url(0), since.isoformat()]
    stamps: list[dt.datetime] = []
    names = _names_version()  # asked once, by whichever query comes first
    if feed.meetings is not None:
        in_feed = sa.and_(feed.meetings, Meeting.ends_at >= since)
        count, last_meeting, last_circle, *versions = db.session.execute(
            sa.select(
                sa.func.count(Meeting.id),
                sa.func.max(Meeting.updated_at),
                sa.func.max(Circle.updated_at),
                *names,
            )
            .join(Circle, Circle.id == Meeting.circle_id)
            .where(in_feed)
        ).one()
        parts += [str(count), str(last_meeting), str(last_circle), *map(str, versions)]
        stamps += [s for s in (last_meeting, last_circle) if s]
        names = []
        facilitators = db.session.execute(
            sa.select(Facilitation.circle_id, Facilitation.user_id, Facilitation.role, User.name)
            .join(User, User.id == Facilitation.user_id)
            .where(
                Facilitation.circle_id.in_(
                    sa.select(Meeting.circle_id)
                    .join(Circle, Circle.id == Meeting.circle_id)
                    .where(in_feed)
                )
            )
            .order_by(Facilitation.circle_id, Facilitation.user_id)
        )
        parts += [repr(tuple(row)) for row in facilitators]
    if feed.bookings is not None:
        count, last_booking, *versions = db.session.execute(
            sa.select(sa.func.count(Booking.id), sa.func.max(Booking.updated_at), *names)
            .join(Room, Room.id == Booking.room_id)
            .where(feed.bookings, Booking.ends_at >= since)
        ).one()
        parts += [str(count), str(last_booking), *map(str, versions)]
        stamps += [last_booking] if last_booking else []
    etag = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return etag, max(stamps) if stamps else None


def render(feed: Feed, links: Links, now: dt.datetime) -> bytes:
    since = _window(now)
    events = []
    if feed.meetings is not None:
        meetings = db.session.scalars(
            sa.select(Meeting)
            .join(Circle, Circle.id == Meeting.circle_id)
            .where(feed.meetings, Meeting.ends_at >= since)
            .options(
                so.selectinload(Meeting.bookings).joinedload(Booking.room),
                so.joinedload(Meeting.circle).options(
                    so.joinedload(Circle.course),
                    so.joinedload(Circle.branch),
                    so.joinedload(Circle.room),
                    so.selectinload(Circle.facilitations).joinedload(Facilitation.user),
                ),
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
        events.extend(meeting_events(meetings, links))
    if feed.bookings is not None:
        bookings = db.session.scalars(
            sa.select(Booking)
            .join(Room, Room.id == Booking.room_id)
            .where(feed.bookings, Booking.ends_at >= since)
            .options(so.joinedload(Booking.room).joinedload(Room.branch))
            .order_by(Booking.starts_at, Booking.id)
        )
        events.extend(booking_event(b, links.host) for b in bookings)
    return build_calendar(events, name=feed.name).to_ical()


def cached_render(feed: Feed, etag: str, links: Links, now: dt.datetime) -> bytes:
    """The bytes for this ETag: from the cache, or rendered and kept (best effort)."""
    body = db.session.scalar(sa.select(FeedCache.body).where(FeedCache.etag == etag))
    if body is not None:
        return body
    body = render(feed, links, now)

    def store() -> None:
        db.session.add(FeedCache(etag=etag, body=body, created_at=now))
        # A bounded bit of clean-up with every write keeps the table bounded even without
        # the daily `flask feeds prune`.
        prune_cache(now, limit=PRUNE_BATCH)

    _best_effort(store)
    return body


def _best_effort(change) -> None:
    """A write that a GET may skip: under write contention it is not worth waiting for.

    ``change`` runs in a savepoint; if it hits a lock (SQLite: another writer, or a snapshot
    that is no longer the newest; PostgreSQL: a deadlock) or loses a unique race, only the
    savepoint is rolled back and the feed is served all the same. What it wrote is committed
    with the request, by the boundary: it has already been checked against the unique keys
    (flushed) and holds the lock it needs, so that commit has nothing left to fail on.
    """
    try:
        with db.session.begin_nested():
            change()
    except (IntegrityError, OperationalError):
        pass  # the savepoint was rolled back on the way out


def prune_cache(now: dt.datetime, keep: dt.timedelta = CACHE_KEEP, limit: int | None = None) -> int:
    """Forget rendered feeds older than ``keep`` (at most ``limit`` of them, oldest first);
    how many were removed."""
    stale = FeedCache.created_at < now - keep
    if limit is not None:
        oldest = sa.select(FeedCache.etag).where(stale).order_by(FeedCache.created_at).limit(limit)
        stale = FeedCache.etag.in_(oldest)
    result = db.session.execute(
        sa.delete(FeedCache).where(stale).execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- secret links --------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, scope: FeedScope, target_id: int | None) -> str:
    """A new secret link for this feed; any older one stops working at once."""
    # Simultaneous clicks queue on the owner's row (SQLite's write lock does the same), so
    # each revokes the link made before it; a unique index on live links is the backstop.
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    revoke(user, scope, target_id)
    token = secrets.token_urlsafe(32)
    db.session.add(
        FeedToken(user_id=user.id, scope=scope, target_id=target_id, token_hash=_hash(token))
    )
    db.session.flush()
    return token


def revoke(user: User, scope: FeedScope, target_id: int | None) -> None:
    db.session.execute(
        sa.update(FeedToken)
        .where(
            FeedToken.user_id == user.id,
            FeedToken.scope == scope,
            FeedToken.target_id.is_(None)
            if target_id is None
            else FeedToken.target_id == target_id,
            FeedToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def active_tokens(user: User) -> dict[tuple[str, int | None], FeedToken]:
    tokens = db.session.scalars(
        sa.select(FeedToken).where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
    )
    return {(t.scope, t.target_id): t for t in tokens}


def token_for(raw: str) -> FeedToken | None:
    if not raw or len(raw) > 100:
        return None
    return db.session.scalar(
        sa.select(FeedToken).where(
            FeedToken.token_hash == _hash(raw), FeedToken.revoked_at.is_(None)
        )
    )


def touch(token: FeedToken, now: dt.datetime) -> None:
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token_id = token.id
        _best_effort(
            lambda: db.session.execute(
                sa.update(FeedToken).where(FeedToken.id == token_id).values(last_used_at=now)
            )
        )
