"""The demand board's and the pathway progress page's figures on the statewide data (issue 15
made them quicker: next steps counted from plain rows, the evidence worked out once per page,
the needs survey's tallies and the heat map's interest in fewer grouped queries), checked
against the same figures worked out the plain way: from each member's ``Progress`` (its
``next_step``, ``complete`` and steps) and from the answers and interests row by row."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa

from app.auth.permissions import own_staff
from app.demand import heatmap, services, survey
from app.extensions import db
from app.models import (
    CareerStage,
    Course,
    Interest,
    InterestStatus,
    NeedsAnswer,
    NeedsAnswerArea,
    NeedsSurvey,
    Pathway,
    PathwayStatus,
    User,
)
from app.pathways import progress
from app.seed import seed
from bench.pages import MANAGER
from tests.conftest import _empty_all_tables

SCALE = 0.05  # 1,000 people, 100 circles: members with steps done and without
TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def statewide(app) -> None:
    with app.app_context():
        _empty_all_tables()
        seed(SCALE, 2026, TODAY)


def _published() -> list[Pathway]:
    return list(
        db.session.scalars(
            sa.select(Pathway).where(Pathway.status == PathwayStatus.published).order_by(Pathway.id)
        )
    )


def _everyone() -> list[tuple[Pathway, progress.Progress]]:
    """Every member of a published pathway with their progress, the plain way."""
    pathways = {p.id: p for p in _published()}
    return [(pathways[p.pathway_id], p) for p in progress.progress_of(pathways.values())]


def test_next_steps_are_each_members_progress_next_step(statewide, query):
    def both():
        everyone = _everyone()
        plain = Counter(p.next_step.id for _pathway, p in everyone if p.next_step is not None)
        # Members who have done nothing yet and members further along.
        points = {p.required_done > 0 for _pathway, p in everyone}
        found = progress.published_next_steps()
        rows = services.board(services.Filters(), dt.datetime.now(dt.UTC), None)
        need = {(r.course.id if r.course else None, r.skill_area): r.pathway_need for r in rows}
        return plain, points, found, need

    plain, points, found, need = query(both)
    assert found.waiting == plain
    assert points == {False, True}
    assert sum(plain.values()) > 100
    steps = found.steps
    by_target: Counter = Counter()
    for step_id, count in plain.items():
        step = steps[step_id]
        if step.course_id is not None:
            by_target[(step.course_id, None)] += count
        elif step.skill_area is not None:
            by_target[(None, step.skill_area)] += count
    assert {key: n for key, n in need.items() if n} == by_target


def test_the_progress_page_counts_everyone_once_and_shows_whom_it_may(statewide, query):
    def check() -> tuple[int, int]:
        manager = db.session.scalar(sa.select(User).where(User.email == MANAGER))
        shown_to_manager = everyone_seen = 0
        for pathway in _published():
            everyone = progress.progress_of([pathway])
            summary, people = progress.report(pathway, sa.true())
            assert summary.members == len(everyone)
            assert summary.complete == sum(p.complete for p in everyone)
            assert summary.done_by_step == {
                s.id: sum(p.steps[i].done for p in everyone) for i, s in enumerate(pathway.steps)
            }
            assert [(p.user.id, [s.done for s in p.steps]) for p in people] == [
                (p.user.id, [s.done for s in p.steps]) for p in everyone
            ]
            staff = own_staff(manager)
            _same, theirs = progress.report(pathway, staff)
            plain = progress.progress_of([pathway], people=staff)
            assert [(p.user.id, p.required_done, p.next_step) for p in theirs] == [
                (p.user.id, p.required_done, p.next_step) for p in plain
            ]
            assert progress.report(pathway, None)[1] is None
            shown_to_manager += len(theirs)
            everyone_seen += len(everyone)
        return shown_to_manager, everyone_seen

    shown_to_manager, everyone = query(check)
    assert 0 < shown_to_manager < everyone


def test_the_survey_comparison_counts_the_answers_row_by_row(statewide, query):
    def both():
        year = db.session.scalar(sa.select(sa.func.max(NeedsSurvey.year)))
        found = survey.comparison(year, None)
        answers = db.session.execute(
            sa.select(
                NeedsSurvey.year, NeedsAnswer.id, NeedsAnswer.career_goal, NeedsAnswer.format
            ).join(NeedsSurvey, NeedsSurvey.id == NeedsAnswer.survey_id)
        ).all()
        areas = db.session.execute(
            sa.select(NeedsSurvey.year, NeedsAnswerArea.skill_area)
            .join(NeedsAnswer, NeedsAnswer.id == NeedsAnswerArea.answer_id)
            .join(NeedsSurvey, NeedsSurvey.id == NeedsAnswer.survey_id)
        ).all()
        return year, found, answers, areas

    year, found, answers, areas = query(both)
    assert found.last_survey is not None  # last year's is there to compare with

    def expected(pairs) -> dict[str, tuple[int, int]]:
        this = Counter(code for y, code in pairs if y == year)
        last = Counter(code for y, code in pairs if y == year - 1)
        return {str(code): (this[code], last[code]) for code in this | last}

    def got(changes) -> dict[str, tuple[int, int]]:
        return {c.code: (c.this, c.last) for c in changes}

    assert (found.answers.this, found.answers.last) == (
        sum(y == year for y, *_ in answers),
        sum(y == year - 1 for y, *_ in answers),
    )
    assert got(found.goals) == expected([(y, goal) for y, _id, goal, _f in answers])
    assert got(found.formats) == expected([(y, fmt) for y, _id, _g, fmt in answers])
    assert got(found.areas) == expected(areas)
    assert len(found.areas) > 3
    assert found.answers.this > 20


def test_heat_map_demand_is_interest_and_pathway_need_row_by_row(statewide, query):
    def both():
        cells = heatmap.heat_map(dt.datetime.now(dt.UTC)).cells
        plain: Counter = Counter()
        for interest, course in db.session.execute(
            sa.select(Interest, Course)
            .outerjoin(Course, Course.id == Interest.course_id)
            .where(Interest.status == InterestStatus.waiting)
        ):
            if course is not None:
                plain[(course.career_stage, course.skill_area)] += 1
            else:
                plain[(CareerStage.all, interest.skill_area)] += 1
        from_pathways = 0
        for pathway, member in _everyone():
            step, area = member.next_step, None
            if step is not None:
                area = step.course.skill_area if step.course else step.skill_area
            if area is not None:
                plain[(pathway.career_stage, area)] += 1
                from_pathways += 1
        return cells, plain, from_pathways

    cells, plain, from_pathways = query(both)
    assert {key: cell.demand for key, cell in cells.items() if cell.demand} == plain
    assert from_pathways > 100
    assert any(stage == CareerStage.all for stage, _area in plain)
