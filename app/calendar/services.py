"""Which meetings and bookings a feed holds, its cheap fingerprint (the ETag), secret
feed links, and a cache of rendered feeds keyed by that fingerprint."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import get_locale
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
from app.timeutil import UTCDateTime, utcnow

WINDOW_BACK = dt.timedelta(days=90)
TOUCH_EVERY = dt.timedelta(hours=1)
# A rendered feed's ETag covers the day's window, so after a day nobody asks for it again.
CACHE_KEEP = dt.timedelta(days=2)
PRUNE_BATCH = 100  # stale rendered feeds removed each time one is cached


# --- what each feed holds -----------------------------------------------------------------------

# The conditions take the feed's target (a circle, meeting, branch, room or person) as a bound
# parameter, so that the statements built on them are built once, not once per request.
_TARGET = sa.bindparam("target", type_=sa.Integer)
_SINCE = sa.bindparam("since", type_=UTCDateTime)
_LIVE = Circle.status != CircleStatus.draft

# Per kind of feed: which meetings (a condition on Meeting/Circle) and which bookings (on
# Booking/Room) it holds.
_MEETINGS: dict[str, sa.ColumnElement[bool]] = {
    "circle": sa.and_(Meeting.circle_id == _TARGET, _LIVE),
    "meeting": Meeting.id == _TARGET,
    "branch": sa.and_(Circle.branch_id == _TARGET, _LIVE),
    "facilitator": Meeting.circle_id.in_(
        sa.select(Facilitation.circle_id).where(Facilitation.user_id == _TARGET)
    ),
    "personal": sa.and_(
        Meeting.circle_id.in_(
            sa.select(Enrollment.circle_id).where(
                Enrollment.user_id == _TARGET,
                Enrollment.status.in_([EnrollmentStatus.enrolled, EnrollmentStatus.completed]),
            )
        ),
        _LIVE,
    ),
}
_BOOKINGS: dict[str, sa.ColumnElement[bool]] = {
    "branch": sa.and_(Room.branch_id == _TARGET, Booking.kind != BookingKind.meeting),
    "room": Booking.room_id == _TARGET,
}


@dataclass(frozen=True)
class Feed:
    """A feed: its kind (circle, meeting, branch, room, facilitator, personal) and target's
    id say which meetings and bookings it holds."""

    kind: str
    target: int
    name: str
    filename: str
    private: bool = True

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.target}"

    @property
    def meetings(self) -> sa.ColumnElement[bool] | None:
        return _MEETINGS.get(self.kind)

    @property
    def bookings(self) -> sa.ColumnElement[bool] | None:
        return _BOOKINGS.get(self.kind)

    def params(self, since: dt.datetime) -> dict:
        return {"target": self.target, "since": since}


def circle_feed(circle: Circle) -> Feed:
    return Feed(
        "circle",
        circle.id,
        name=circle.title,
        filename=f"circle-{circle.id}.ics",
        private=circle.audience != "public",
    )


def meeting_feed(meeting: Meeting) -> Feed:
    return Feed(
        "meeting",
        meeting.id,
        name=meeting.circle.title,
        filename=f"meeting-{meeting.id}.ics",
        private=meeting.circle.audience != "public",
    )


def branch_feed(branch: Branch) -> Feed:
    return Feed(
        "branch",
        branch.id,
        name=_("%(branch)s: circles and room bookings", branch=branch.name),
        filename=f"branch-{branch.slug}.ics",
    )


def room_feed(room: Room) -> Feed:
    return Feed(
        "room",
        room.id,
        name=_("%(room)s at %(branch)s", room=room.name, branch=room.branch.name),
        filename=f"room-{room.id}.ics",
    )


def facilitator_feed(user: User) -> Feed:
    return Feed("facilitator", user.id, name=_("Circles I facilitate"), filename="facilitating.ics")


def personal_feed(user: User) -> Feed:
    return Feed("personal", user.id, name=_("My learning circles"), filename="my-circles.ics")


# --- fingerprint, render, cache -----------------------------------------------------------------


def _window(now: dt.datetime) -> dt.datetime:
    # Whole days, so that the window (and the ETag) moves once a day, not every second.
    start = (now - WINDOW_BACK).replace(hour=0, minute=0, second=0, microsecond=0)
    return start


def _names_version() -> list[sa.ScalarSelect]:
    """When a branch, room or course last changed: their names appear in events."""
    return [
        sa.select(sa.func.max(model.updated_at)).correlate(None).scalar_subquery()
        for model in (Branch, Room, Course)
    ]


def _facilitators(in_feed: sa.ColumnElement[bool]) -> sa.ScalarSelect:
    """Who facilitates the feed's circles, and in which role, as one string (their names
    appear in events; a facilitation has no timestamp to ask instead). Each name is prefixed
    with its length, so that no two lists can read the same."""
    text = sa.String()
    row = sa.func.coalesce(
        sa.cast(Facilitation.circle_id, text)
        + ":"
        + sa.cast(Facilitation.user_id, text)
        + ":"
        + sa.cast(Facilitation.role, text)
        + ":"
        + sa.cast(sa.func.length(User.name), text)
        + ":"
        + User.name,
        "",
    )
    circles = sa.select(Meeting.circle_id).join(Circle, Circle.id == Meeting.circle_id)
    rows = (
        sa.select(row.label("row"))
        .select_from(Facilitation)
        .join(User, User.id == Facilitation.user_id)
        .where(Facilitation.circle_id.in_(circles.where(in_feed)))
        .order_by(Facilitation.circle_id, Facilitation.user_id)
        .subquery()
    )
    return sa.select(sa.func.aggregate_strings(rows.c.row, "|")).correlate(None).scalar_subquery()


@functools.cache
def _fingerprint_query(kind: str) -> sa.Select:
    """One statement of aggregates for a kind of feed (built once; the target and the
    window's start are its parameters)."""
    sources: list[sa.Subquery] = []
    extra: list[sa.ColumnElement] = []
    if kind in _MEETINGS:
        in_feed = sa.and_(_MEETINGS[kind], Meeting.ends_at >= _SINCE)
        meetings = (
            sa.select(
                sa.func.count(Meeting.id).label("meetings"),
                sa.func.max(Meeting.updated_at).label("meeting_changed"),
                sa.func.max(Circle.updated_at).label("circle_changed"),
            )
            .join(Circle, Circle.id == Meeting.circle_id)
            .where(in_feed)
        )
        sources.append(meetings.subquery("m"))
        extra.append(_facilitators(in_feed).label("facilitators"))
    if kind in _BOOKINGS:
        bookings = (
            sa.select(
                sa.func.count(Booking.id).label("bookings"),
                sa.func.max(Booking.updated_at).label("booking_changed"),
            )
            .join(Room, Room.id == Booking.room_id)
            .where(_BOOKINGS[kind], Booking.ends_at >= _SINCE)
        )
        sources.append(bookings.subquery("b"))
    # Each aggregate is one row: joined on true, they make one row of one statement.
    joined = sources[0] if len(sources) == 1 else sources[0].join(sources[1], sa.true())
    return sa.select(*joined.c, *_names_version(), *extra).select_from(joined)


def fingerprint(feed: Feed, links: Links, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """(ETag, Last-Modified) from ONE query of aggregates: no calendar is built. The ETag
    also keys the cache of rendered bytes, so it covers everything that shapes them: the
    rows, the names shown in events, the facilitators, the language, the feed's name and the
    links. A 304 costs this query and whatever access check came before it."""
    since = _window(now)
    parts = [PRODID, feed.key, feed.name, links.host, links.circle_url(0), since.isoformat()]
    parts.append(str(get_locale()))  # the events' words are in the reader's language
    row = db.session.execute(_fingerprint_query(feed.kind), feed.params(since)).one()
    parts += map(str, row)
    mapping = row._mapping
    stamps = [
        mapping[name]
        for name in ("meeting_changed", "circle_changed", "booking_changed")
        if mapping.get(name) is not None
    ]
    etag = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return etag, max(stamps) if stamps else None


def render(feed: Feed, links: Links, now: dt.datetime) -> bytes:
    params = feed.params(_window(now))
    events = []
    if feed.meetings is not None:
        meetings = db.session.scalars(
            sa.select(Meeting)
            .join(Circle, Circle.id == Meeting.circle_id)
            .where(feed.meetings, Meeting.ends_at >= _SINCE)
            .options(
                so.selectinload(Meeting.bookings).joinedload(Booking.room),
                so.joinedload(Meeting.circle).options(
                    so.joinedload(Circle.course),
                    so.joinedload(Circle.branch),
                    so.joinedload(Circle.room),
                    so.selectinload(Circle.facilitations).joinedload(Facilitation.user),
                ),
            )
            .order_by(Meeting.starts_at, Meeting.id),
            params,
        )
        events.extend(meeting_events(meetings, links))
    if feed.bookings is not None:
        bookings = db.session.scalars(
            sa.select(Booking)
            .join(Room, Room.id == Booking.room_id)
            .where(feed.bookings, Booking.ends_at >= _SINCE)
            .options(so.joinedload(Booking.room).joinedload(Room.branch))
            .order_by(Booking.starts_at, Booking.id),
            params,
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
    # Its owner and the branches they manage come with it: every feed request checks both.
    found = db.session.execute(
        sa.select(FeedToken)
        .where(FeedToken.token_hash == _hash(raw), FeedToken.revoked_at.is_(None))
        .options(so.joinedload(FeedToken.user).joinedload(User.managed_branches))
    )
    return found.unique().scalar_one_or_none()


def touch(token: FeedToken, now: dt.datetime) -> None:
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token_id = token.id
        _best_effort(
            lambda: db.session.execute(
                sa.update(FeedToken).where(FeedToken.id == token_id).values(last_used_at=now)
            )
        )
