"""Attendance sheets and self check-in: the rules, without request or response.

Every change to an attendance mark writes an ``AttendanceChange`` (old → new, who, when), so a
corrected sheet keeps its history; saving a sheet with nothing changed writes nothing.
Completion (``completion.py``) and outcomes (``outcomes.py``) live beside this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import (
    Attendance,
    AttendanceChange,
    AttendanceSheet,
    AttendanceStatus,
    Circle,
    Enrollment,
    EnrollmentStatus,
    Meeting,
    User,
)
from app.participation.places import held_by
from app.privacy.contact import contact_email
from app.rules import RuleViolation, unique_or_violation

MAX_WALK_INS = 1000


CHECKIN_OPENS_BEFORE = dt.timedelta(minutes=15)


ON_THE_SHEET = (EnrollmentStatus.enrolled, EnrollmentStatus.completed)


STATUSES = frozenset(s.value for s in AttendanceStatus)


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
            sa.select(Attendance)
            .where(Attendance.meeting_id == meeting.id)
            # As stored now, not as loaded earlier in the request (the sheet page reads the
            # marks before the lock below): another save may have changed them since.
            .execution_options(populate_existing=True)
        )
    }


def _lock_meeting(meeting: Meeting) -> None:
    """Take the meeting's row lock until the end of the transaction before reading its marks
    to change them (PostgreSQL; SQLite's writers take turns anyway, see app.database): a
    second sheet or check-in for the same meeting waits, then reads what the first saved, so
    that the marks and the meeting's counts of them (app.models.attendance) both come out
    right. FOR NO KEY UPDATE, what an UPDATE of the row takes: rows that only refer to the
    meeting (a new mark, a booking) are not held up by it."""
    db.session.execute(
        sa.select(Meeting.id).where(Meeting.id == meeting.id).with_for_update(key_share=True)
    )


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
    if meeting.is_cancelled:
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
    _lock_meeting(meeting)
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
    if meeting.is_cancelled:
        raise RuleViolation(_("This meeting was cancelled."))
    if now < meeting.starts_at - CHECKIN_OPENS_BEFORE:
        raise RuleViolation(_("Check-in opens 15 minutes before the meeting starts."))
    if now >= meeting.ends_at:
        raise RuleViolation(_("This meeting is over: check-in has closed."))
    enrollment = _own_place(circle, user.email)
    if enrollment is None:
        raise RuleViolation(_("Only people enrolled in this circle can check in."))
    _lock_meeting(meeting)
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


def attendance_of(person: User, now: dt.datetime) -> list[OwnRecord]:
    """Per circle the person holds (or held to the end) a seat in, each meeting held so far
    and their mark (None: not recorded)."""
    places = db.session.scalars(
        sa.select(Enrollment)
        .where(held_by(person), Enrollment.status.in_(ON_THE_SHEET))
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
        email = contact_email(person)
        rows.append([person.name, email, person.status, *cells, *map(cells.count, order)])
    padding = [""] * len(order)
    came = AttendanceStatus.present
    present = [sum(recorded.get((p.id, m.id)) == came for p in people) for m in meetings]
    rows.append([_("Total present"), "", "", *present, *padding])
    rows.append([_("Walk-ins"), "", "", *(walk_ins.get(m.id, "") for m in meetings), *padding])
    return header, rows
