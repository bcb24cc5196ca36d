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
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import g

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

    @property
    def required(self) -> list[StepProgress]:
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


def published_progress() -> tuple[dict[int, Pathway], list[Progress]]:
    """The published pathways by id and every member's progress on them, worked out once per
    request (the demand board counts from it twice: its rows and its heat map)."""
    if "published_progress" not in g:
        pathways = {
            p.id: p
            for p in db.session.scalars(
                sa.select(Pathway).where(Pathway.status == PathwayStatus.published)
            )
        }
        g.published_progress = pathways, progress_of(list(pathways.values()))
    return g.published_progress


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
    steps: dict[int, list[PathwayStep]] = defaultdict(list)
    for step in db.session.scalars(
        sa.select(PathwayStep)
        .where(PathwayStep.pathway_id.in_(by_id))
        .options(so.joinedload(PathwayStep.course), so.joinedload(PathwayStep.credential))
        .order_by(PathwayStep.position, PathwayStep.id)
    ):
        steps[step.pathway_id].append(step)
    done = set()
    if rows:
        evidence = _evidence(list(by_id), user_ids, people)
        done = {(u, s) for u, s in db.session.execute(evidence)}
    found = [
        Progress(
            pathway_id,
            user,
            [StepProgress(s, (user.id, s.id) in done) for s in steps[pathway_id]],
        )
        for pathway_id, user in rows
    ]
    order = list(by_id)
    return sorted(found, key=lambda p: order.index(p.pathway_id))


def summary(pathway: Pathway) -> Summary:
    """How many follow the pathway, how many finished it, and how many did each step."""
    counts = Summary(pathway, done_by_step={s.id: 0 for s in pathway.steps})
    for p in progress_of([pathway]):
        counts.members += 1
        counts.complete += p.complete
        for s in p.steps:
            counts.done_by_step[s.step.id] += s.done
    return counts


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
