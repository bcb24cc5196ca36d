"""Joining circles: seats, the waitlist, withdrawing, reminders and messages.

Seats are counted by ``circle.enrolled_count`` and taken with one conditional UPDATE
(``... SET enrolled_count = enrolled_count + 1 WHERE enrolled_count < capacity``), which
the database applies atomically whatever the timing; a CHECK keeps the count within the
capacity. Waitlist places come from ``circle.waitlist_next`` the same way, so they are
handed out in order and never twice.

A guest (no account) first asks by email: ``request_guest_signup`` stores the request and
sends a link; only ``confirm_guest_signup``, when the link is used, takes a place. Guests then
manage their place through an opaque random link (only its SHA-256 is stored) that withdrawing
ends and a new one replaces; ``guests.py`` holds the guests' side.

What people are told about it is in ``notifications.py``; what they hold is read in
``places.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.labels import status_word
from app.models import (
    AuditEvent,
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Meeting,
    MeetingStatus,
    ReminderSent,
    User,
)
from app.participation import notifications
from app.participation.places import enrolled_in, place_of
from app.participation.places import waitlist_position as waitlist_position  # for the views
from app.rules import RuleViolation, unique_or_violation


@dataclass(frozen=True)
class Joiner:
    name: str
    email: str
    user: User | None = None
    goals: str = ""
    answer: str = ""
    consent_contact: bool = False
    locale: str | None = None  # a guest's language, for their emails (a member's: the profile)


def joining_closed_reason(circle: Circle, now: dt.datetime) -> str | None:
    if circle.is_draft:
        return _("This circle is not open yet.")
    if not circle.is_live:
        return _("This circle is %(state)s.", state=status_word(circle.status))
    if circle.signup_closes_at is not None and now >= circle.signup_closes_at:
        return _("Sign-up for this circle has closed.")
    if not any(m.ends_at > now for m in circle.scheduled_meetings):
        return _("This circle has ended.")
    return None


def _take_seat(circle: Circle) -> bool:
    """One seat, atomically: True if there was one."""
    result = db.session.execute(
        sa.update(Circle)
        .where(Circle.id == circle.id, Circle.enrolled_count < Circle.capacity)
        .values(enrolled_count=Circle.enrolled_count + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _waitlist_place(circle: Circle) -> int:
    """The next waitlist place, atomically: never handed out twice."""
    return db.session.execute(
        sa.update(Circle)
        .where(Circle.id == circle.id)
        .values(waitlist_next=Circle.waitlist_next + 1)
        .returning(Circle.waitlist_next)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def join(circle: Circle, joiner: Joiner, now: dt.datetime) -> Enrollment:
    reason = joining_closed_reason(circle, now)
    if reason:
        raise RuleViolation(reason)
    if not circle.is_public and joiner.user is None:
        raise RuleViolation(_("Sign in to join this circle: it is for library staff."))
    if joiner.user is not None and any(f.user_id == joiner.user.id for f in circle.facilitations):
        raise RuleViolation(_("You facilitate this circle, so you need no place in it."))
    email = joiner.email.strip().lower()
    # Joins of one circle take turns from here, so that the check below sees a place taken a
    # moment ago (a double click, two tabs) and answers it instead of the unique index.
    _lock_circle(circle.id)
    if place_of(circle, email) is not None:
        raise RuleViolation(_("You are already signed up for this circle."), "email", conflict=True)
    enrollment = Enrollment(
        circle_id=circle.id,
        user_id=joiner.user.id if joiner.user else None,
        name=joiner.name,
        email=email,
        goals=joiner.goals if circle.ask_goals else "",
        answer=joiner.answer if circle.custom_question else "",
        consent_contact=joiner.consent_contact,
        locale=joiner.locale if joiner.user is None else None,
    )
    if joiner.user is None:
        issue_manage_link(enrollment)
    if _take_seat(circle):
        enrollment.status = EnrollmentStatus.enrolled
        enrollment.enrolled_at = now
    else:
        enrollment.status = EnrollmentStatus.waitlisted
        enrollment.waitlist_seq = _waitlist_place(circle)
    # The unique index is the backstop: a clash is a 409, and the caller rolls back the seat.
    with unique_or_violation(_("You are already signed up for this circle."), "email"):
        db.session.add(enrollment)
    db.session.refresh(circle)
    notifications.joined(enrollment)
    return enrollment


def withdraw(enrollment: Enrollment, *, by: User | None, now: dt.datetime) -> list[Enrollment]:
    """Leave the circle; a freed seat goes to the first on the waitlist. Returns who moved up.
    The place is read again under the circle's lock, so a double click frees one seat."""
    _lock_circle(enrollment.circle_id)
    db.session.refresh(enrollment)
    if not enrollment.is_active:
        raise RuleViolation(_("This place was already given up."))
    was_enrolled = enrollment.is_enrolled
    enrollment.status = EnrollmentStatus.withdrawn
    enrollment.waitlist_seq = None
    enrollment.withdrawn_at = now
    enrollment.withdrawn_by_id = by.id if by else None
    enrollment.manage_token_hash = None  # leaving ends the guest's manage link
    db.session.add(
        AuditEvent(
            actor_id=by.id if by else None,
            action="enrollment.withdraw",
            subject=f"circle:{enrollment.circle_id}",
            detail=f"enrollment:{enrollment.id}",
        )
    )
    if was_enrolled:
        db.session.execute(
            sa.update(Circle)
            .where(Circle.id == enrollment.circle_id)
            .values(enrolled_count=Circle.enrolled_count - 1)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return fill_seats(enrollment.circle, now)


def fill_seats(circle: Circle, now: dt.datetime) -> list[Enrollment]:
    """Give free seats to the waitlist, strictly in order."""
    promoted: list[Enrollment] = []
    if circle.status != CircleStatus.published:
        return promoted
    while True:
        first = db.session.scalar(
            sa.select(Enrollment)
            .where(
                Enrollment.circle_id == circle.id, Enrollment.status == EnrollmentStatus.waitlisted
            )
            .order_by(Enrollment.waitlist_seq)
            .limit(1)
        )
        if first is None or not _take_seat(circle):
            break
        first.status = EnrollmentStatus.enrolled
        first.waitlist_seq = None
        first.enrolled_at = now
        db.session.flush()
        promoted.append(first)
        notifications.seat_opened(first)
    db.session.refresh(circle)
    return promoted


def move_up(enrollment: Enrollment, *, by: User, now: dt.datetime) -> bool:
    """A facilitator puts someone ahead of the queue: into a free seat if there is one
    (True), else first on the waitlist, to get the next seat (False).

    Moves in one circle take turns (the circle's row is locked; SQLite has one writer
    anyway), and the person's place is read again after the wait, so a double click moves
    them once: the second click finds them enrolled, or first already."""
    _lock_circle(enrollment.circle_id)
    db.session.refresh(enrollment)
    if enrollment.status == EnrollmentStatus.enrolled:
        raise RuleViolation(_("%(name)s is already enrolled.", name=enrollment.name))
    if enrollment.status != EnrollmentStatus.waitlisted:
        raise RuleViolation(_("Only someone on the waitlist can be moved up."))
    seated = _take_seat(enrollment.circle)
    if seated:
        enrollment.status = EnrollmentStatus.enrolled
        enrollment.waitlist_seq = None
        enrollment.enrolled_at = now
    else:
        first = db.session.scalar(
            sa.select(sa.func.min(Enrollment.waitlist_seq)).where(
                Enrollment.circle_id == enrollment.circle_id,
                Enrollment.status == EnrollmentStatus.waitlisted,
            )
        )
        if first != enrollment.waitlist_seq:
            with unique_or_violation(
                _("The waitlist changed at the same moment. Reload and try again.")
            ):
                enrollment.waitlist_seq = None  # leave the place first: places are unique
                db.session.flush()
                enrollment.waitlist_seq = first - 1
    db.session.add(
        AuditEvent(
            actor_id=by.id,
            action="enrollment.move_up",
            subject=f"circle:{enrollment.circle_id}",
            detail=f"enrollment:{enrollment.id}",
        )
    )
    db.session.flush()
    db.session.refresh(enrollment.circle)
    if seated:
        notifications.moved_up(enrollment)
    return seated


def _lock_circle(circle_id: int) -> None:
    """Take the circle's row lock until the end of the transaction (PostgreSQL; SQLite's
    writers take turns anyway), so that what is read next is not overtaken."""
    db.session.execute(sa.select(Circle.id).where(Circle.id == circle_id).with_for_update())


# --- guests' manage links ------------------------------------------------------------------------


def issue_manage_link(enrollment: Enrollment) -> str:
    """A new secret link for a guest's place; the one before it stops working."""
    token, enrollment.manage_token_hash = new_token()
    enrollment.manage_token = token
    return token


def enrollment_for_token(token: str) -> Enrollment | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.manage_token_hash == token_digest(token),
            Enrollment.status != EnrollmentStatus.withdrawn,
        )
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


# --- reminders and messages ---------------------------------------------------------------------


def send_reminders(now: dt.datetime, lead_time: dt.timedelta) -> int:
    """Queue one reminder per enrolled person per meeting starting within ``lead_time``.
    Safe to run every hour: what was sent is recorded and never sent again."""
    due = db.session.execute(
        sa.select(Meeting, Enrollment)
        .join(Circle, Circle.id == Meeting.circle_id)
        .join(Enrollment, Enrollment.circle_id == Circle.id)
        .outerjoin(
            ReminderSent,
            sa.and_(
                ReminderSent.meeting_id == Meeting.id, ReminderSent.enrollment_id == Enrollment.id
            ),
        )
        .where(
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > now,
            Meeting.starts_at <= now + lead_time,
            Circle.status == CircleStatus.published,
            Enrollment.status == EnrollmentStatus.enrolled,
            ReminderSent.meeting_id.is_(None),
        )
        .order_by(Meeting.starts_at, Enrollment.id)
    ).all()
    for meeting, enrollment in due:
        db.session.add(
            ReminderSent(meeting_id=meeting.id, enrollment_id=enrollment.id, sent_at=now)
        )
        notifications.reminder(enrollment, meeting)
    db.session.flush()
    return len(due)


def add_participant(circle: Circle, email: str, name: str, now: dt.datetime) -> Enrollment:
    """A facilitator adds someone from the roster: an account by its email, or a guest by
    name and email (trusted, so no confirmation by email)."""
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None and not name:
        raise RuleViolation(_("Enter a name: %(email)s has no account.", email=email), "name")
    return join(circle, Joiner(name=user.name if user else name, email=email, user=user), now)


def message_enrolled(circle: Circle, sender: User, subject: str, text: str) -> int:
    """Email everyone enrolled; how many were written to."""
    recipients = enrolled_in(circle)
    if not recipients:
        raise RuleViolation(_("Nobody is enrolled yet."))
    notifications.message(recipients, circle, sender, subject, text)
    return len(recipients)
