"""The attendance counts each meeting keeps (``Meeting.present_count``, ``marked_count``;
migration 0019) and the reports that add them up instead of counting every mark (issue 15):
the counts are what counting the marks gives, whoever wrote the marks (the seed's bulk load,
the demo, sheets, check-in, a deleted mark), the report's figures are what counting the raw
rows gives, and two sheets saved at once for one meeting leave the counts right."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict

import sqlalchemy as sa

from app.attendance import services
from app.extensions import db
from app.models import Attendance, Branch, Circle, Enrollment, Meeting, User
from app.reports.services import build_dashboard
from app.seed import seed
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import AttendanceSetting, set_times

LEAD = "lead@example.org"
RUN = ("published", "completed")
PARTICIPATING = ("enrolled", "completed")


def kept() -> dict[int, tuple[int, int]]:
    """Meeting id → (present, marks) as the meetings keep them (meetings with marks)."""
    rows = db.session.execute(
        sa.select(Meeting.id, Meeting.present_count, Meeting.marked_count).where(
            Meeting.marked_count > 0
        )
    )
    return {meeting_id: (present, marks) for meeting_id, present, marks in rows}


def counted() -> dict[int, tuple[int, int]]:
    """Meeting id → (present, marks) counted from the marks themselves."""
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for meeting_id, status in db.session.execute(
        sa.select(Attendance.meeting_id, Attendance.status)
    ):
        found[meeting_id][0] += status == "present"
        found[meeting_id][1] += 1
    return {meeting_id: tuple(counts) for meeting_id, counts in found.items()}


def by_branch_from_raw_rows(now: dt.datetime) -> dict[int, dict[str, int]]:
    """The report's per-branch figures worked out in Python from the rows, the slow way:
    every mark, every place, every meeting (the definitions in app/reports/services.py)."""
    meetings: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in db.session.scalars(sa.select(Meeting).where(Meeting.status == "scheduled")):
        meetings[meeting.circle_id].append(meeting)
    figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    run: dict[int, tuple[int, bool]] = {}  # circle id: branch, finished
    for circle in db.session.scalars(sa.select(Circle).where(Circle.status.in_(RUN))):
        starts = [m.starts_at for m in meetings[circle.id]]
        if not starts or min(starts) > now:
            continue
        run[circle.id] = (circle.branch_id, max(starts) <= now)
        mine = figures[circle.branch_id]
        mine["circles"] += 1
        mine["capacity"] += circle.capacity
        mine["seats_filled"] += min(circle.enrolled_count, circle.capacity)
    for place in db.session.scalars(sa.select(Enrollment)):
        if place.circle_id not in run:
            continue
        branch_id, finished = run[place.circle_id]
        participating = place.status in PARTICIPATING
        figures[branch_id]["participants"] += participating
        figures[branch_id]["waitlisted"] += place.status == "waitlisted"
        figures[branch_id]["completed"] += finished and place.status == "completed"
        figures[branch_id]["completable"] += finished and participating
    marks = db.session.execute(
        sa.select(Circle.id, Attendance.status, Meeting.starts_at, Meeting.ends_at)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(Meeting.status == "scheduled", Meeting.starts_at <= now)
    )
    for circle_id, status, starts, ends in marks:
        if circle_id not in run:
            continue
        mine = figures[run[circle_id][0]]
        mine["marks"] += 1
        if status == "present":
            mine["present"] += 1
            mine["present_seconds"] += int((ends - starts).total_seconds())
    return {branch_id: dict(f) for branch_id, f in figures.items()}


def by_branch_in_the_report(branches: list[Branch], now: dt.datetime) -> dict[int, dict]:
    names = (
        "circles",
        "capacity",
        "seats_filled",
        "participants",
        "waitlisted",
        "completed",
        "completable",
        "present",
        "marks",
        "present_seconds",
    )
    report = build_dashboard(branches, now)
    return {
        branch.id: {name: getattr(figures, name) for name in names if getattr(figures, name)}
        for branch, figures in report.by_branch
        if figures.circles
    }


def nonzero(figures: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
    return {b: {k: v for k, v in f.items() if v} for b, f in figures.items()}


# --- whoever writes the marks ----------------------------------------------------------------


def test_the_seed_writes_the_counts_and_the_reports_match_the_raw_rows(app):
    with app.app_context():
        seed(0.02, 2026, dt.datetime.now(dt.UTC).date())
        assert kept() == counted()
        assert sum(marks for _present, marks in kept().values()) > 1000
        now = utcnow()
        branches = list(db.session.scalars(sa.select(Branch).order_by(Branch.id)))
        raw = nonzero(by_branch_from_raw_rows(now))
        assert by_branch_in_the_report(branches, now) == raw
        assert all(raw[b]["marks"] and raw[b]["completable"] for b in raw)
        one = branches[0]  # a branch report: the same figures for that branch alone
        assert by_branch_in_the_report([one], now) == {one.id: raw[one.id]}


def test_the_demo_keeps_the_counts_of_the_marks_it_adds(app, demo):
    with app.app_context():
        assert kept() == counted()
        assert kept()


def _save(app, meeting_id: int, marks: dict[int, str], by: str = LEAD) -> None:
    with app.app_context():
        services.record_attendance(
            db.session.get(Meeting, meeting_id),
            marks,
            0,
            "",
            by=db.session.scalar(sa.select(User).where(User.email == by)),
            now=utcnow(),
        )
        db.session.commit()


def test_a_meeting_already_loaded_shows_its_new_counts(app, setting: AttendanceSetting):
    with app.app_context():
        meeting = db.session.get(Meeting, setting.meetings[0])
        assert (meeting.present_count, meeting.marked_count) == (0, 0)
        lead = db.session.scalar(sa.select(User).where(User.email == LEAD))
        marks = {setting.pat: "present", setting.ann: "absent"}
        services.record_attendance(meeting, marks, 0, "", by=lead, now=utcnow())
        assert (meeting.present_count, meeting.marked_count) == (1, 2)  # before the commit
        db.session.rollback()
    assert _counts(app, setting.meetings[0]) == (0, 0)  # rolled back with the marks


def _counts(app, meeting_id: int) -> tuple[int, int]:
    with app.app_context():
        assert kept() == counted()  # every meeting, not only this one
        meeting = db.session.get(Meeting, meeting_id)
        return meeting.present_count, meeting.marked_count


def test_saving_changing_and_checking_in_keep_the_counts(app, client, setting: AttendanceSetting):
    first, second = setting.meetings[0], setting.meetings[1]
    with app.app_context():
        changed_at = db.session.get(Meeting, first).updated_at
    login(client, LEAD)
    marks = {f"mark-{setting.pat}": "present", f"mark-{setting.ann}": "absent"}
    response = client.post(f"/meetings/{first}/attendance", data={**marks, "walk_ins": "0"})
    assert response.status_code == 302
    assert _counts(app, first) == (1, 2)

    _save(app, first, {setting.pat: "absent", setting.ann: "present", setting.bob: "excused"})
    assert _counts(app, first) == (1, 3)
    everyone = {setting.pat: "present", setting.ann: "present", setting.bob: "present"}
    _save(app, first, everyone)
    assert _counts(app, first) == (3, 3)
    _save(app, first, everyone)  # nothing changed
    assert _counts(app, first) == (3, 3)
    with app.app_context():  # marks are no change of the meeting: its feeds stay as they were
        assert db.session.get(Meeting, first).updated_at == changed_at

    set_times(app, setting.meetings, past=1, current=True)
    with app.app_context():
        db.session.get(Circle, setting.circle).self_checkin = True
        meeting = db.session.get(Meeting, second)
        pat = db.session.scalar(sa.select(User).where(User.email == "pat@example.org"))
        services.check_in(meeting, pat, utcnow())
        db.session.commit()
    assert _counts(app, second) == (1, 1)

    # No page removes a mark or moves it to another meeting; the counts follow all the same.
    with app.app_context():
        ann, bob = (
            db.session.scalar(
                sa.select(Attendance).where(
                    Attendance.meeting_id == first, Attendance.enrollment_id == person
                )
            )
            for person in (setting.ann, setting.bob)
        )
        moved = bob.id
        db.session.commit()  # expired: which meeting it was is read again before it goes
        db.session.delete(ann)
        db.session.commit()
    assert _counts(app, first) == (2, 2)
    with app.app_context():
        db.session.get(Attendance, moved).meeting_id = second
        db.session.commit()
    assert (_counts(app, first), _counts(app, second)) == ((1, 1), (2, 2))
    with app.app_context():
        now = utcnow()
        branches = list(db.session.scalars(sa.select(Branch)))
        assert by_branch_in_the_report(branches, now) == nonzero(by_branch_from_raw_rows(now))


# --- two sheets for one meeting at once --------------------------------------------------------


def _someone_waits_for_a_lock(app) -> bool:
    """PostgreSQL: another connection waits for a row lock. SQLite shows no such thing (its
    writers wait for the file's lock in the busy handler): give the other a moment."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            time.sleep(0.3)
            return True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = db.session.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            db.session.rollback()
            if waiting:
                return True
            time.sleep(0.02)
    return False


def _two_sheets_at_once(app, meeting_id: int, first: dict, second: dict) -> list[Exception]:
    """The first sheet is saved and held uncommitted until the second is waiting for a lock
    (the meeting's, or with it gone the row its count is written to), then committed."""
    saved, failures = threading.Event(), []

    def one(marks: dict, by: str, hold: bool) -> None:
        try:
            if not hold:
                saved.wait(10)
            with app.app_context():
                services.record_attendance(
                    db.session.get(Meeting, meeting_id),
                    marks,
                    0,
                    "",
                    by=db.session.scalar(sa.select(User).where(User.email == by)),
                    now=utcnow(),
                )
                db.session.flush()
                if hold:
                    saved.set()
                    assert _someone_waits_for_a_lock(app), "the second sheet never waited"
                db.session.commit()
        except Exception as error:  # reported by the test, in the main thread
            failures.append(error)

    threads = [
        threading.Thread(target=one, args=(first, LEAD, True)),
        threading.Thread(target=one, args=(second, "co@example.org", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return failures


def test_two_sheets_saved_at_once_for_one_meeting_count_every_mark(app, setting):
    meeting = setting.meetings[0]
    first = {setting.pat: "present", setting.ann: "present"}
    second = {setting.bob: "present"}
    assert _two_sheets_at_once(app, meeting, first, second) == []
    assert _counts(app, meeting) == (3, 3)


def test_without_the_meeting_lock_postgresql_loses_a_sheet_from_the_counts(
    app, setting, monkeypatch
):
    """The control: the test above can fail. Without the lock the second sheet counts the
    marks it sees, which on PostgreSQL are not yet the first sheet's, and its count is
    written last. SQLite stays right without it: its writers take turns (app.database)."""
    monkeypatch.setattr(services, "_lock_meeting", lambda _meeting: None)
    meeting = setting.meetings[0]
    first = {setting.pat: "present", setting.ann: "present"}
    second = {setting.bob: "present"}
    assert _two_sheets_at_once(app, meeting, first, second) == []
    with app.app_context():
        assert counted()[meeting] == (3, 3)  # every mark was saved
        stored = db.session.get(Meeting, meeting)
        counts = stored.present_count, stored.marked_count
        postgresql = db.engine.dialect.name == "postgresql"
    assert counts == ((1, 1) if postgresql else (3, 3))  # the second sheet's count came last
