"""Deleting an account and anonymising places: what identifies a person goes, the rows that
reports count stay (issue 16).

The user row, their places, attendance marks, outcomes, interests and pathway memberships are
kept, so that every figure stays the same; their name, email, answers and free text are
replaced or cleared, and what is only personal and counts nowhere (feed links, API tokens,
digest subscriptions, emails waiting for them, sign-ups) is deleted. The placeholders are
stored in English (they are data, not page text): "Deleted account" for the account and
"Anonymous participant" for a place; their emails end in ``@invalid.example`` (RFC 2606: never
a real address) and carry the row's id, so that they stay unique.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _

from app.circles.facilitators import audit
from app.extensions import db
from app.models import (
    ApiToken,
    DigestSubscription,
    Enrollment,
    EnrollmentStatus,
    FacilitatorDigest,
    FeedToken,
    GuestSignup,
    Meeting,
    NeedsAnswer,
    OutboxMessage,
    Outcome,
    SelfPacedCompletion,
    SurveyAnswer,
    User,
)
from app.participation import services as participation
from app.rules import RuleViolation

DELETED_NAME = "Deleted account"
ANONYMOUS_NAME = "Anonymous participant"
PLACEHOLDER_DOMAIN = "invalid.example"


def place_email() -> sa.ColumnElement[str]:
    """A place's placeholder address, in SQL: unique per row, as the roster's index needs."""
    return sa.literal("place-") + sa.cast(Enrollment.id, sa.String) + "@" + PLACEHOLDER_DOMAIN


def anonymous_place_values(now: dt.datetime) -> dict:
    """What an anonymised place holds instead of the person (an UPDATE's values)."""
    return {
        "name": ANONYMOUS_NAME,
        "email": place_email(),
        "goals": "",
        "answer": "",
        "consent_contact": False,
        "manage_token_hash": None,
        "locale": None,
        "anonymised_at": now,
    }


def contact_removed_values(now: dt.datetime) -> dict:
    """A member's place on a finished circle's roster without their contact details."""
    return {"email": place_email(), "consent_contact": False, "contact_removed_at": now}


def clear_place_texts(place_ids: sa.Select) -> None:
    """What people wrote about themselves on places (survey answers, evidence links)."""
    _clear(SurveyAnswer, SurveyAnswer.enrollment_id.in_(place_ids), changed_work="")
    _clear(Outcome, Outcome.enrollment_id.in_(place_ids), evidence_url="")


def circles_ending(*, before: dt.datetime | None = None, after: dt.datetime | None = None):
    """Circles whose last meeting ends before or after a time (one without meetings: none)."""
    last = sa.func.max(Meeting.ends_at)
    ends = sa.select(Meeting.circle_id).group_by(Meeting.circle_id)
    return ends.having(last < before) if before is not None else ends.having(last > after)


def _leave_circles_not_over(
    theirs: sa.ColumnElement[bool], actor: User | None, now: dt.datetime
) -> None:
    """Seats and waitlist places in circles to come or under way go to the next in line, as
    if the person had withdrawn: a deleted account holds no place someone else could use."""
    places = db.session.scalars(
        sa.select(Enrollment)
        .where(
            theirs,
            Enrollment.status.in_([EnrollmentStatus.enrolled, EnrollmentStatus.waitlisted]),
            Enrollment.circle_id.in_(circles_ending(after=now)),
        )
        .order_by(Enrollment.id)
    ).all()
    for place in places:
        participation.withdraw(place, by=actor, now=now)


def _active_admins() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(User.is_admin, User.active, User.anonymised_at.is_(None))
    )


def anonymise_user(user: User, *, actor: User | None, now: dt.datetime) -> None:
    """Delete ``user``'s account as the issue means it: nothing identifies them any more, and
    what they did still counts. ``actor`` is the person themselves or an administrator."""
    if user.anonymised_at is not None:
        raise RuleViolation(_("This account is already deleted."), conflict=True)
    if user.is_admin and user.active and _active_admins() <= 1:
        raise RuleViolation(
            _(
                "This is the last active administrator: make someone else an administrator "
                "before deleting this account."
            ),
            conflict=True,
        )
    email = user.email.lower()
    # Their places: by account, and the guest places joined with their address (records and
    # pathway progress count those as theirs; the account keeps them now the address goes).
    theirs = sa.or_(
        Enrollment.user_id == user.id,
        sa.and_(Enrollment.user_id.is_(None), sa.func.lower(Enrollment.email) == email),
    )
    db.session.flush()
    _leave_circles_not_over(theirs, actor, now)
    db.session.execute(
        sa.update(Enrollment).where(theirs).values(user_id=user.id, **anonymous_place_values(now)),
        execution_options={"synchronize_session": False},
    )
    clear_place_texts(sa.select(Enrollment.id).where(Enrollment.user_id == user.id))
    _clear(NeedsAnswer, NeedsAnswer.user_id == user.id, comments="")
    _clear(
        SelfPacedCompletion,
        SelfPacedCompletion.user_id == user.id,
        evidence="",
        review_note="",
    )
    for model, where in (
        (FeedToken, FeedToken.user_id == user.id),
        (ApiToken, ApiToken.user_id == user.id),
        (FacilitatorDigest, FacilitatorDigest.user_id == user.id),
        (
            DigestSubscription,
            sa.or_(
                DigestSubscription.user_id == user.id,
                sa.func.lower(DigestSubscription.email) == email,
            ),
        ),
        (GuestSignup, sa.func.lower(GuestSignup.email) == email),
        (OutboxMessage, sa.func.lower(OutboxMessage.to) == email),
    ):
        db.session.execute(
            sa.delete(model).where(where), execution_options={"synchronize_session": False}
        )
    db.session.expire_all()
    user.name = DELETED_NAME
    user.email = f"deleted-{user.id}@{PLACEHOLDER_DOMAIN}"
    user.password_hash = None
    user.active = False
    user.end_sessions()  # every signed-in copy of the account ends, and reset links with it
    user.is_admin = user.is_facilitator = False
    user.managed_branches = []
    user.locale = "en"
    user.timezone = "America/New_York"
    user.last_login_at = None
    user.anonymised_at = now
    audit(actor, "account.deleted", f"user:{user.id}", "")
    db.session.flush()


def _clear(model: type, where: sa.ColumnElement[bool], **values: str) -> None:
    db.session.execute(
        sa.update(model).where(where).values(**values),
        execution_options={"synchronize_session": False},
    )
