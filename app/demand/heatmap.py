"""The heat map of career stage × skill area: in each cell, demand against supply.

Demand: people waiting for a course of that stage and area; people whose next step on a
published pathway of that stage is a course or a skill area of that area; and interest in a
skill area (any course, which is also what the needs survey's answers become) in the "Every
stage" row. Supply: the open seats of upcoming published circles on courses of that stage and
area. Five queries at most, however many rows (counts are grouped in the database; pathway
need is ``app.pathways.progress.published_next_steps``, three queries, shared with the board).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from app.demand.services import _upcoming
from app.extensions import db
from app.models import (
    CareerStage,
    Circle,
    Course,
    Interest,
    InterestStatus,
    SkillArea,
)
from app.pathways import progress

SHORT = 5  # a gap of this many people or more is a large one


@dataclass(frozen=True)
class Cell:
    demand: int = 0
    seats: int = 0

    @property
    def gap(self) -> int:
        """People wanting more than the open seats (0 when the seats cover them)."""
        return max(self.demand - self.seats, 0)

    @property
    def level(self) -> str:
        """For the colour (the numbers are always written out too)."""
        if not self.demand:
            return "none"
        if not self.gap:
            return "met"
        return "high" if self.gap >= SHORT else "some"


@dataclass
class HeatMap:
    stages: list[CareerStage]
    areas: list[SkillArea]
    cells: dict[tuple[CareerStage, SkillArea], Cell]

    def cell(self, stage: CareerStage, area: SkillArea) -> Cell:
        return self.cells.get((stage, area), Cell())


def _pathway_need() -> Counter:
    """People on a published pathway whose next step is a course or a skill area: by the
    pathway's stage and the step's area."""
    found = progress.published_next_steps()
    need: Counter = Counter()
    for step_id, count in found.waiting.items():
        step = found.steps[step_id]
        area = step.course.skill_area if step.course else step.skill_area
        if area is not None:
            need[(found.pathways[step.pathway_id].career_stage, area)] += count
    return need


def heat_map(now: dt.datetime) -> HeatMap:
    demand: Counter = Counter()
    waiting = Interest.status == InterestStatus.waiting
    # Interest in a course counts at the course's stage and area; in a skill area (no course),
    # in the "Every stage" row: one query for both.
    for stage, area, any_course_in, count in db.session.execute(
        sa.select(Course.career_stage, Course.skill_area, Interest.skill_area, sa.func.count())
        .outerjoin(Course, Course.id == Interest.course_id)
        .where(waiting)
        .group_by(Course.career_stage, Course.skill_area, Interest.skill_area)
    ):
        if stage is None:  # no course joined: interest in a skill area
            demand[(CareerStage.all, any_course_in)] += count
        else:
            demand[(stage, area)] += count
    demand.update(_pathway_need())
    seats: Counter = Counter()
    for stage, area, count in db.session.execute(
        sa.select(
            Course.career_stage,
            Course.skill_area,
            sa.func.sum(Circle.capacity - Circle.enrolled_count),
        )
        .join(Course, Course.id == Circle.course_id)
        .where(_upcoming(now), Circle.capacity > Circle.enrolled_count)
        .group_by(Course.career_stage, Course.skill_area)
    ):
        seats[(stage, area)] = int(count)
    cells = {key: Cell(demand[key], seats[key]) for key in set(demand) | set(seats)}
    return HeatMap(list(CareerStage), list(SkillArea), cells)
