"""The figures behind the report dashboards, counted in the database.

Definitions (the dashboard page repeats them for its readers):

- **Circles run**: circles whose status is published or completed and that have at least one
  scheduled meeting that has started. Every other figure except outcomes is about these circles.
- **Quarter** of a circle: the calendar quarter ("2026-Q1") in which its first scheduled meeting
  started, on the circle's own wall clock (its time zone).
- **Participants**: enrollments that are enrolled or completed.
- **Seats filled**: sum of min(enrolled, capacity) over sum of capacity.
- **Waitlisted**: enrollments still on the waitlist (demand the circle could not seat).
- **Attendance rate**: present marks over all recorded marks (present, absent, excused) of
  scheduled meetings that have started.
- **Completion rate**: completed over enrolled plus completed, in circles whose last scheduled
  meeting has started.
- **Hours of learning**: the length of the meeting, summed over every "present" mark.
- **Survey** (evaluation): answers to circles' end-of-circle surveys, by the circle's branch
  and quarter; **goal met** and **would recommend** are the shares of answers saying yes.
- **Outcomes**: confirmed outcomes only (a participant's unconfirmed report does not count) of
  circles at the branches in the report, in the quarter of the day they were achieved.
  **Credentials** are outcomes of kind credential or certificate, counted by the credential on
  the admin's list they name (older ones without one, by title); **grant dollars** add up the
  amounts of grant outcomes.

Each dashboard is five queries, whatever the number of circles: the circles run, one row each
with their seats and attendance; their places and their survey answers, counted per circle;
the outcomes and the credentials, grouped in SQL. The per-circle rows are added up here into
(branch, skill area, quarter) cells: a couple of thousand rows for a whole state, where
working the circles out again in SQL for each figure cost more. Attendance is read from the
counts each meeting keeps of its marks (``Meeting.present_count`` and ``marked_count``, kept
as marks are saved), never from the marks themselves: a state has ten times more marks than
meetings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from operator import add, attrgetter

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Branch,
    Circle,
    CircleStatus,
    Course,
    Credential,
    Enrollment,
    EnrollmentStatus,
    Meeting,
    MeetingStatus,
    Outcome,
    OutcomeKind,
    OutcomeStatus,
    SurveyAnswer,
)
from app.reports.sql import date_quarter, local_quarter, seconds_between

RUN_STATUSES = (CircleStatus.published, CircleStatus.completed)
PARTICIPATING = (EnrollmentStatus.enrolled, EnrollmentStatus.completed)
CREDENTIAL_KINDS = (OutcomeKind.credential, OutcomeKind.certificate)
MAX_FILLED_QUARTERS = 60  # empty quarters between the first and last are shown up to this span

Key = tuple[int, str, str]  # branch id, skill area, quarter
# Read as plain text: checking each value against the enum cost more than the rest of a row,
# with one row per circle (the values are the enum's, kept so by the database, migration 0009).
SKILL_AREA = sa.type_coerce(Course.skill_area, sa.String).label("skill_area")


@dataclass
class Figures:
    """Additive counts; the rates are worked out from them, so totals stay exact."""

    circles: int = 0
    capacity: int = 0
    seats_filled: int = 0
    participants: int = 0
    waitlisted: int = 0
    completed: int = 0
    completable: int = 0  # enrolled + completed in circles whose last meeting has started
    present: int = 0
    marks: int = 0
    present_seconds: int = 0
    credentials: int = 0
    grant_cents: int = 0

    def __iadd__(self, other: Figures) -> Figures:
        self.__dict__.update(
            zip(_FIGURE_NAMES, map(add, _figures(self), _figures(other)), strict=True)
        )
        return self

    @property
    def seat_rate(self) -> float | None:
        return self.seats_filled / self.capacity if self.capacity else None

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.marks if self.marks else None

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.completable if self.completable else None

    @property
    def hours(self) -> float:
        return round(self.present_seconds / 3600, 1)


_FIGURE_NAMES = tuple(f.name for f in fields(Figures))
_figures = attrgetter(*_FIGURE_NAMES)


@dataclass
class KindCount:
    kind: str
    count: int = 0
    ce_hours: Decimal = Decimal("0.00")
    amount_cents: int = 0


@dataclass
class QuarterCredentials:
    quarter: str
    circles_started: int = 0
    credentials: int = 0


@dataclass
class Dashboard:
    total: Figures
    by_branch: list[tuple[Branch, Figures]]
    by_skill_area: list[tuple[str, Figures]]
    by_quarter: list[tuple[str, Figures]]
    outcomes_by_kind: list[KindCount]
    credentials_by_title: list[tuple[str, str, int, Decimal]]  # title, kind, count, CE hours
    credentials_per_quarter: list[QuarterCredentials]
    first_quarter: str | None = None  # when the first circle in the report started
    # (branch id, quarter, answers, goal met, would recommend), by branch then quarter
    surveys: list[tuple[int, str, int, int, int]] = field(default_factory=list)


def build_dashboard(branches: Sequence[Branch], now: dt.datetime) -> Dashboard:
    """Every figure of the dashboard for circles at ``branches``, as of ``now``."""
    branch_ids = [b.id for b in branches]
    cells: dict[Key, Figures] = defaultdict(Figures)
    run = _add_circle_figures(cells, branch_ids, now)
    outcome_rows = _outcomes(branch_ids)
    kinds = {kind: KindCount(kind) for kind in OutcomeKind}
    credentials_by_quarter: dict[str, int] = defaultdict(int)
    for branch_id, skill_area, quarter, kind, count, ce_hours, cents in outcome_rows:
        credentials = count if kind in CREDENTIAL_KINDS else 0
        grants = cents if kind == OutcomeKind.grant else 0
        cell = cells[(branch_id, skill_area, quarter)]
        cell.credentials += credentials
        cell.grant_cents += grants
        credentials_by_quarter[quarter] += credentials
        row = kinds.setdefault(kind, KindCount(kind))
        row.count += count
        row.ce_hours += ce_hours
        row.amount_cents += cents

    by_branch = _rollup(cells, 0)
    by_quarter = _rollup(cells, 2)
    circle_quarters = sorted(q for q, f in by_quarter.items() if f.circles)
    quarters = fill_quarters(by_quarter)
    return Dashboard(
        total=sum_figures(cells.values()),
        by_branch=[(b, by_branch.get(b.id, Figures())) for b in branches],
        by_skill_area=sorted(_rollup(cells, 1).items(), key=lambda item: item[0]),
        by_quarter=[(q, by_quarter.get(q, Figures())) for q in quarters],
        outcomes_by_kind=list(kinds.values()),
        credentials_by_title=_credentials_by_title(branch_ids),
        credentials_per_quarter=[
            QuarterCredentials(q, by_quarter.get(q, Figures()).circles, credentials_by_quarter[q])
            for q in quarters
        ],
        first_quarter=circle_quarters[0] if circle_quarters else None,
        surveys=_surveys(run, branch_ids),
    )


def sum_figures(items: Iterable[Figures]) -> Figures:
    """Count by count over all of them at once: a state's dashboard adds up a thousand
    cells four times over (the total and three roll-ups)."""
    return Figures(*map(sum, zip(*map(_figures, items), strict=True)))


def _rollup(cells: dict[Key, Figures], position: int) -> dict:
    groups: dict = defaultdict(list)
    for key, figures in cells.items():
        groups[key[position]].append(figures)
    return {name: sum_figures(group) for name, group in groups.items()}


def fill_quarters(present: Iterable[str]) -> list[str]:
    """The quarters from the first to the last, empty ones included (a before/after view
    needs the quiet quarters too), unless the span is implausibly long."""
    indexes = sorted({_quarter_index(q) for q in present})
    if not indexes:
        return []
    if indexes[-1] - indexes[0] >= MAX_FILLED_QUARTERS:
        return [_quarter_name(i) for i in indexes]
    return [_quarter_name(i) for i in range(indexes[0], indexes[-1] + 1)]


def _quarter_index(quarter: str) -> int:
    year, _, number = quarter.partition("-Q")
    return int(year) * 4 + int(number) - 1


def _quarter_name(index: int) -> str:
    return f"{index // 4}-Q{index % 4 + 1}"


# --- the queries -----------------------------------------------------------------------------


def _ran(branch_ids: list[int]) -> sa.ColumnElement[bool]:
    return sa.and_(Circle.status.in_(RUN_STATUSES), Circle.branch_id.in_(branch_ids))


def _circles_run(branch_ids: list[int], now: dt.datetime) -> sa.Select:
    """One row per circle run: its branch, skill area, quarter, seats, whether its last
    scheduled meeting has started (``finished``), and the attendance at those that have,
    from the counts each meeting keeps of its marks (``Meeting.present_count``,
    ``Meeting.marked_count``)."""
    first = sa.func.min(Meeting.starts_at)
    last = sa.func.max(Meeting.starts_at)
    held = Meeting.starts_at <= now
    length = seconds_between(Meeting.starts_at, Meeting.ends_at)
    return (
        sa.select(
            Circle.id.label("circle_id"),
            Circle.branch_id,
            SKILL_AREA,
            local_quarter(first, Circle.timezone).label("quarter"),
            Circle.capacity,
            sa.case(
                (Circle.enrolled_count < Circle.capacity, Circle.enrolled_count),
                else_=Circle.capacity,
            ).label("seats"),
            sa.case((last <= now, 1), else_=0).label("finished"),
            _count_if(held, Meeting.present_count).label("present"),
            _count_if(held, Meeting.marked_count).label("marks"),
            _count_if(held, Meeting.present_count * length).label("present_seconds"),
        )
        .join(Course, Course.id == Circle.course_id)
        .join(Meeting, Meeting.circle_id == Circle.id)
        .where(_ran(branch_ids), Meeting.status == MeetingStatus.scheduled)
        .group_by(
            Circle.id,
            Circle.branch_id,
            Course.skill_area,
            Circle.timezone,
            Circle.capacity,
            Circle.enrolled_count,
        )
        .having(first <= now)
    )


def _decimal(value) -> Decimal:
    """CE hours as exact hundredths (SQLite hands sums back as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _count_if(condition: sa.ColumnElement[bool], value=1) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


Run = dict[int, tuple[Key, int]]  # circle id: its cell, and whether it has finished (1 or 0)


def _add_circle_figures(cells: dict[Key, Figures], branch_ids: list[int], now: dt.datetime) -> Run:
    """The figures of the circles run, read once (a couple of thousand rows for a state),
    then their places counted per circle and added to each one's cell here, rather than
    each query working out the circles' meetings again. Returns the circles run."""
    run: Run = {}
    rows = db.session.execute(_circles_run(branch_ids, now))
    for circle_id, branch_id, skill_area, quarter, capacity, seats, finished, *attended in rows:
        key = (branch_id, skill_area, quarter)
        run[circle_id] = key, finished
        present, marks, seconds = map(int, attended)  # PostgreSQL's sums are Decimals
        cell = cells[key]
        cell.circles += 1
        cell.capacity += capacity
        cell.seats_filled += seats
        cell.present += present
        cell.marks += marks
        cell.present_seconds += seconds

    places = (
        sa.select(
            Enrollment.circle_id,
            _count_if(Enrollment.status.in_(PARTICIPATING)),
            _count_if(Enrollment.status == EnrollmentStatus.waitlisted),
            _count_if(Enrollment.status == EnrollmentStatus.completed),
        )
        .join(Circle, Circle.id == Enrollment.circle_id)
        .where(_ran(branch_ids))
        .group_by(Enrollment.circle_id)
    )
    for circle_id, participants, waitlisted, completed in db.session.execute(places):
        if circle_id not in run:  # no scheduled meeting of it has started
            continue
        key, finished = run[circle_id]
        cell = cells[key]
        cell.participants += int(participants)
        cell.waitlisted += int(waitlisted)
        if finished:
            cell.completed += int(completed)
            cell.completable += int(participants)
    return run


def _surveys(run: Run, branch_ids: list[int]) -> list[tuple[int, str, int, int, int]]:
    query = (
        sa.select(
            SurveyAnswer.circle_id,
            sa.func.count(SurveyAnswer.id),
            _count_if(SurveyAnswer.goal_met),
            _count_if(SurveyAnswer.recommend),
        )
        .join(Circle, Circle.id == SurveyAnswer.circle_id)
        .where(_ran(branch_ids))
        .group_by(SurveyAnswer.circle_id)
    )
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for circle_id, *counts in db.session.execute(query):
        if circle_id in run:
            (branch_id, _skill_area, quarter), _finished = run[circle_id]
            total = sums[(branch_id, quarter)]
            for i, count in enumerate(counts):
                total[i] += int(count)
    return [(b, q, *total) for (b, q), total in sorted(sums.items())]


def _outcomes(branch_ids: list[int]) -> list[tuple[int, str, str, str, int, Decimal, int]]:
    """Confirmed outcomes counted by (branch, skill area, quarter achieved, kind)."""
    quarter = date_quarter(Outcome.achieved_on)
    query = (
        sa.select(
            Circle.branch_id,
            SKILL_AREA,
            quarter,
            Outcome.kind,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Outcome.ce_hours), 0),
            sa.func.coalesce(sa.func.sum(Outcome.amount_cents), 0),
        )
        .join(Circle, Circle.id == Outcome.circle_id)
        .join(Course, Course.id == Circle.course_id)
        .where(Outcome.status == OutcomeStatus.confirmed, Circle.branch_id.in_(branch_ids))
        .group_by(Circle.branch_id, Course.skill_area, quarter, Outcome.kind)
    )
    return [
        (branch_id, skill_area, q, kind, count, _decimal(ce_hours), int(cents))
        for branch_id, skill_area, q, kind, count, ce_hours, cents in db.session.execute(query)
    ]


def _credentials_by_title(branch_ids: list[int]) -> list[tuple[str, str, int, Decimal]]:
    """One row per credential on the admin's list (by its name as it is now, whatever the
    outcomes' titles were), and per title for outcomes that name none (older ones)."""
    count = sa.func.count()
    name = sa.func.coalesce(Credential.name, Outcome.title)
    query = (
        sa.select(
            name,
            Outcome.kind,
            count,
            sa.func.coalesce(sa.func.sum(Outcome.ce_hours), 0),
        )
        .join(Circle, Circle.id == Outcome.circle_id)
        .outerjoin(Credential, Credential.id == Outcome.credential_id)
        .where(
            Outcome.status == OutcomeStatus.confirmed,
            Outcome.kind.in_(CREDENTIAL_KINDS),
            Circle.branch_id.in_(branch_ids),
        )
        .group_by(name, Outcome.kind)
        .order_by(count.desc(), name, Outcome.kind)
    )
    return [
        (title, kind, n, _decimal(hours)) for title, kind, n, hours in db.session.execute(query)
    ]
