"""The retention run (``flask privacy run``, daily from cron; the admin's "Run now"): personal
data kept no longer than the settings say.

- guests' places (no account) on circles whose last meeting ended more than
  ``PRIVACY_GUEST_RETENTION_DAYS`` ago are anonymised (app/privacy/services.py);
- members' places on circles ended more than ``PRIVACY_ROSTER_CONTACT_DAYS`` ago lose their
  email on the roster (the place stays matched to the account by ``user_id``: records and
  pathway progress do not change);
- expired guest sign-ups and digest sign-ups unconfirmed for ``PRIVACY_SIGNUP_DAYS`` are
  deleted.

Each step selects a batch of ids and changes them with one UPDATE or DELETE that checks the
same conditions again, so a statewide database is never loaded whole, a second run finds
nothing to do, and two hosts running at once never change a row twice (the second UPDATE
waits on the first's row locks and then finds the rows no longer match).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import Circle, DigestSubscription, Enrollment, GuestSignup, Meeting
from app.privacy.services import (
    anonymous_place_values,
    circles_ending,
    clear_place_texts,
    contact_removed_values,
)

BATCH = 500
CIRCLES_SHOWN = 50


@dataclass(frozen=True)
class Settings:
    guest_days: int
    contact_days: int
    signup_days: int

    @classmethod
    def from_config(cls, config: Mapping) -> Settings:
        return cls(
            guest_days=config["PRIVACY_GUEST_RETENTION_DAYS"],
            contact_days=config["PRIVACY_ROSTER_CONTACT_DAYS"],
            signup_days=config["PRIVACY_SIGNUP_DAYS"],
        )


@dataclass
class DueCircle:
    circle: Circle
    ended_at: dt.datetime
    guests: int = 0
    contacts: int = 0


@dataclass
class Counts:
    """What a run did, or (with ``circles``) what the next one would do."""

    guests: int = 0
    contacts: int = 0
    signups: int = 0
    subscriptions: int = 0
    circles: list[DueCircle] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.guests + self.contacts + self.signups + self.subscriptions


def _guests(now: dt.datetime, s: Settings) -> list[sa.ColumnElement[bool]]:
    return [
        Enrollment.user_id.is_(None),
        Enrollment.anonymised_at.is_(None),
        Enrollment.circle_id.in_(circles_ending(before=now - dt.timedelta(days=s.guest_days))),
    ]


def _contacts(now: dt.datetime, s: Settings) -> list[sa.ColumnElement[bool]]:
    return [
        Enrollment.user_id.is_not(None),
        Enrollment.anonymised_at.is_(None),
        Enrollment.contact_removed_at.is_(None),
        Enrollment.circle_id.in_(circles_ending(before=now - dt.timedelta(days=s.contact_days))),
    ]


def _signups(now: dt.datetime, _s: Settings) -> list[sa.ColumnElement[bool]]:
    return [GuestSignup.expires_at < now]


def _subscriptions(now: dt.datetime, s: Settings) -> list[sa.ColumnElement[bool]]:
    # A guest's, never confirmed: a member's subscription is active from the start.
    return [
        DigestSubscription.user_id.is_(None),
        DigestSubscription.confirmed_at.is_(None),
        DigestSubscription.created_at < now - dt.timedelta(days=s.signup_days),
    ]


def _count(model: type, where: list) -> int:
    return db.session.scalar(sa.select(sa.func.count(model.id)).where(*where))


def _per_circle(where: list, limit: int) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Enrollment.circle_id, sa.func.count(Enrollment.id))
        .where(*where)
        .group_by(Enrollment.circle_id)
        .order_by(Enrollment.circle_id)
        .limit(limit)
    )
    return dict(rows.all())


def due(now: dt.datetime, s: Settings, limit: int = CIRCLES_SHOWN) -> Counts:
    """What the next run would do, and the circles concerned (at most ``limit``)."""
    guests = _per_circle(_guests(now, s), limit)
    contacts = _per_circle(_contacts(now, s), limit)
    ids = sorted(guests.keys() | contacts.keys())[:limit]
    rows = db.session.execute(
        sa.select(Circle, sa.func.max(Meeting.ends_at))
        .join(Meeting, Meeting.circle_id == Circle.id)
        .where(Circle.id.in_(ids))
        .group_by(Circle.id)
        .order_by(sa.func.max(Meeting.ends_at), Circle.id)
    ).all()
    return Counts(
        guests=_count(Enrollment, _guests(now, s)),
        contacts=_count(Enrollment, _contacts(now, s)),
        signups=_count(GuestSignup, _signups(now, s)),
        subscriptions=_count(DigestSubscription, _subscriptions(now, s)),
        circles=[
            DueCircle(circle, ended, guests.get(circle.id, 0), contacts.get(circle.id, 0))
            for circle, ended in rows
        ],
    )


def _in_batches(
    model: type,
    where: list,
    change: Callable[[list[int], list], int],
    size: int,
    after_batch: Callable[[], None],
) -> int:
    done = 0
    while True:
        ids = list(
            db.session.scalars(sa.select(model.id).where(*where).order_by(model.id).limit(size))
        )
        if not ids:
            return done
        done += change(ids, [model.id.in_(ids), *where])
        after_batch()


def _anonymise(now: dt.datetime) -> Callable[[list[int], list], int]:
    def change(ids: list[int], where: list) -> int:
        result = db.session.execute(
            sa.update(Enrollment).where(*where).values(**anonymous_place_values(now)),
            execution_options={"synchronize_session": False},
        )
        clear_place_texts(sa.select(Enrollment.id).where(Enrollment.id.in_(ids)))
        return result.rowcount

    return change


def _remove_contacts(now: dt.datetime) -> Callable[[list[int], list], int]:
    def change(_ids: list[int], where: list) -> int:
        return db.session.execute(
            sa.update(Enrollment).where(*where).values(**contact_removed_values(now)),
            execution_options={"synchronize_session": False},
        ).rowcount

    return change


def _delete(model: type) -> Callable[[list[int], list], int]:
    def change(_ids: list[int], where: list) -> int:
        return db.session.execute(
            sa.delete(model).where(*where), execution_options={"synchronize_session": False}
        ).rowcount

    return change


def run(
    now: dt.datetime,
    s: Settings,
    *,
    size: int = BATCH,
    after_batch: Callable[[], None] = lambda: None,
) -> Counts:
    """Do what :func:`due` says; ``after_batch`` (the command commits there) runs after each
    batch, so that locks are held briefly and a stopped run keeps what it did."""
    counts = Counts(
        guests=_in_batches(Enrollment, _guests(now, s), _anonymise(now), size, after_batch),
        contacts=_in_batches(
            Enrollment, _contacts(now, s), _remove_contacts(now), size, after_batch
        ),
        signups=_in_batches(GuestSignup, _signups(now, s), _delete(GuestSignup), size, after_batch),
        subscriptions=_in_batches(
            DigestSubscription,
            _subscriptions(now, s),
            _delete(DigestSubscription),
            size,
            after_batch,
        ),
    )
    db.session.expire_all()
    return counts
