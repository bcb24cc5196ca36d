"""Digest subscriptions and sending.

A signed-in person subscribes at once; a guest (public circles only) confirms their address
first, by a signed link. ``send_digests`` (``flask digest send``, from cron) emails each
due subscription the matching circles it was not told of before, each circle once: what was
sent (``DigestSent``) is written in the same transaction as the outbox message.

Two senders at once: each subscription is taken in a transaction of its own, first with
``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (the other sender passes it by), then by
a conditional UPDATE of ``last_sent_at`` (on SQLite, under its single write lock): only the
sender whose UPDATE changed the row sends, and ``DigestSent``'s primary key refuses a second
copy of any circle whatever happens.

Links carry signed tokens (itsdangerous, one salt per use) naming the subscription and a
fingerprint of its address, so a token cannot be altered nor carried to another address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.circles.listing import list_circles
from app.digest import notifications
from app.extensions import db
from app.models import (
    CareerStage,
    Circle,
    CircleFormat,
    Course,
    DigestFrequency,
    DigestSent,
    DigestSubscription,
    Meeting,
    MeetingStatus,
    User,
)
from app.rules import RuleViolation

CONFIRM_HOURS = 48  # how long a guest's confirmation link works
# A little under the period, so that a cron job drifting by a few minutes still sends.
SLACK = dt.timedelta(hours=4)
PERIOD = {
    DigestFrequency.weekly: dt.timedelta(days=7),
    DigestFrequency.monthly: dt.timedelta(days=30),
}
SALTS = {"confirm": "digest-confirm", "unsubscribe": "digest-unsubscribe", "feed": "digest-feed"}


@dataclass(frozen=True)
class Filters:
    frequency: DigestFrequency
    skill_areas: list[str] = field(default_factory=list)
    branch_ids: list[int] = field(default_factory=list)
    career_stage: CareerStage | None = None
    format: CircleFormat | None = None


class BadToken(Exception):
    """A link that was altered, has expired, or was used already: nothing is changed."""


# --- tokens ------------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALTS[purpose])


def _fingerprint(subscription: DigestSubscription) -> str:
    return hashlib.sha256(subscription.email.encode()).hexdigest()[:16]


def token_for(subscription: DigestSubscription, purpose: str) -> str:
    return _serializer(purpose).dumps([subscription.id, _fingerprint(subscription)])


def subscription_for(token: str, purpose: str) -> DigestSubscription:
    """The subscription a link is for; ``BadToken`` if it was altered, expired (confirmation
    links), or names a subscription that is gone (unsubscribed) or already confirmed."""
    max_age = CONFIRM_HOURS * 3600 if purpose == "confirm" else None
    try:
        sub_id, fingerprint = _serializer(purpose).loads(token[:500], max_age=max_age)
        subscription = db.session.get(DigestSubscription, int(sub_id))
    except (BadSignature, ValueError, TypeError):
        raise BadToken from None
    if subscription is None or _fingerprint(subscription) != fingerprint:
        raise BadToken
    confirmed = subscription.confirmed_at is not None
    if (purpose == "confirm") == confirmed:  # used already / not yet confirmed
        raise BadToken
    return subscription


# --- subscribing -------------------------------------------------------------------------------


def _new(filters: Filters, **fields) -> DigestSubscription:
    subscription = DigestSubscription(
        frequency=filters.frequency,
        skill_areas=sorted(str(s) for s in filters.skill_areas),
        branch_ids=sorted(filters.branch_ids),
        career_stage=filters.career_stage,
        format=filters.format,
        **fields,
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def subscribe_user(user: User, filters: Filters, now: dt.datetime) -> DigestSubscription:
    """A signed-in person's subscription: their address is known, so it is active at once."""
    return _new(
        filters,
        user_id=user.id,
        email=user.email,
        locale=user.locale,
        timezone=user.timezone,
        confirmed_at=now,
    )


def subscribe_guest(email: str, timezone: str, locale: str | None, filters: Filters) -> None:
    """A guest's subscription waits until the address's owner follows the emailed link."""
    subscription = _new(filters, email=email.strip().lower(), locale=locale, timezone=timezone)
    notifications.confirm(subscription, token_for(subscription, "confirm"), CONFIRM_HOURS)


def confirm(subscription: DigestSubscription, now: dt.datetime) -> None:
    """Once: of two simultaneous uses of the link, the second is refused."""
    done = db.session.execute(
        sa.update(DigestSubscription)
        .where(DigestSubscription.id == subscription.id, DigestSubscription.confirmed_at.is_(None))
        .values(confirmed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise RuleViolation(_("This link was used already."))
    db.session.refresh(subscription)


def unsubscribe(subscription: DigestSubscription) -> None:
    gone = db.session.execute(
        sa.delete(DigestSubscription)
        .where(DigestSubscription.id == subscription.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if gone != 1:
        raise RuleViolation(_("You were unsubscribed already."))
    db.session.expunge(subscription)


def subscriptions_of(user: User) -> list[DigestSubscription]:
    return list(
        db.session.scalars(
            sa.select(DigestSubscription)
            .where(DigestSubscription.user_id == user.id)
            .order_by(DigestSubscription.id)
        )
    )


# --- what a subscription lists -----------------------------------------------------------------


def matching(subscription: DigestSubscription, now: dt.datetime) -> sa.Select[tuple[Circle]]:
    """Published circles still to meet that match the filters: staff circles too for a
    person with an account, public ones only for a guest."""
    viewer = subscription.user if subscription.user_id else AnonymousUserMixin()
    query = list_circles(viewer, now)
    if subscription.skill_areas:
        query = query.where(Course.skill_area.in_(subscription.skill_areas))
    if subscription.branch_ids:
        query = query.where(Circle.branch_id.in_(subscription.branch_ids))
    if subscription.career_stage:
        # A course for every stage suits each stage.
        query = query.where(Course.career_stage.in_([subscription.career_stage, CareerStage.all]))
    if subscription.format:
        query = query.where(Circle.format == subscription.format)
    return query


def listed(subscription: DigestSubscription, now: dt.datetime) -> list[Circle]:
    return list(db.session.scalars(matching(subscription, now)).unique())


def upcoming_meetings(circles: list[Circle], now: dt.datetime) -> list[Meeting]:
    return [
        m
        for c in circles
        for m in c.meetings
        if m.status == MeetingStatus.scheduled and m.ends_at > now
    ]


# --- sending -----------------------------------------------------------------------------------


def _due(now: dt.datetime) -> sa.ColumnElement[bool]:
    last = DigestSubscription.last_sent_at
    return sa.and_(
        DigestSubscription.confirmed_at.is_not(None),
        sa.or_(
            last.is_(None),
            *(
                sa.and_(DigestSubscription.frequency == freq, last <= now - period + SLACK)
                for freq, period in PERIOD.items()
            ),
        ),
    )


def send_digests(now: dt.datetime) -> int:
    """Send every due subscription its digest, each in its own transaction (committed here);
    returns how many emails were queued."""
    due = db.session.scalars(
        sa.select(DigestSubscription.id).where(_due(now)).order_by(DigestSubscription.id)
    ).all()
    db.session.commit()
    queued = 0
    for sub_id in due:
        try:
            queued += _send_one(sub_id, now)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return queued


def _send_one(sub_id: int, now: dt.datetime) -> bool:
    query = (
        sa.select(DigestSubscription)
        .where(DigestSubscription.id == sub_id, _due(now))
        .execution_options(populate_existing=True)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # another sender has it: pass by
    subscription = db.session.scalar(query)
    if subscription is None:
        return False
    taken = db.session.execute(
        sa.update(DigestSubscription)
        .where(DigestSubscription.id == sub_id, _due(now))
        .values(last_sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1 or (subscription.user is not None and not subscription.user.active):
        return False
    told = sa.select(DigestSent.circle_id).where(DigestSent.subscription_id == sub_id)
    circles = list(
        db.session.scalars(matching(subscription, now).where(Circle.id.not_in(told))).unique()
    )
    if not circles:
        return False
    notifications.digest(
        subscription,
        circles,
        now,
        token_for(subscription, "unsubscribe"),
        token_for(subscription, "feed"),
    )
    db.session.add_all(
        DigestSent(subscription_id=sub_id, circle_id=c.id, sent_at=now) for c in circles
    )
    db.session.flush()
    return True
