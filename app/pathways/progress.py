"""Progress along pathways, counted from the evidence itself: nobody ticks a step.

- a course step is done by a completed place (the person's account's, or one with their email,
  as joining matches places) (``Enrollment`` completed) in a circle on that
  course; a skill-area step by one in a circle on any course of that area;
- a credential step by a confirmed outcome naming that credential, for one of the person's
  places (an outcome still waiting for a facilitator does not count yet);
- a course or skill-area step also by a course finished on one's own that one of the person's
  managers confirmed (``SelfPacedCompletion`` confirmed; app/pathways/self_paced.py).

One call works for many people at once, in a fixed number of queries whatever their number:
the members, the steps, and one query for every (person, step) that has evidence.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import g
from sqlalchemy.orm.attributes import set_committed_value

from app.circles import listing
from app.extensions import db
from app.models import (
    Circle,
    Course,
    Enrollment,
    EnrollmentStatus,
    Outcome,
    OutcomeStatus,
    Pathway,
    PathwayMember,
    PathwayStatus,
    PathwayStep,
    SelfPacedCompletion,
    SelfPacedStatus,
    StepKind,
    User,
)


@dataclass
class StepProgress:
    step: PathwayStep
    done: bool


@dataclass
class Progress:
    """One person's progress along one pathway."""

    pathway_id: int
    user: User
    steps: list[StepProgress]

    @cached_property
    def required(self) -> list[StepProgress]:
        """(Worked out once: a page reads it for the count, the total and the next step.)"""
        return [s for s in self.steps if not s.step.optional]

    @property
    def required_done(self) -> int:
        return sum(s.done for s in self.required)

    @property
    def complete(self) -> bool:
        return all(s.done for s in self.required)

    @property
    def next_step(self) -> PathwayStep | None:
        """The first required step still to do; once those are done, the first optional one."""
        for pool in (self.required, self.steps):
            for s in pool:
                if not s.done:
                    return s.step
        return None


@dataclass
class Summary:
    """A pathway's progress in counts only (for those who may not see each person)."""

    pathway: Pathway
    members: int = 0
    complete: int = 0
    done_by_step: dict[int, int] = field(default_factory=dict)


def _members(
    pathway_ids: Collection[int],
    user_ids: Collection[int] | None,
    people: sa.ColumnElement[bool] | None,
) -> sa.Select:
    """(pathway id, user id) of the members asked for, joined to ``User``."""
    members = (
        sa.select(PathwayMember.pathway_id, PathwayMember.user_id)
        .join(User, User.id == PathwayMember.user_id)
        .where(PathwayMember.pathway_id.in_(pathway_ids))
    )
    if user_ids is not None:
        members = members.where(PathwayMember.user_id.in_(user_ids))
    if people is not None:
        members = members.where(people)
    return members


def _evidence(
    pathway_ids: Collection[int],
    user_ids: Collection[int] | None,
    people: sa.ColumnElement[bool] | None = None,
) -> sa.Select:
    """(user id, step id) for every member's step that has evidence: one UNION query."""
    m = _members(pathway_ids, user_ids, people).add_columns(User.email).subquery()
    # The person's places: by account, or by email as joining matches them. One arm each (an
    # OR in the join would compare every member with every place; apart, each uses an index).
    arms = []
    for theirs in (Enrollment.user_id == m.c.user_id, Enrollment.email == m.c.email):
        completed_circles = (
            sa.select(m.c.user_id, PathwayStep.id)
            .join(PathwayStep, PathwayStep.pathway_id == m.c.pathway_id)
            .join(
                Enrollment,
                sa.and_(theirs, Enrollment.status == EnrollmentStatus.completed),
            )
            .join(Circle, Circle.id == Enrollment.circle_id)
            .join(Course, Course.id == Circle.course_id)
            .where(
                sa.or_(
                    PathwayStep.course_id == Circle.course_id,
                    PathwayStep.skill_area == Course.skill_area,
                )
            )
        )
        confirmed_credentials = (
            sa.select(m.c.user_id, PathwayStep.id)
            .join(PathwayStep, PathwayStep.pathway_id == m.c.pathway_id)
            .join(Enrollment, theirs)
            .join(
                Outcome,
                sa.and_(
                    Outcome.enrollment_id == Enrollment.id,
                    Outcome.credential_id == PathwayStep.credential_id,
                    Outcome.status == OutcomeStatus.confirmed,
                ),
            )
        )
        arms += [completed_circles, confirmed_credentials]
    confirmed_on_their_own = (
        sa.select(m.c.user_id, PathwayStep.id)
        .join(PathwayStep, PathwayStep.pathway_id == m.c.pathway_id)
        .join(
            SelfPacedCompletion,
            sa.and_(
                SelfPacedCompletion.user_id == m.c.user_id,
                SelfPacedCompletion.status == SelfPacedStatus.confirmed,
            ),
        )
        .join(Course, Course.id == SelfPacedCompletion.course_id)
        .where(
            sa.or_(
                PathwayStep.course_id == SelfPacedCompletion.course_id,
                PathwayStep.skill_area == Course.skill_area,
            )
        )
    )
    return sa.union(*arms, confirmed_on_their_own)


def _steps(*where: sa.ColumnElement[bool], pathways: bool = False) -> dict[int, list[PathwayStep]]:
    """The steps ``where`` selects by pathway id, in order, with their courses and credentials
    (and their pathways if asked): one query."""
    loads = [so.joinedload(PathwayStep.course), so.joinedload(PathwayStep.credential)]
    if pathways:
        loads.append(so.joinedload(PathwayStep.pathway))
    steps: dict[int, list[PathwayStep]] = defaultdict(list)
    for step in db.session.scalars(
        sa.select(PathwayStep)
        .where(*where)
        .options(*loads)
        .order_by(PathwayStep.position, PathwayStep.id)
    ):
        steps[step.pathway_id].append(step)
    return steps


def _done(
    pathway_ids: Collection[int],
    user_ids: Collection[int] | None = None,
    people: sa.ColumnElement[bool] | None = None,
) -> set[tuple[int, int]]:
    """(user id, step id) of every step the members asked for have done: one query."""
    return set(db.session.execute(_evidence(pathway_ids, user_ids, people)))


def _to_do_order(steps: list[PathwayStep]) -> list[PathwayStep]:
    """The order ``Progress.next_step`` looks for the next one in: the required steps, then
    the optional ones, each in the pathway's order (sorting is stable)."""
    return sorted(steps, key=lambda s: s.optional)


def _keyed(steps: list[PathwayStep]) -> list[tuple[PathwayStep, int]]:
    return [(s, s.id) for s in steps]


def _progress(
    pathway_id: int, user: User, steps: list[tuple[PathwayStep, int]], done: set[tuple[int, int]]
) -> Progress:
    """The user's progress on the steps (with their ids), given who has done what."""
    user_id = user.id
    return Progress(
        pathway_id, user, [StepProgress(s, (user_id, step_id) in done) for s, step_id in steps]
    )


@dataclass(frozen=True)
class NextSteps:
    """Published pathways that have steps, their steps by id (with courses), and how many of
    their members have each step next (steps nobody has next are left out)."""

    pathways: dict[int, Pathway]
    steps: dict[int, PathwayStep]
    waiting: Counter[int]


def published_next_steps() -> NextSteps:
    """Whose next step is what on every published pathway, worked out once per request (the
    demand board counts from it twice: its rows and its heat map). Three queries: the steps
    with their pathways, the members as plain rows, the evidence; no person is loaded (a
    pathway without steps is nobody's next step)."""
    if "published_next_steps" not in g:
        published = sa.select(Pathway.id).where(Pathway.status == PathwayStatus.published)
        steps = _steps(PathwayStep.pathway_id.in_(published), pathways=True)
        waiting: Counter[int] = Counter()
        members = db.session.execute(_members(list(steps), None, None)).all() if steps else []
        done = _done(list(steps)) if members else set()
        order = {pathway_id: _to_do_order(found) for pathway_id, found in steps.items()}
        for pathway_id, user_id in members:
            for step in order[pathway_id]:
                if (user_id, step.id) not in done:
                    waiting[step.id] += 1
                    break
        g.published_next_steps = NextSteps(
            {found[0].pathway_id: found[0].pathway for found in steps.values()},
            {s.id: s for found in steps.values() for s in found},
            waiting,
        )
    return g.published_next_steps


def progress_of(
    pathways: Iterable[Pathway],
    user_ids: Collection[int] | None = None,
    people: sa.ColumnElement[bool] | None = None,
) -> list[Progress]:
    """Every member's progress on these pathways (only those in ``user_ids`` if given, and
    only those ``people`` (a filter on ``User``) selects), by pathway and then by name. Three
    queries, however many people and pathways."""
    by_id = {p.id: p for p in pathways}
    if not by_id:
        return []
    members = _members(list(by_id), user_ids, people).with_only_columns(
        PathwayMember.pathway_id, User
    )
    rows = db.session.execute(members.order_by(User.name, User.id)).all()
    steps = _steps(PathwayStep.pathway_id.in_(by_id))
    done = _done(list(by_id), user_ids, people) if rows else set()
    keyed = {pathway_id: _keyed(found) for pathway_id, found in steps.items()}
    found = [
        _progress(pathway_id, user, keyed.get(pathway_id, []), done) for pathway_id, user in rows
    ]
    order = {pathway_id: i for i, pathway_id in enumerate(by_id)}
    return sorted(found, key=lambda p: order[p.pathway_id])


def report(
    pathway: Pathway, people: sa.ColumnElement[bool] | None
) -> tuple[Summary, list[Progress] | None]:
    """The pathway's progress page: the counts over every member, and each person's progress
    for those ``people`` (a filter on ``User``; None: counts only) selects, by name. The
    evidence is worked out once for everyone; only the people shown are loaded. Four queries
    with ``people`` (the steps, every member's id, the evidence, the people shown), and the
    steps fill ``pathway.steps``."""
    steps = _steps(PathwayStep.pathway_id == pathway.id)[pathway.id]
    set_committed_value(pathway, "steps", steps)
    members = db.session.scalars(
        _members([pathway.id], None, None).with_only_columns(PathwayMember.user_id)
    ).all()
    done = _done([pathway.id]) if members else set()
    counts = Summary(pathway, members=len(members), done_by_step={s.id: 0 for s in steps})
    for _user_id, step_id in done:
        counts.done_by_step[step_id] += 1
    required = [s.id for s in steps if not s.optional]
    counts.complete = sum(all((u, s) in done for s in required) for u in members)
    if people is None:
        return counts, None
    shown = db.session.scalars(
        _members([pathway.id], None, people).with_only_columns(User).order_by(User.name, User.id)
    )
    keyed = _keyed(steps)
    return counts, [_progress(pathway.id, user, keyed, done) for user in shown]


def circles_for(step: PathwayStep, viewer: User, now: dt.datetime, limit: int = 3) -> list[Circle]:
    """Upcoming circles with a seat left that would complete the step (the public circle list
    with its "open seats" filter), those online or at the viewer's home branch first: none
    for a credential, earned outside circles."""
    if step.kind == StepKind.credential:
        return []
    near = {"open_seats": True, "near_branch": getattr(viewer, "home_branch_id", None)}
    if step.kind == StepKind.skill_area:
        query = listing.list_circles(viewer, now, skill_area=step.skill_area, **near)
    else:
        query = listing.list_circles(viewer, now, **near).where(Circle.course_id == step.course_id)
    return list(db.session.scalars(query.limit(limit)).unique())
