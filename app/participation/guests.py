"""Guests (no account): a sign-up confirmed by email before it takes a place, and fresh
manage links for places whose link was lost.

``request_guest_signup`` stores the request and sends a link; only ``confirm_guest_signup``,
when the link is used, takes a place (through ``services.join``). Nothing a guest is told
says whether an address is in a circle or has an account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Circle, Enrollment, EnrollmentStatus, GuestSignup, User
from app.participation import notifications, services
from app.participation.places import place_of
from app.participation.services import Joiner, joining_closed_reason, token_digest
from app.rules import RuleViolation

SIGNUP_LINK_HOURS = 48  # how long a guest's confirmation link works


def _account_for(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def request_guest_signup(circle: Circle, joiner: Joiner, now: dt.datetime) -> None:
    """A guest asks to join: nothing is held yet. The address gets a link to confirm (or,
    if it belongs to an account, a request to sign in), so that only its owner can take a
    place with it. What the asker sees is the same whatever the address, so that it tells
    nobody whether an address is in a circle or has an account."""
    reason = joining_closed_reason(circle, now)
    if reason:
        raise RuleViolation(reason)
    if not circle.is_public:
        raise RuleViolation(_("Sign in to join this circle: it is for library staff."))
    email = joiner.email.strip().lower()
    account = _account_for(email)
    if account is not None:
        notifications.sign_in_to_join(account, circle)
        return
    token, digest = services.new_token()
    signup = GuestSignup(
        circle=circle,
        name=joiner.name,
        email=email,
        goals=joiner.goals if circle.ask_goals else "",
        answer=joiner.answer if circle.custom_question else "",
        consent_contact=joiner.consent_contact,
        locale=joiner.locale,
        token_hash=digest,
        created_at=now,
        expires_at=now + dt.timedelta(hours=SIGNUP_LINK_HOURS),
    )
    db.session.add(signup)
    notifications.confirm_signup(signup, circle, token, SIGNUP_LINK_HOURS)
    db.session.flush()


def signup_for_token(token: str, now: dt.datetime) -> GuestSignup | None:
    """The sign-up a confirmation link is for, if unused and unexpired."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(GuestSignup).where(
            GuestSignup.token_hash == token_digest(token),
            GuestSignup.used_at.is_(None),
            GuestSignup.expires_at > now,
        )
    )


class SignupGone(Exception):
    """The confirmation link was used in the meantime (a double click): like an unknown one."""


@dataclass(frozen=True)
class Confirmed:
    enrollment: Enrollment
    token: str  # the guest's fresh manage token
    new: bool  # False: the address already had this place


def confirm_guest_signup(signup: GuestSignup, now: dt.datetime) -> Confirmed:
    """The address's owner confirms: join now (a seat, or the next waitlist place), once.
    If the address already holds a place in the circle, that place is theirs to manage.

    The link is used up last, by a conditional UPDATE: of simultaneous uses exactly one
    gets it, and the others raise SignupGone, which undoes whatever they did."""
    circle = signup.circle
    if _account_for(signup.email) is not None:
        raise RuleViolation(
            _("This address has an account: sign in to join the circle."), "account"
        )
    services._lock_circle(circle.id)  # another confirmation for this address may be under way
    existing = place_of(circle, signup.email)
    if existing is None:
        joiner = Joiner(
            name=signup.name,
            email=signup.email,
            goals=signup.goals,
            answer=signup.answer,
            consent_contact=signup.consent_contact,
            locale=signup.locale,
        )
        enrollment = services.join(circle, joiner, now)
        confirmed = Confirmed(enrollment, enrollment.manage_token, new=True)
    elif existing.user_id is not None:
        raise RuleViolation(_("This place belongs to an account: sign in to see it."), "account")
    else:
        existing.locale = signup.locale or existing.locale  # the language they asked in last
        confirmed = Confirmed(existing, send_manage_link(existing), new=False)
    claimed = db.session.execute(
        sa.update(GuestSignup)
        .where(
            GuestSignup.id == signup.id,
            GuestSignup.used_at.is_(None),
            GuestSignup.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise SignupGone
    return confirmed


# --- lost links ----------------------------------------------------------------------------------


def send_manage_link(enrollment: Enrollment) -> str:
    token = services.issue_manage_link(enrollment)
    db.session.flush()
    notifications.manage_link(enrollment)
    return token


def send_lost_links(email: str) -> int:
    """Email a fresh manage link for each live guest place of ``email`` (ending the old
    links). Nothing is sent to an address without one, and the asker is told the same."""
    places = db.session.scalars(
        sa.select(Enrollment)
        .where(
            Enrollment.email == email.strip().lower(),
            Enrollment.user_id.is_(None),
            Enrollment.status.in_([EnrollmentStatus.enrolled, EnrollmentStatus.waitlisted]),
        )
        .order_by(Enrollment.id)
    ).all()
    for enrollment in places:
        send_manage_link(enrollment)
    return len(places)
