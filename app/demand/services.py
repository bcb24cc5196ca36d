"""Interest and demand: marking and withdrawing interest, the demand board's figures, what a
circle started from demand is pre-filled with, and the invitations when one is published.

The board is a fixed number of queries however many people asked: counts are grouped in the
database, pathway need comes from ``app.pathways.progress`` (a fixed number of queries too)
and the people shown are read in one query.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.demand import notifications
from app.extensions import db
from app.models import (
    Branch,
    Circle,
    CircleStatus,
    Course,
    Enrollment,
    EnrollmentStatus,
    Interest,
    InterestFormat,
    InterestStatus,
    Meeting,
    MeetingStatus,
    SkillArea,
    TimeOfDay,
    User,
)
from app.pathways import progress
from app.rules import RuleViolation


@dataclass(frozen=True)
class Target:
    """What the interest is in: a course or a skill area (exactly one)."""

    course: Course | None = None
    skill_area: SkillArea | None = None

    def where(self) -> sa.ColumnElement[bool]:
        if self.course is not None:
            return Interest.course_id == self.course.id
        return Interest.skill_area == self.skill_area


@dataclass(frozen=True)
class Preferences:
    format: str
    time_of_day: str
    branch_id: int | None = None


def interest_in(user: User, target: Target) -> Interest | None:
    return db.session.scalar(sa.select(Interest).where(Interest.user_id == user.id, target.where()))


def mark_interest(user: User, target: Target, wants: Preferences) -> tuple[Interest, bool]:
    """The person's interest in the target, with these preferences; ``True`` when new. A second
    mark changes the preferences of the first (it keeps its place in the queue)."""
    if (target.course is None) == (target.skill_area is None):
        raise RuleViolation(_("Choose a course or a skill area."))
    if target.course is not None and target.course.retired:
        raise RuleViolation(_("This course is retired: no new circle will run it."))
    if wants.format not in set(InterestFormat):
        raise RuleViolation(_("Choose how you would join."), "format")
    if wants.time_of_day not in set(TimeOfDay):
        raise RuleViolation(_("Choose a time of day."), "time_of_day")
    if wants.branch_id is not None and db.session.get(Branch, wants.branch_id) is None:
        raise RuleViolation(_("Choose a branch from the list."), "branch_id")
    interest = interest_in(user, target)
    new = interest is None
    if new:
        interest = Interest(user_id=user.id, course=target.course, skill_area=target.skill_area)
        db.session.add(interest)
    interest.format = InterestFormat(wants.format)
    interest.time_of_day = TimeOfDay(wants.time_of_day)
    interest.branch_id = wants.branch_id
    db.session.flush()
    return interest, new


def withdraw(interest: Interest) -> None:
    db.session.delete(interest)
    db.session.flush()


def interests_of(user: User) -> list[Interest]:
    return list(
        db.session.scalars(
            sa.select(Interest)
            .where(Interest.user_id == user.id)
            .order_by(Interest.created_at, Interest.id)
        )
    )


# --- the board ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One course or skill area on the board. ``people``: the names of who asked, oldest
    first, or None for a viewer who sees counts only."""

    course: Course | None = None
    skill_area: SkillArea | None = None
    interested: int = 0
    waitlisted: int = 0
    pathway_need: int = 0
    people: list[str] | None = None

    @property
    def names(self) -> str:
        """Who asked, for the page: one string (escaped once, not name by name)."""
        return ", ".join(self.people or ())

    @property
    def rank(self) -> tuple:
        return (-self.interested, -self.waitlisted, -self.pathway_need)


@dataclass(frozen=True)
class Filters:
    branch_id: int | None = None
    format: InterestFormat | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        """A branch filter keeps those who chose it and those with no preference."""
        found = [Interest.status == InterestStatus.waiting]
        if self.branch_id is not None:
            found.append(sa.or_(Interest.branch_id == self.branch_id, Interest.branch_id.is_(None)))
        if self.format is not None:
            found.append(Interest.format == self.format)
        return found


def _upcoming(now: dt.datetime) -> sa.ColumnElement[bool]:
    """A published circle with a meeting still to come."""
    return sa.and_(
        Circle.status == CircleStatus.published,
        sa.exists().where(
            Meeting.circle_id == Circle.id,
            Meeting.status == MeetingStatus.scheduled,
            Meeting.starts_at > now,
        ),
    )


def _waitlists(filters: Filters, now: dt.datetime) -> dict[int, int]:
    """People waiting for a seat in upcoming circles, by course."""
    query = (
        sa.select(Circle.course_id, sa.func.count(Enrollment.id))
        .join(Enrollment, Enrollment.circle_id == Circle.id)
        .where(Enrollment.status == EnrollmentStatus.waitlisted, _upcoming(now))
        .group_by(Circle.course_id)
    )
    if filters.branch_id is not None:
        query = query.where(Circle.branch_id == filters.branch_id)
    return dict(db.session.execute(query).all())


def _pathway_need() -> tuple[Counter, Counter]:
    """People following a published pathway whose next step is a course or a skill area:
    (by course id, by skill area)."""
    courses, areas = Counter(), Counter()
    found = progress.published_next_steps()
    for step_id, count in found.waiting.items():
        step = found.steps[step_id]
        if step.course_id is not None:
            courses[step.course_id] += count
        elif step.skill_area is not None:
            areas[step.skill_area] += count
    return courses, areas


def board(filters: Filters, now: dt.datetime, people: sa.ColumnElement[bool] | None) -> list[Row]:
    """Every course and skill area someone is waiting for, most wanted first (ties: courses
    first, by title). ``people``: which
    interests' people the viewer may see (``app.auth.permissions.interested_people``), None for
    counts only."""
    rows: dict[tuple, Row] = {}

    def row(course_id: int | None, area: SkillArea | None) -> Row:
        return rows.setdefault((course_id, area), Row(skill_area=area))

    counts = (
        sa.select(Interest.course_id, Interest.skill_area, sa.func.count(Interest.id))
        .where(*filters.where())
        .group_by(Interest.course_id, Interest.skill_area)
    )
    for course_id, area, count in db.session.execute(counts):
        row(course_id, area).interested = count
    for course_id, count in _waitlists(filters, now).items():
        row(course_id, None).waitlisted = count
    by_course, by_area = _pathway_need()
    for course_id, count in by_course.items():
        row(course_id, None).pathway_need = count
    for area, count in by_area.items():
        row(None, area).pathway_need = count
    course_ids = [c for c, _area in rows if c is not None]
    courses = {
        c.id: c for c in db.session.scalars(sa.select(Course).where(Course.id.in_(course_ids)))
    }
    for (course_id, _area), found in rows.items():
        found.course = courses.get(course_id)
    if people is not None:
        _add_people(rows, filters, people)
    return sorted(
        rows.values(),
        key=lambda r: (r.rank, r.course is None, r.course.title if r.course else r.skill_area),
    )


def _add_people(rows: dict[tuple, Row], filters: Filters, people: sa.ColumnElement[bool]) -> None:
    for found in rows.values():
        found.people = []
    query = (
        sa.select(Interest.course_id, Interest.skill_area, User.name)
        .join(User, User.id == Interest.user_id)
        .where(*filters.where(), people)
        .order_by(Interest.created_at, Interest.id)
    )
    for course_id, area, name in db.session.execute(query):
        rows[(course_id, area)].people.append(name)


# --- starting a circle from demand -------------------------------------------------------------


@dataclass
class Wanted:
    """What most people waiting for a course chose (None where nobody chose)."""

    course: Course
    waiting: int = 0
    format: InterestFormat | None = None
    time_of_day: TimeOfDay | None = None
    branch_id: int | None = None


def wanted_for(course: Course) -> Wanted:
    """The choices of the people waiting for the course, in one query; ties go to the choice
    of whoever has waited longest."""
    found = Wanted(course)
    tallies: dict[str, Counter] = defaultdict(Counter)
    query = (
        sa.select(Interest.format, Interest.time_of_day, Interest.branch_id)
        .where(Interest.course_id == course.id, Interest.status == InterestStatus.waiting)
        .order_by(Interest.created_at, Interest.id)
    )
    for fmt, time_of_day, branch_id in db.session.execute(query):
        found.waiting += 1
        tallies["format"][fmt] += 1
        tallies["time_of_day"][time_of_day] += 1
        if branch_id is not None:
            tallies["branch_id"][branch_id] += 1
    for name in ("format", "time_of_day", "branch_id"):
        common = tallies[name].most_common(1)  # the first counted wins a tie
        setattr(found, name, common[0][0] if common else None)
    return found


# --- invitations -------------------------------------------------------------------------------


def invite_interested(circle: Circle, now: dt.datetime) -> list[Interest]:
    """A published circle on a course invites the people waiting for that course, each once,
    longest waiting first (its own facilitators are not invited). Each interest is claimed by
    a conditional UPDATE, so that a second publish, a second circle or a concurrent one never
    emails anyone twice."""
    if circle.status != CircleStatus.published:
        return []
    facilitators = {f.user_id for f in circle.facilitations}
    waiting = db.session.scalars(
        sa.select(Interest)
        .where(Interest.course_id == circle.course_id, Interest.status == InterestStatus.waiting)
        .order_by(Interest.created_at, Interest.id)
    ).all()
    invited = []
    for interest in waiting:
        if interest.user_id in facilitators:
            continue
        claimed = db.session.execute(
            sa.update(Interest)
            .where(Interest.id == interest.id, Interest.status == InterestStatus.waiting)
            .values(status=InterestStatus.invited, invited_at=now, invited_circle_id=circle.id)
            .execution_options(synchronize_session="fetch")
        )
        if claimed.rowcount == 1:
            notifications.invited(interest, circle)
            invited.append(interest)
    return invited
