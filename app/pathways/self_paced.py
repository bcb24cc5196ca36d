"""Courses people finish on their own (issue 14): not in a circle, so nothing records them
until the person reports one and one of their managers (their home branch's: see
``app.auth.permissions.manages_person``) or an admin confirms it. A confirmed one counts as
pathway evidence (app/pathways/progress.py) and shows on the learning record.

One per person and course: a reported or confirmed one cannot be reported twice; a declined
one can, and goes back to the queue. Two reviewers at once: the first decides (a conditional
UPDATE), the second is told.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from app.extensions import db
from app.models import Course, SelfPacedCompletion, SelfPacedStatus, User
from app.pathways import notifications
from app.rules import RuleViolation, unique_or_violation

EVIDENCE_MAX, NOTE_MAX = 500, 300


@dataclass(frozen=True)
class Report:
    course_id: int | None
    completed_on: dt.date | None
    evidence: str


def reportable_courses() -> sa.Select[tuple[Course]]:
    """The active catalogue, by title: what the course picker offers."""
    return sa.select(Course).where(Course.retired_at.is_(None)).order_by(Course.title, Course.id)


def _course(course_id: int | None) -> Course:
    course = db.session.get(Course, course_id) if course_id is not None else None
    if course is None or course.retired:
        raise RuleViolation(_("Choose a course from the catalogue."), "course")
    return course


def report(person: User, data: Report, today: dt.date) -> SelfPacedCompletion:
    """The person says they finished a course on their own. ``today``: on their clock."""
    course = _course(data.course_id)
    if data.completed_on is None:
        raise RuleViolation(_("Enter the day you finished it."), "completed_on")
    if data.completed_on > today:
        raise RuleViolation(_("The day you finished cannot be in the future."), "completed_on")
    evidence = data.evidence.strip()
    if not evidence:
        raise RuleViolation(
            _("Add a link to your certificate, or a note on how you finished it."), "evidence"
        )
    found = db.session.scalar(
        sa.select(SelfPacedCompletion).filter_by(user_id=person.id, course_id=course.id)
    )
    waiting_message = _(
        "You reported “%(course)s” already: it is waiting for your manager.", course=course.title
    )
    if found is not None and found.status == SelfPacedStatus.reported:
        raise RuleViolation(waiting_message, "course")
    if found is not None and found.status == SelfPacedStatus.confirmed:
        raise RuleViolation(
            _("“%(course)s” is already confirmed for you.", course=course.title), "course"
        )
    with unique_or_violation(waiting_message, "course"):
        row = found or SelfPacedCompletion(user_id=person.id, course_id=course.id)
        row.completed_on = data.completed_on
        row.evidence = evidence[:EVIDENCE_MAX]
        row.status = SelfPacedStatus.reported
        row.reviewed_by_id, row.reviewed_at, row.review_note = None, None, ""
        db.session.add(row)
    return row


def review(
    completion: SelfPacedCompletion, *, by: User, confirm: bool, note: str, now: dt.datetime
) -> SelfPacedCompletion:
    """Confirm or decline (a decline says why); the person is emailed either way. Access is
    the view's (``can_review_self_paced``); the rules here hold for everyone."""
    if completion.user_id == by.id:
        raise RuleViolation(_("Someone else confirms your own self-paced courses."))
    note = note.strip()
    if not confirm and not note:
        raise RuleViolation(_("Say why in the note: the person reads it."), "note")
    status = SelfPacedStatus.confirmed if confirm else SelfPacedStatus.declined
    claimed = db.session.execute(
        sa.update(SelfPacedCompletion)
        .where(
            SelfPacedCompletion.id == completion.id,
            SelfPacedCompletion.status == SelfPacedStatus.reported,
        )
        .values(status=status, reviewed_by_id=by.id, reviewed_at=now, review_note=note[:NOTE_MAX])
        .execution_options(synchronize_session="fetch")
    )
    if claimed.rowcount != 1:
        raise RuleViolation(_("Someone has already reviewed this one."), conflict=True)
    db.session.refresh(completion)
    notifications.reviewed(completion)
    return completion


def _with_people():
    return (
        so.joinedload(SelfPacedCompletion.course),
        so.joinedload(SelfPacedCompletion.user),
        so.joinedload(SelfPacedCompletion.reviewed_by),
    )


def _queue(people: sa.ColumnElement[bool], reviewer: User) -> sa.Select:
    return (
        sa.select(SelfPacedCompletion)
        .join(User, User.id == SelfPacedCompletion.user_id)
        .where(
            SelfPacedCompletion.status == SelfPacedStatus.reported,
            SelfPacedCompletion.user_id != reviewer.id,
            people,
        )
    )


def waiting(people: sa.ColumnElement[bool], reviewer: User) -> list[SelfPacedCompletion]:
    """The reported ones of the people ``people`` (a filter on ``User``) selects but the
    reviewer's own, oldest first: a reviewer's queue, in one query."""
    return list(
        db.session.scalars(
            _queue(people, reviewer)
            .options(*_with_people())
            .order_by(SelfPacedCompletion.created_at, SelfPacedCompletion.id)
        )
    )


def waiting_count(people: sa.ColumnElement[bool] | None, reviewer: User) -> int:
    """How long the reviewer's queue is (0 for someone who reviews nobody's)."""
    if people is None:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(_queue(people, reviewer).subquery())
    )


def of(person: User, status: SelfPacedStatus | None = None) -> list[SelfPacedCompletion]:
    """The person's own, newest finished first (only those with ``status`` if given)."""
    query = sa.select(SelfPacedCompletion).where(SelfPacedCompletion.user_id == person.id)
    if status is not None:
        query = query.where(SelfPacedCompletion.status == status)
    return list(
        db.session.scalars(
            query.options(*_with_people()).order_by(
                SelfPacedCompletion.completed_on.desc(), SelfPacedCompletion.id
            )
        )
    )
