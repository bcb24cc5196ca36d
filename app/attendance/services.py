"""Attendance, self check-in, completion and outcomes: the rules, without request or response.

Every change to an attendance mark writes an ``AttendanceChange`` (old → new, who, when), so a
corrected sheet keeps its history; saving a sheet with nothing changed writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    Attendance,
    AttendanceChange,
    AttendanceSheet,
    AttendanceStatus,
    AuditEvent,
    Circle,
    CircleStatus,
    Enrollment,
    EnrollmentStatus,
    Meeting,
    MeetingStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    User,
)
from app.rules import RuleViolation, unique_or_violation

MAX_WALK_INS = 1000
CHECKIN_OPENS_BEFORE = dt.timedelta(minutes=15)
MAX_AMOUNT = Decimal(10_000_000)
MAX_CE_HOURS = Decimal(1000)
EARLIEST_OUTCOME = dt.date(2000, 1, 1)
ON_THE_SHEET = (EnrollmentStatus.enrolled, EnrollmentStatus.completed)
STATUSES = frozenset(s.value for s in AttendanceStatus)
KINDS = frozenset(k.value for k in OutcomeKind)


# --- who is on the sheet -----------------------------------------------------------------------


def roster(circle: Circle) -> list[Enrollment]:
    """Everyone who holds a seat: enrolled, or already completed."""
    return list(
        db.session.scalars(
            sa.select(Enrollment)
            .where(Enrollment.circle_id == circle.id, Enrollment.status.in_(ON_THE_SHEET))
            .order_by(Enrollment.name, Enrollment.id)
        )
    )


def held_meetings(circle: Circle, now: dt.datetime) -> list[Meeting]:
    """Meetings that took place (or are taking place): scheduled and started."""
    return [m for m in circle.scheduled_meetings if m.starts_at <= now]


def _stored_marks(meeting: Meeting) -> dict[int, Attendance]:
    return {
        a.enrollment_id: a
        for a in db.session.scalars(
            sa.select(Attendance).where(Attendance.meeting_id == meeting.id)
        )
    }


def marks(meeting: Meeting) -> dict[int, str]:
    """Enrollment id → status for one meeting."""
    return {eid: mark.status for eid, mark in _stored_marks(meeting).items()}


def sheet_of(meeting: Meeting) -> AttendanceSheet | None:
    return db.session.get(AttendanceSheet, meeting.id)


def history(meeting: Meeting) -> list[sa.Row]:
    """(change, person marked, who changed it) for the meeting, newest first."""
    return list(
        db.session.execute(
            sa.select(AttendanceChange, Enrollment.name, sa.func.coalesce(User.name, ""))
            .join(Attendance, Attendance.id == AttendanceChange.attendance_id)
            .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
            .outerjoin(User, User.id == AttendanceChange.changed_by_id)
            .where(Attendance.meeting_id == meeting.id)
            .order_by(AttendanceChange.changed_at.desc(), AttendanceChange.id.desc())
        ).all()
    )


# --- the attendance sheet ----------------------------------------------------------------------


def sheet_closed_reason(meeting: Meeting, now: dt.datetime) -> str | None:
    if meeting.status == MeetingStatus.cancelled:
        return _("This meeting was cancelled: there is no attendance to take.")
    if meeting.starts_at > now:
        return _("Attendance can be taken once the meeting has started.")
    return None


def _set_mark(
    meeting: Meeting,
    enrollment_id: int,
    status: str,
    mark: Attendance | None,
    *,
    by: User | None,
    now: dt.datetime,
) -> bool:
    """Set one mark (``mark`` is the stored one, if any), writing its history; False if it
    was already so."""
    old = mark.status if mark else None
    if old == status:
        return False
    if mark is None:
        mark = Attendance(meeting_id=meeting.id, enrollment_id=enrollment_id)
        db.session.add(mark)
    mark.status = status
    mark.updated_at = now
    mark.updated_by_id = by.id if by else None
    db.session.flush()
    db.session.add(
        AttendanceChange(
            attendance_id=mark.id,
            old_status=old,
            new_status=status,
            changed_by_id=by.id if by else None,
            changed_at=now,
        )
    )
    return True


def record_attendance(
    meeting: Meeting,
    posted: Mapping[int | str, str],
    walk_ins: int,
    note: str,
    *,
    by: User,
    now: dt.datetime,
) -> int:
    """Save a whole sheet at once (marks by enrollment id, walk-ins, note); every mark that
    changes is recorded in the history. Returns how many marks changed."""
    reason = sheet_closed_reason(meeting, now)
    if reason:
        raise RuleViolation(reason)
    if not 0 <= walk_ins <= MAX_WALK_INS:
        raise RuleViolation(
            _("Enter a number of walk-ins between 0 and %(max)d.", max=MAX_WALK_INS), "walk_ins"
        )
    on_sheet = {e.id for e in roster(meeting.circle)}
    wanted: dict[int, str] = {}
    for key, status in posted.items():
        try:
            enrollment_id = int(key)
        except ValueError:
            enrollment_id = 0
        if enrollment_id not in on_sheet:
            raise RuleViolation(
                _("Someone on this sheet is not enrolled in this circle. Reload the page.")
            )
        if status not in STATUSES:
            raise RuleViolation(_("Mark each person present, absent or excused."))
        wanted[enrollment_id] = status
    with unique_or_violation(_("Someone else saved this sheet at the same moment. Try again.")):
        stored = _stored_marks(meeting)
        changed = sum(
            _set_mark(meeting, eid, st, stored.get(eid), by=by, now=now)
            for eid, st in sorted(wanted.items())
        )
        sheet = sheet_of(meeting)
        if sheet is None:
            sheet = AttendanceSheet(meeting_id=meeting.id)
            db.session.add(sheet)
        if (sheet.walk_ins, sheet.note) != (walk_ins, note):
            sheet.walk_ins, sheet.note = walk_ins, note
            sheet.updated_at, sheet.updated_by_id = now, by.id
    return changed


# --- self check-in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    meeting: Meeting
    done: bool


def _own_place(circle: Circle, email: str) -> Enrollment | None:
    return db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.circle_id == circle.id,
            Enrollment.email == email.lower(),
            Enrollment.status.in_(ON_THE_SHEET),
        )
    )


def _in_window(meeting: Meeting, now: dt.datetime) -> bool:
    return meeting.starts_at - CHECKIN_OPENS_BEFORE <= now < meeting.ends_at


def open_checkin(enrollment: Enrollment, now: dt.datetime) -> CheckIn | None:
    """The meeting this person may check in to right now, if any."""
    circle = enrollment.circle
    if not circle.self_checkin or enrollment.status not in ON_THE_SHEET:
        return None
    meeting = next((m for m in circle.scheduled_meetings if _in_window(m, now)), None)
    if meeting is None:
        return None
    return CheckIn(meeting, marks(meeting).get(enrollment.id) == AttendanceStatus.present)


def check_in(meeting: Meeting, user: User, now: dt.datetime) -> None:
    """An enrolled participant marks themself present, from 15 minutes before the start
    until the end of the meeting."""
    circle = meeting.circle
    if not circle.self_checkin:
        raise RuleViolation(_("This circle does not use self check-in: the facilitator takes it."))
    if meeting.status == MeetingStatus.cancelled:
        raise RuleViolation(_("This meeting was cancelled."))
    if now < meeting.starts_at - CHECKIN_OPENS_BEFORE:
        raise RuleViolation(_("Check-in opens 15 minutes before the meeting starts."))
    if now >= meeting.ends_at:
        raise RuleViolation(_("This meeting is over: check-in has closed."))
    enrollment = _own_place(circle, user.email)
    if enrollment is None:
        raise RuleViolation(_("Only people enrolled in this circle can check in."))
    with unique_or_violation(_("You are already checked in.")):
        mark = _stored_marks(meeting).get(enrollment.id)
        _set_mark(meeting, enrollment.id, AttendanceStatus.present, mark, by=user, now=now)


# --- a participant's own record ----------------------------------------------------------------


@dataclass(frozen=True)
class OwnRecord:
    circle: Circle
    meetings: list[tuple[Meeting, str | None]]

    @property
    def present(self) -> int:
        return sum(status == AttendanceStatus.present for _m, status in self.meetings)


def attendance_of(email: str, now: dt.datetime) -> list[OwnRecord]:
    """Per circle the person holds (or held to the end) a seat in, each meeting held so far
    and their mark (None: not recorded)."""
    places = db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.email == email.lower(), Enrollment.status.in_(ON_THE_SHEET))
        .order_by(Enrollment.created_at.desc())
    ).all()
    mine = dict(
        db.session.execute(
            sa.select(Attendance.meeting_id, Attendance.status).where(
                Attendance.enrollment_id.in_([p.id for p in places])
            )
        ).all()
    )
    return [
        OwnRecord(p.circle, [(m, mine.get(m.id)) for m in held_meetings(p.circle, now)])
        for p in places
    ]


# --- completion --------------------------------------------------------------------------------


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


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeInput:
    kind: str
    title: str
    achieved_on: dt.date
    enrollment_id: int | None = None
    ce_hours: Decimal | None = None
    funder: str = ""
    amount: Decimal | None = None  # dollars
    evidence_url: str = ""


def _decimal(value: Decimal | None, field: str, maximum: Decimal, message: str) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value > maximum:
        raise RuleViolation(message, field)
    if value != value.quantize(Decimal("0.01")):
        raise RuleViolation(_("Use at most two decimal places."), field)
    return value


def _check_outcome(circle: Circle, data: OutcomeInput, today: dt.date, reported: bool) -> None:
    if data.kind not in KINDS:
        raise RuleViolation(_("Choose what kind of outcome this is."), "kind")
    if not data.title.strip():
        raise RuleViolation(_("Enter a title."), "title")
    if data.enrollment_id is not None and data.enrollment_id not in {e.id for e in roster(circle)}:
        if reported:
            raise RuleViolation(_("Only people enrolled in the circle can report an outcome."))
        raise RuleViolation(_("Choose someone enrolled in this circle."), "enrollment_id")
    latest = today + dt.timedelta(days=365)
    if not EARLIEST_OUTCOME <= data.achieved_on <= latest:
        raise RuleViolation(
            _(
                "Enter a date between %(first)s and %(last)s.",
                first=EARLIEST_OUTCOME.isoformat(),
                last=latest.isoformat(),
            ),
            "achieved_on",
        )


def add_outcome(
    circle: Circle, data: OutcomeInput, *, by: User, today: dt.date, reported: bool = False
) -> Outcome:
    """A facilitator records a confirmed outcome; a participant reports one (``reported``)
    that waits for a facilitator to confirm."""
    _check_outcome(circle, data, today, reported)
    hours = _decimal(data.ce_hours, "ce_hours", MAX_CE_HOURS, _("Enter hours between 0 and 1000."))
    amount = _decimal(
        data.amount, "amount", MAX_AMOUNT, _("Enter an amount between $0 and $10,000,000.")
    )
    outcome = Outcome(
        circle_id=circle.id,
        enrollment_id=data.enrollment_id,
        kind=data.kind,
        title=data.title.strip(),
        ce_hours=hours,
        funder=data.funder,
        amount_cents=int(amount * 100) if amount is not None else None,
        achieved_on=data.achieved_on,
        evidence_url=data.evidence_url,
        status=OutcomeStatus.reported if reported else OutcomeStatus.confirmed,
        reported_by_id=by.id,
        confirmed_by_id=None if reported else by.id,
    )
    db.session.add(outcome)
    db.session.flush()
    return outcome


def confirm_outcome(outcome: Outcome, *, by: User) -> None:
    if outcome.status != OutcomeStatus.reported:
        raise RuleViolation(_("This outcome is already confirmed."))
    outcome.status = OutcomeStatus.confirmed
    outcome.confirmed_by_id = by.id
    db.session.flush()


def delete_outcome(outcome: Outcome, *, by: User) -> None:
    db.session.add(
        AuditEvent(
            actor_id=by.id,
            action="outcome.delete",
            subject=f"circle:{outcome.circle_id}",
            detail=f"outcome:{outcome.id} {outcome.kind} {outcome.title}"[:500],
        )
    )
    db.session.delete(outcome)
    db.session.flush()


def outcomes_of(circle: Circle) -> list[Outcome]:
    """Reported ones (waiting for a facilitator) first, then newest first."""
    return list(
        db.session.scalars(
            sa.select(Outcome)
            .where(Outcome.circle_id == circle.id)
            .order_by(
                (Outcome.status == OutcomeStatus.reported).desc(),
                Outcome.achieved_on.desc(),
                Outcome.id.desc(),
            )
        )
    )


def outcomes_of_enrollment(enrollment: Enrollment) -> list[Outcome]:
    return list(
        db.session.scalars(
            sa.select(Outcome)
            .where(Outcome.enrollment_id == enrollment.id)
            .order_by(Outcome.achieved_on.desc(), Outcome.id.desc())
        )
    )


# --- the circle's attendance as a table --------------------------------------------------------


def attendance_export(circle: Circle, now: dt.datetime) -> tuple[list[str], list[list[object]]]:
    """One row per person, one column per meeting held (its local date), each person's
    totals, then the present count and walk-ins per meeting. People who left keep their
    row if anything was recorded for them."""
    meetings = held_meetings(circle, now)
    recorded = {
        (a.enrollment_id, a.meeting_id): a.status
        for a in db.session.scalars(
            sa.select(Attendance)
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Meeting.circle_id == circle.id)
        )
    }
    people = db.session.scalars(
        sa.select(Enrollment)
        .where(
            Enrollment.circle_id == circle.id,
            sa.or_(
                Enrollment.status.in_(ON_THE_SHEET),
                Enrollment.id.in_({eid for eid, _mid in recorded}),
            ),
        )
        .order_by(Enrollment.name, Enrollment.id)
    ).all()
    walk_ins = dict(
        db.session.execute(
            sa.select(AttendanceSheet.meeting_id, AttendanceSheet.walk_ins).where(
                AttendanceSheet.meeting_id.in_([m.id for m in meetings])
            )
        ).all()
    )
    order = list(AttendanceStatus)
    tz = ZoneInfo(circle.timezone)
    header = [
        "name",
        "email",
        "status",
        *(m.starts_at.astimezone(tz).date().isoformat() for m in meetings),
        *order,
    ]
    rows: list[list[object]] = []
    for person in people:
        cells = [recorded.get((person.id, m.id)) or "" for m in meetings]
        rows.append([person.name, person.email, person.status, *cells, *map(cells.count, order)])
    padding = [""] * len(order)
    present = [sum(recorded.get((p.id, m.id)) == "present" for p in people) for m in meetings]
    rows.append(["Total present", "", "", *present, *padding])
    rows.append(["Walk-ins", "", "", *(walk_ins.get(m.id, "") for m in meetings), *padding])
    return header, rows
