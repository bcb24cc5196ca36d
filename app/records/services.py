"""A person's learning record and the impact report, counted in the database.

A **record** lists the circles a person took part in (places enrolled or completed, matched by
account or by email as joining does), with the meetings held so far, those attended and the
hours (the length of each meeting the person was marked present at, as the reports count
hours); then their confirmed outcomes: credentials and certificates with CE hours, grants
(also those won by a whole circle they took part in), promotions; and the courses they
finished on their own that a manager confirmed (app/pathways/self_paced.py). Five queries,
however many circles.

The **impact report** compares a period with the previous one of the same length for circles
at some branches: credentials earned (confirmed, by the day achieved), CE hours, grant
dollars, completions (by the day confirmed) and hours of learning (meetings held in it).
Three grouped queries, each counting both periods at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.attendance import renewals
from app.extensions import db
from app.models import (
    Attendance,
    AttendanceStatus,
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
    SelfPacedCompletion,
    SelfPacedStatus,
    SurveyAnswer,
    User,
)
from app.participation.places import held_by
from app.pathways import self_paced
from app.reports.services import CREDENTIAL_KINDS, PARTICIPATING
from app.reports.sql import seconds_between

# --- the learning record ---------------------------------------------------------------------


@dataclass
class CircleLine:
    enrollment_id: int
    circle_id: int
    title: str
    course: str
    completed: bool
    completed_at: dt.datetime | None
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    scheduled: int = 0
    held: int = 0
    attended: int = 0
    seconds: int = 0

    @property
    def hours(self) -> float:
        return hours(self.seconds)


@dataclass
class OutcomeLine:
    kind: str
    name: str
    awarding_body: str
    achieved_on: dt.date
    ce_hours: Decimal | None
    funder: str
    amount_cents: int | None
    circle_title: str
    whole_circle: bool  # won by the circle together (a grant), not by this person alone
    # For credentials that lapse (app/attendance/renewals.py): the outcome, its credential's
    # renewal period and CE hours, and (set by ``build_record``) its standing.
    outcome_id: int = 0
    credential_id: int | None = None
    renewal_months: int | None = None
    renewal_ce_hours: Decimal | None = None
    standing: renewals.Standing | None = None

    @property
    def own(self) -> bool:
        return not self.whole_circle


@dataclass
class Record:
    person: User
    circles: list[CircleLine]
    credentials: list[OutcomeLine]  # credentials and certificates
    grants: list[OutcomeLine]
    promotions: list[OutcomeLine]
    other: list[OutcomeLine]
    self_paced: list[SelfPacedCompletion] = field(default_factory=list)  # confirmed ones

    @property
    def seconds(self) -> int:
        return sum(c.seconds for c in self.circles)

    @property
    def hours(self) -> float:
        return hours(self.seconds)

    @property
    def completions(self) -> int:
        return sum(1 for c in self.circles if c.completed)

    @property
    def ce_hours(self) -> Decimal:
        return exact(sum((o.ce_hours or 0 for o in self.credentials), Decimal(0)))

    @property
    def grant_cents(self) -> int:
        return sum(o.amount_cents or 0 for o in self.grants)


def hours(seconds: int) -> float:
    return round(seconds / 3600, 1)


def exact(value) -> Decimal:
    """CE hours as exact hundredths (SQLite hands sums back as floats)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def places_of(person: User) -> sa.ColumnElement[bool]:
    """The person's places that count: by account or by email, enrolled or completed."""
    return sa.and_(
        held_by(person),
        Enrollment.status.in_(PARTICIPATING),
    )


def build_record(person: User, now: dt.datetime) -> Record:
    lines = _circle_lines(person)
    by_circle: dict[int, list[CircleLine]] = defaultdict(list)
    for line in lines:
        by_circle[line.circle_id].append(line)
    by_enrollment = {line.enrollment_id: line for line in lines}
    if lines:
        for circle_id, scheduled, held, first, last in _meeting_counts(list(by_circle), now):
            for line in by_circle[circle_id]:
                line.scheduled, line.held, line.first, line.last = scheduled, held, first, last
        for enrollment_id, attended, seconds in _attended(list(by_enrollment), now):
            by_enrollment[enrollment_id].attended = attended
            by_enrollment[enrollment_id].seconds = seconds
    lines.sort(key=lambda c: c.first or now, reverse=True)
    outcomes = _outcomes(list(by_enrollment), list(by_circle)) if lines else []
    _add_standings(person, [o for o in outcomes if o.kind in CREDENTIAL_KINDS], now)
    kinds: dict[str, list[OutcomeLine]] = defaultdict(list)
    for outcome in outcomes:
        kinds["credentials" if outcome.kind in CREDENTIAL_KINDS else outcome.kind].append(outcome)
    return Record(
        person=person,
        circles=lines,
        credentials=kinds["credentials"],
        grants=kinds[OutcomeKind.grant],
        promotions=kinds[OutcomeKind.promotion],
        other=kinds[OutcomeKind.other],
        self_paced=self_paced.of(person, SelfPacedStatus.confirmed),
    )


def _add_standings(person: User, credentials: list[OutcomeLine], now: dt.datetime) -> None:
    """When each of the person's credentials lapses, on the person's own calendar."""
    today = now.astimezone(ZoneInfo(person.timezone)).date()
    found = renewals.standings(credentials, today, renewals.soon_days())
    for line in credentials:
        line.standing = found.get(line.outcome_id)


def _circle_lines(person: User) -> list[CircleLine]:
    rows = db.session.execute(
        sa.select(
            Enrollment.id,
            Circle.id,
            Circle.title,
            Course.title,
            Enrollment.status,
            Enrollment.completed_at,
        )
        .join(Circle, Circle.id == Enrollment.circle_id)
        .join(Course, Course.id == Circle.course_id)
        .where(places_of(person), Circle.status != CircleStatus.draft)
    )
    return [
        CircleLine(eid, cid, title, course, status == EnrollmentStatus.completed, completed_at)
        for eid, cid, title, course, status, completed_at in rows
    ]


def _meeting_counts(circle_ids: list[int], now: dt.datetime):
    """Per circle: scheduled meetings, those held (started by ``now``), first and last start."""
    held = sa.func.coalesce(sa.func.sum(sa.case((Meeting.starts_at <= now, 1), else_=0)), 0)
    return db.session.execute(
        sa.select(
            Meeting.circle_id,
            sa.func.count(),
            held,
            sa.func.min(Meeting.starts_at),
            sa.func.max(Meeting.starts_at),
        )
        .where(Meeting.circle_id.in_(circle_ids), Meeting.status == MeetingStatus.scheduled)
        .group_by(Meeting.circle_id)
    ).all()


def _attended(enrollment_ids: list[int], now: dt.datetime):
    """Per place: meetings attended (held, marked present) and their length in seconds."""
    return db.session.execute(
        sa.select(
            Attendance.enrollment_id,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(seconds_between(Meeting.starts_at, Meeting.ends_at)), 0),
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Attendance.enrollment_id.in_(enrollment_ids),
            Attendance.status == AttendanceStatus.present,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at <= now,
        )
        .group_by(Attendance.enrollment_id)
    ).all()


def _outcomes(enrollment_ids: list[int], circle_ids: list[int]) -> list[OutcomeLine]:
    """Confirmed outcomes of the person's places, and those of their circles as a whole."""
    whole = Outcome.enrollment_id.is_(None)
    rows = db.session.execute(
        sa.select(
            Outcome.kind,
            sa.func.coalesce(Credential.name, Outcome.title),
            sa.func.coalesce(Credential.awarding_body, ""),
            Outcome.achieved_on,
            Outcome.ce_hours,
            Outcome.funder,
            Outcome.amount_cents,
            Circle.title,
            whole,
            Outcome.id,
            Outcome.credential_id,
            Credential.renewal_months,
            Credential.renewal_ce_hours,
        )
        .join(Circle, Circle.id == Outcome.circle_id)
        .outerjoin(Credential, Credential.id == Outcome.credential_id)
        .where(
            Outcome.status == OutcomeStatus.confirmed,
            sa.or_(
                Outcome.enrollment_id.in_(enrollment_ids),
                sa.and_(whole, Outcome.circle_id.in_(circle_ids)),
            ),
        )
        .order_by(Outcome.achieved_on.desc(), Outcome.id)
    )
    return [
        OutcomeLine(
            kind,
            name,
            body,
            day,
            None if ce is None else exact(ce),
            funder,
            cents,
            circle,
            bool(is_whole),
            *renewal,
        )
        for kind, name, body, day, ce, funder, cents, circle, is_whole, *renewal in rows
    ]


def attended_seconds(enrollment_id: int, now: dt.datetime) -> int:
    """The hours of one place (a certificate), counted as the record counts them."""
    rows = _attended([enrollment_id], now)
    return int(rows[0][2]) if rows else 0


# --- the impact report -----------------------------------------------------------------------


@dataclass
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)


@dataclass
class ImpactFigures:
    credentials: int = 0
    ce_hours: Decimal = Decimal("0.00")
    grant_cents: int = 0
    completions: int = 0
    present_seconds: int = 0
    answers: int = 0  # end-of-circle survey answers given in the period
    goal_met: int = 0  # of which said the circle met their goal

    @property
    def hours(self) -> float:
        return hours(self.present_seconds)

    @property
    def goal_met_rate(self) -> float | None:
        return self.goal_met / self.answers if self.answers else None


@dataclass
class Impact:
    period: Period
    previous: Period
    current: ImpactFigures = field(default_factory=ImpactFigures)
    earlier: ImpactFigures = field(default_factory=ImpactFigures)
    # name, kind, earned in the previous period, earned in this one
    credentials_by_title: list[tuple[str, str, int, int]] = field(default_factory=list)


def last_twelve_months(today: dt.date) -> Period:
    try:
        start = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28)
    return Period(start + dt.timedelta(days=1), today)


def build_impact(branch_ids: list[int], period: Period, tz: dt.tzinfo) -> Impact:
    """Figures of ``period`` and the one before it, for circles at ``branch_ids``. Days are
    the reader's (``tz``) for instants (meetings held, completions confirmed)."""
    impact = Impact(period, period.previous())
    sides = {"current": impact.current, "earlier": impact.earlier}
    at_branches = Circle.branch_id.in_(branch_ids)
    titles: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"current": 0, "earlier": 0}
    )
    name = sa.func.coalesce(Credential.name, Outcome.title)
    outcomes = (
        sa.select(
            _side(Outcome.achieved_on, impact, lambda d: d),
            Outcome.kind.label("kind"),
            name.label("name"),
            Outcome.ce_hours.label("ce_hours"),
            Outcome.amount_cents.label("cents"),
        )
        .join(Circle, Circle.id == Outcome.circle_id)
        .outerjoin(Credential, Credential.id == Outcome.credential_id)
        .where(
            Outcome.status == OutcomeStatus.confirmed,
            Outcome.kind.in_((*CREDENTIAL_KINDS, OutcomeKind.grant)),
            Outcome.achieved_on.between(impact.previous.start, impact.period.end),
            at_branches,
        )
        .subquery()
    )
    for side, kind, title, count, ce, cents in _per_side(
        outcomes,
        [outcomes.c.kind, outcomes.c.name],
        [sa.func.count(), _sum(outcomes.c.ce_hours), _sum(outcomes.c.cents)],
    ):
        figures = sides[side]
        if kind in CREDENTIAL_KINDS:
            figures.credentials += count
            figures.ce_hours += exact(ce)
            titles[(title, kind)][side] += count
        else:
            figures.grant_cents += int(cents)
    to_instant = lambda day: _start_of(day, tz)  # noqa: E731
    completions = (
        sa.select(_side(Enrollment.completed_at, impact, to_instant))
        .join(Circle, Circle.id == Enrollment.circle_id)
        .where(Enrollment.status == EnrollmentStatus.completed, at_branches)
        .subquery()
    )
    for side, count in _per_side(completions, [], [sa.func.count()]):
        sides[side].completions = count
    present = (
        sa.select(
            _side(Meeting.starts_at, impact, to_instant),
            seconds_between(Meeting.starts_at, Meeting.ends_at).label("seconds"),
        )
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .join(Circle, Circle.id == Meeting.circle_id)
        .where(
            Attendance.status == AttendanceStatus.present,
            Meeting.status == MeetingStatus.scheduled,
            at_branches,
        )
        .subquery()
    )
    for side, seconds in _per_side(present, [], [_sum(present.c.seconds)]):
        sides[side].present_seconds = int(seconds)
    answers = (
        sa.select(
            _side(SurveyAnswer.created_at, impact, to_instant),
            sa.case((SurveyAnswer.goal_met, 1), else_=0).label("met"),
        )
        .join(Circle, Circle.id == SurveyAnswer.circle_id)
        .where(at_branches)
        .subquery()
    )
    for side, count, met in _per_side(answers, [], [sa.func.count(), _sum(answers.c.met)]):
        sides[side].answers, sides[side].goal_met = count, int(met)
    impact.credentials_by_title = sorted(
        ((title, kind, n["earlier"], n["current"]) for (title, kind), n in titles.items()),
        key=lambda row: (-row[3], -row[2], row[0]),
    )
    return impact


def _sum(column) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(column), 0)


def _start_of(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def _side(column, impact: Impact, edge) -> sa.Label:
    """ "current", "earlier" or NULL: which period ``column`` falls in (``edge`` turns a day
    into what the column is compared with: itself for dates, its first instant otherwise)."""
    one_day = dt.timedelta(days=1)

    def within(period: Period) -> sa.ColumnElement[bool]:
        return sa.and_(column >= edge(period.start), column < edge(period.end + one_day))

    return sa.case(
        (within(impact.period), "current"), (within(impact.previous), "earlier"), else_=None
    ).label("side")


def _per_side(rows: sa.Subquery, keys: list, values: list):
    """``values`` grouped by period (and ``keys``): grouping outside the subquery keeps the
    CASE in one place, which PostgreSQL needs to see that it is grouped by."""
    return db.session.execute(
        sa.select(rows.c.side, *keys, *values)
        .where(rows.c.side.is_not(None))
        .group_by(rows.c.side, *keys)
    ).all()
