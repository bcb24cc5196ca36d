"""Overflow cohorts: when a circle's waitlist is long, a second circle on the same course is
opened (the wizard, pre-filled: ``overflow_views.py``) and its seats are offered to the
waitlist, in waitlist order.

No column links the two circles: the offers do. An offer belongs to one waitlisted place of
the full circle and one circle with open seats on the same course. The people offered never
outnumber the seats free: a seat is "spoken for" by each open offer whose place is still
waiting. Answering goes through the secret link of the email (only its SHA-256 is kept) or,
signed in, from "my circles".

Accepting takes the seat through ``services.join`` (the conditional UPDATE, the circle's row
lock): two people accepting the last seat at once cannot both get it. The waitlist place in
the full circle is given up in the same transaction; with no seat left, nothing changes and
the place is kept. Declining keeps the place and offers the seat to the next in line.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    OfferStatus,
    OverflowOffer,
    User,
)
from app.participation import notifications, services
from app.participation.places import place_of
from app.rules import RuleViolation


def _open_offers() -> sa.ColumnElement[bool]:
    """Offers not answered whose place is still waiting: each speaks for a seat."""
    return sa.and_(
        OverflowOffer.status == OfferStatus.offered,
        Enrollment.status == EnrollmentStatus.waitlisted,
    )


def seats_to_offer(target: Circle) -> int:
    """The target's free seats not already offered to someone still waiting."""
    spoken_for = db.session.scalar(
        sa.select(sa.func.count(OverflowOffer.id))
        .join(Enrollment, Enrollment.id == OverflowOffer.enrollment_id)
        .where(OverflowOffer.circle_id == target.id, _open_offers())
    )
    return max(target.seats_left - spoken_for, 0)


def overflow_circles(original: Circle, now: dt.datetime) -> list[Circle]:
    """Published circles on the same course that people can still join, with seats to
    offer: where the waitlist of ``original`` can be offered seats."""
    candidates = db.session.scalars(
        sa.select(Circle)
        .where(
            Circle.course_id == original.course_id,
            Circle.id != original.id,
            Circle.status == CircleStatus.published,
            Circle.enrolled_count < Circle.capacity,
        )
        .order_by(Circle.id)
    )
    return [
        c
        for c in candidates
        if services.joining_closed_reason(c, now) is None and seats_to_offer(c) > 0
    ]


def offers_from(original: Circle) -> list[OverflowOffer]:
    """Every offer made to the waitlist of ``original``, in the order made (for its roster)."""
    return list(
        db.session.scalars(
            sa.select(OverflowOffer)
            .join(Enrollment, Enrollment.id == OverflowOffer.enrollment_id)
            .where(Enrollment.circle_id == original.id)
            .options(so.joinedload(OverflowOffer.enrollment), so.joinedload(OverflowOffer.circle))
            .order_by(OverflowOffer.id)
        )
    )


def offer_seats(original: Circle, target: Circle, now: dt.datetime) -> list[OverflowOffer]:
    """Offer the target's seats to the first waitlisted places of ``original``, as many as
    it has seats to offer; each person is emailed. Refused when there is nothing to offer."""
    if target.id == original.id or target.course_id != original.course_id:
        raise RuleViolation(_("Seats can only be offered in another circle on the same course."))
    reason = services.joining_closed_reason(target, now)
    if reason:
        raise RuleViolation(reason)
    made = _offer_next(original, target, now)
    if not made:
        raise RuleViolation(
            _("Nobody left to offer a seat to: every seat is offered, or nobody is waiting.")
        )
    return made


def _offer_next(original: Circle, target: Circle, now: dt.datetime) -> list[OverflowOffer]:
    """Offers to the next waitlisted places never offered a seat in ``target``, one per seat
    it has to offer. Offers of one target take turns (its row lock)."""
    services._lock_circle(target.id)
    db.session.refresh(target)
    wanted = seats_to_offer(target)
    if wanted == 0 or target.status != CircleStatus.published:
        return []
    offered_before = sa.select(OverflowOffer.enrollment_id).where(
        OverflowOffer.circle_id == target.id
    )
    waiting = db.session.scalars(
        sa.select(Enrollment)
        .where(
            Enrollment.circle_id == original.id,
            Enrollment.status == EnrollmentStatus.waitlisted,
            Enrollment.id.not_in(offered_before),
        )
        .order_by(Enrollment.waitlist_seq)
    )
    made = []
    for enrollment in waiting:
        if len(made) == wanted:
            break
        if place_of(target, enrollment.email) is not None or _facilitates(enrollment, target):
            continue  # already has a place there, or runs it
        token, digest = services.new_token()
        offer = OverflowOffer(
            enrollment=enrollment,
            circle=target,
            token_hash=digest,
            status=OfferStatus.offered,
            offered_at=now,
        )
        db.session.add(offer)
        made.append(offer)
        notifications.overflow_offered(offer, token)
    db.session.flush()
    return made


def _facilitates(enrollment: Enrollment, circle: Circle) -> bool:
    return enrollment.user_id is not None and any(
        f.user_id == enrollment.user_id for f in circle.facilitations
    )


# --- answering ----------------------------------------------------------------------------------


def offer_for_token(token: str) -> OverflowOffer | None:
    """The unanswered offer of a link; answered, altered or unknown links find nothing."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(OverflowOffer).where(
            OverflowOffer.token_hash == services.token_digest(token),
            OverflowOffer.status == OfferStatus.offered,
        )
    )


def open_offers_for(email: str) -> list[OverflowOffer]:
    """A person's unanswered offers (matched by email, as places are), for "my circles"."""
    return list(
        db.session.scalars(
            sa.select(OverflowOffer)
            .join(Enrollment, Enrollment.id == OverflowOffer.enrollment_id)
            .where(Enrollment.email == email.lower(), _open_offers())
            .options(so.joinedload(OverflowOffer.circle))
            .order_by(OverflowOffer.offered_at)
        )
    )


def stale_reason(offer: OverflowOffer) -> str | None:
    """Why an unanswered offer no longer works: its waitlist place is gone (left, removed,
    or given a seat in the full circle)."""
    place = offer.enrollment
    if place.is_waitlisted:
        return None
    if place.is_enrolled or place.is_completed:
        return _(
            "This offer no longer works: you have a seat in “%(title)s” now.",
            title=place.circle.title,
        )
    return _(
        "This offer no longer works: your place on the waitlist of “%(title)s” was given up.",
        title=place.circle.title,
    )


def _check_open(offer: OverflowOffer) -> None:
    db.session.refresh(offer)
    db.session.refresh(offer.enrollment)
    if offer.status != OfferStatus.offered:
        raise RuleViolation(_("This offer was already answered."), conflict=True)
    reason = stale_reason(offer)
    if reason:
        raise RuleViolation(reason, conflict=True)


def accept(offer: OverflowOffer, *, by: User | None, now: dt.datetime) -> Enrollment:
    """Take the seat: a place in the overflow circle, and the waitlist place given up, at once.
    With no seat left (someone took the last one a moment ago) nothing changes."""
    target = offer.circle
    services._lock_circle(target.id)  # accepts (and offers) of one circle take turns
    _check_open(offer)
    db.session.refresh(target)
    if target.seats_left == 0:
        raise RuleViolation(
            _(
                "Sorry, the last seat in “%(title)s” was just taken. You keep your place on "
                "the waitlist of “%(original)s”.",
                title=target.title,
                original=offer.enrollment.circle.title,
            ),
            conflict=True,
        )
    place = offer.enrollment
    joined = services.join(
        target,
        services.Joiner(
            name=place.name,
            email=place.email,
            user=place.user,
            goals=place.goals,
            answer=place.answer,
            consent_contact=place.consent_contact,
            locale=place.locale,
        ),
        now,
    )
    if not joined.is_enrolled:  # the lock above makes this impossible; never a waitlist swap
        raise RuleViolation(
            _("Sorry, the last seat in “%(title)s” was just taken.", title=target.title)
        )
    services.withdraw(place, by=by, now=now)
    offer.status = OfferStatus.accepted
    offer.answered_at = now
    db.session.flush()
    return joined


def decline(offer: OverflowOffer, *, now: dt.datetime) -> list[OverflowOffer]:
    """Keep the waitlist place; the seat is offered to the next in line (returned)."""
    services._lock_circle(offer.circle_id)
    _check_open(offer)
    offer.status = OfferStatus.declined
    offer.answered_at = now
    db.session.flush()
    return _offer_next(offer.enrollment.circle, offer.circle, now)
