"""Completing a circle: who attended enough meetings, and confirming their completion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.attendance.services import roster
from app.extensions import db
from app.models import (
    Attendance,
    AttendanceStatus,
    AuditEvent,
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Meeting,
    MeetingStatus,
    User,
)
from app.rules import RuleViolation, unique_or_violation


@dataclass(frozen=True)
class CompletionRow:
    enrollment: Enrollment
    attended: int
    suggested: bool
    ticked: bool


def completion_closed_reason(circle: Circle, now: dt.datetime) -> str | None:
    if circle.status in (CircleStatus.draft, CircleStatus.cancelled):
        return _("Only a circle that ran can record who completed it.")
    meetings = circle.scheduled_meetings
    if not meetings or meetings[-1].starts_at > now:
        return _("Completion can be recorded once the last meeting has started.")
    return None


def completion_threshold(circle: Circle) -> int:
    """Meetings to attend for completion: the circle's setting, else every meeting."""
    count = len(circle.scheduled_meetings)
    return min(circle.completion_min_meetings or count, count)


def attended_counts(circle: Circle) -> dict[int, int]:
    return dict(
        db.session.execute(
            sa.select(Attendance.enrollment_id, sa.func.count(Attendance.id))
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(
                Meeting.circle_id == circle.id,
                Meeting.status == MeetingStatus.scheduled,
                Attendance.status == AttendanceStatus.present,
            )
            .group_by(Attendance.enrollment_id)
        ).all()
    )


def completion_rows(circle: Circle) -> list[CompletionRow]:
    """Each seat with meetings attended and the suggestion (attended >= the threshold). The
    suggestion pre-ticks only the first review; after that the ticks show what was confirmed,
    so someone un-ticked on purpose is not completed again by the next save."""
    people = roster(circle)
    counts = attended_counts(circle)
    threshold = completion_threshold(circle)
    reviewed = any(e.status == EnrollmentStatus.completed for e in people)
    rows = []
    for e in people:
        suggested = counts.get(e.id, 0) >= threshold
        done = e.status == EnrollmentStatus.completed
        rows.append(
            CompletionRow(e, counts.get(e.id, 0), suggested, done or (suggested and not reviewed))
        )
    return rows


def confirm_completions(
    circle: Circle, completed_ids: Collection[int], *, by: User, now: dt.datetime
) -> tuple[int, int]:
    """Ticked people become completed; un-ticked completed people go back to enrolled. Seats
    stay taken either way. Returns (newly completed, reopened)."""
    reason = completion_closed_reason(circle, now)
    if reason:
        raise RuleViolation(reason)
    people = {e.id: e for e in roster(circle)}
    if not set(completed_ids) <= people.keys():
        raise RuleViolation(_("Someone ticked is not enrolled in this circle. Reload the page."))
    completed = reopened = 0
    with unique_or_violation(_("Someone holds a new place in this circle; check the roster.")):
        for enrollment in people.values():
            ticked = enrollment.id in completed_ids
            if ticked and enrollment.status == EnrollmentStatus.enrolled:
                enrollment.status, enrollment.completed_at = EnrollmentStatus.completed, now
                completed += 1
            elif not ticked and enrollment.status == EnrollmentStatus.completed:
                enrollment.status, enrollment.completed_at = EnrollmentStatus.enrolled, None
                reopened += 1
            else:
                continue
            db.session.add(
                AuditEvent(
                    actor_id=by.id,
                    action=f"enrollment.{'complete' if ticked else 'reopen'}",
                    subject=f"circle:{circle.id}",
                    detail=f"enrollment:{enrollment.id}",
                )
            )
    return completed, reopened
