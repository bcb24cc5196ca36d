"""The yearly needs survey: an admin opens one a year (closing on a date), closes it early or
reopens it before that date; staff answer it once while it is open, and the skill areas they
choose become interest (demand) rows in the same transaction. The demand board compares this
year's answers with last year's in a fixed number of queries.

A survey takes answers while its status is open and up to and including its closing date.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from app.demand import services
from app.extensions import db
from app.models import (
    CareerGoal,
    InterestFormat,
    NeedsAnswer,
    NeedsAnswerArea,
    NeedsSurvey,
    NeedsSurveyStatus,
    SkillArea,
    TimeOfDay,
    User,
)
from app.rules import RuleViolation, unique_or_violation

MAX_AREAS = 5
MAX_COMMENTS = 1000
MAX_INTRO = 2000


def takes_answers(survey: NeedsSurvey, today: dt.date) -> bool:
    return survey.status == NeedsSurveyStatus.open and today <= survey.closes_on


# --- the admin's side --------------------------------------------------------------------------


def open_survey(year: int, intro: str, closes_on: dt.date, today: dt.date) -> NeedsSurvey:
    """Open the survey of ``year``: one a year, closing after today."""
    if closes_on <= today:
        raise RuleViolation(_("Choose a closing date after today."), "closes_on")
    if len(intro) > MAX_INTRO:
        raise RuleViolation(
            _("Keep the introduction under %(n)d characters.", n=MAX_INTRO), "intro"
        )
    taken = _(
        "The %(year)d needs survey exists already: close or reopen it from the list.", year=year
    )
    if db.session.scalar(sa.select(NeedsSurvey.id).where(NeedsSurvey.year == year)):
        raise RuleViolation(taken, conflict=True)
    survey = NeedsSurvey(year=year, intro=intro.strip(), closes_on=closes_on)
    with unique_or_violation(taken):
        db.session.add(survey)
    return survey


def close(survey: NeedsSurvey) -> None:
    if survey.status == NeedsSurveyStatus.closed:
        raise RuleViolation(_("This survey is closed already."), conflict=True)
    survey.status = NeedsSurveyStatus.closed
    db.session.flush()


def reopen(survey: NeedsSurvey, today: dt.date) -> None:
    """A survey closed early opens again until its closing date; after that date it stays
    closed (open next year's instead)."""
    if survey.status == NeedsSurveyStatus.open:
        raise RuleViolation(_("This survey is open already."), conflict=True)
    if today > survey.closes_on:
        raise RuleViolation(_("Its closing date has passed: it cannot be reopened."))
    survey.status = NeedsSurveyStatus.open
    db.session.flush()


def surveys() -> list[tuple[NeedsSurvey, int]]:
    """Every survey, newest first, with its number of answers: one query."""
    answers = (
        sa.select(sa.func.count(NeedsAnswer.id))
        .where(NeedsAnswer.survey_id == NeedsSurvey.id)
        .scalar_subquery()
    )
    query = sa.select(NeedsSurvey, answers).order_by(NeedsSurvey.year.desc())
    return [(s, n) for s, n in db.session.execute(query)]


# --- answering ---------------------------------------------------------------------------------


def open_now(today: dt.date) -> NeedsSurvey | None:
    """The survey taking answers today, if any (the newest)."""
    return db.session.scalar(
        sa.select(NeedsSurvey)
        .where(NeedsSurvey.status == NeedsSurveyStatus.open, NeedsSurvey.closes_on >= today)
        .order_by(NeedsSurvey.year.desc())
        .limit(1)
    )


def answer_of(survey: NeedsSurvey, user: User) -> NeedsAnswer | None:
    return db.session.scalar(
        sa.select(NeedsAnswer).where(
            NeedsAnswer.survey_id == survey.id, NeedsAnswer.user_id == user.id
        )
    )


def waiting_for(user: User, today: dt.date) -> NeedsSurvey | None:
    """The open survey the user has not answered yet (for the notice on their pages)."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(
        sa.select(NeedsSurvey)
        .where(
            NeedsSurvey.status == NeedsSurveyStatus.open,
            NeedsSurvey.closes_on >= today,
            ~sa.exists().where(
                NeedsAnswer.survey_id == NeedsSurvey.id, NeedsAnswer.user_id == user.id
            ),
        )
        .order_by(NeedsSurvey.year.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Choices:
    areas: list[str]
    career_goal: str
    format: str
    time_of_day: str
    comments: str = ""


def _check(choices: Choices) -> None:
    areas = set(choices.areas)
    if not areas or len(areas) > MAX_AREAS:
        raise RuleViolation(_("Choose one to %(n)d skill areas.", n=MAX_AREAS), "areas")
    if not areas <= set(SkillArea):
        raise RuleViolation(_("Choose skill areas from the list."), "areas")
    if choices.career_goal not in set(CareerGoal):
        raise RuleViolation(_("Choose a career goal."), "career_goal")
    if choices.format not in set(InterestFormat):
        raise RuleViolation(_("Choose how you would join."), "format")
    if choices.time_of_day not in set(TimeOfDay):
        raise RuleViolation(_("Choose a time of day."), "time_of_day")
    if len(choices.comments) > MAX_COMMENTS:
        raise RuleViolation(
            _("Keep your comments under %(n)d characters.", n=MAX_COMMENTS), "comments"
        )


def answer(survey: NeedsSurvey, user: User, choices: Choices, today: dt.date) -> NeedsAnswer:
    """The user's one answer to the survey. Each chosen skill area becomes their waiting
    interest in it, with the answer's format and time of day (an interest they had keeps its
    row, its place in the queue and its branch, and takes the new preferences)."""
    if not takes_answers(survey, today):
        raise RuleViolation(_("This survey is closed: answers are no longer taken."))
    _check(choices)
    if answer_of(survey, user) is not None:
        raise RuleViolation(_("You have answered this survey already: thank you."), conflict=True)
    found = NeedsAnswer(
        survey_id=survey.id,
        user_id=user.id,
        career_goal=CareerGoal(choices.career_goal),
        format=InterestFormat(choices.format),
        time_of_day=TimeOfDay(choices.time_of_day),
        comments=choices.comments.strip(),
        areas=[NeedsAnswerArea(skill_area=SkillArea(a)) for a in sorted(set(choices.areas))],
    )
    with unique_or_violation(_("You have answered this survey already: thank you.")):
        db.session.add(found)
    for area in found.areas:
        target = services.Target(skill_area=area.skill_area)
        had = services.interest_in(user, target)
        wants = services.Preferences(
            choices.format, choices.time_of_day, had.branch_id if had else None
        )
        services.mark_interest(user, target, wants)
    return found


# --- this year against last year ---------------------------------------------------------------


@dataclass
class Change:
    """One figure this year and last year (None: no survey that year)."""

    code: str
    this: int = 0
    last: int | None = None

    @property
    def change(self) -> int | None:
        return None if self.last is None else self.this - self.last


@dataclass
class Comparison:
    year: int
    survey: NeedsSurvey | None = None
    last_survey: NeedsSurvey | None = None
    answers: Change = field(default_factory=lambda: Change("answers"))
    areas: list[Change] = field(default_factory=list)
    goals: list[Change] = field(default_factory=list)
    formats: list[Change] = field(default_factory=list)
    comments: list[tuple[User, str]] | None = None  # None: the reader may not see them


def _tallies(surveys: dict[int, NeedsSurvey]) -> dict[str, dict[int, Counter]]:
    """Answers by survey year: in all (``None``), by career goal, by format and by skill area.
    Two grouped queries (each answer has an area once: the table's unique key)."""
    year_of = {s.id: year for year, s in surveys.items()}
    found: dict[str, dict[int, Counter]] = {
        name: {year: Counter() for year in surveys}
        for name in ("answers", "goals", "formats", "areas")
    }
    count = sa.func.count()
    answers = (
        sa.select(NeedsAnswer.survey_id, NeedsAnswer.career_goal, NeedsAnswer.format, count)
        .where(NeedsAnswer.survey_id.in_(year_of))
        .group_by(NeedsAnswer.survey_id, NeedsAnswer.career_goal, NeedsAnswer.format)
    )
    for survey_id, goal, fmt, n in db.session.execute(answers):
        year = year_of[survey_id]
        found["answers"][year][None] += n
        found["goals"][year][goal] += n
        found["formats"][year][fmt] += n
    areas = (
        sa.select(NeedsAnswer.survey_id, NeedsAnswerArea.skill_area, count)
        .join(NeedsAnswerArea, NeedsAnswerArea.answer_id == NeedsAnswer.id)
        .where(NeedsAnswer.survey_id.in_(year_of))
        .group_by(NeedsAnswer.survey_id, NeedsAnswerArea.skill_area)
    )
    for survey_id, area, n in db.session.execute(areas):
        found["areas"][year_of[survey_id]][area] += n
    return found


def _changes(codes, tallies: dict[int, Counter], year: int) -> list[Change]:
    this, last = tallies.get(year, Counter()), tallies.get(year - 1)
    rows = [Change(str(c), this[c], None if last is None else last[c]) for c in codes]
    return sorted(
        (r for r in rows if r.this or r.last), key=lambda r: (-r.this, -(r.last or 0), r.code)
    )


def comparison(year: int, readers: sa.ColumnElement[bool] | None) -> Comparison:
    """``year``'s answers against the year before: in all, by skill area, career goal and
    format (four queries at most, however many answers). ``readers``: whose comments the
    viewer may read (``app.auth.permissions.needs_comments_of``), None for none."""
    found = Comparison(year)
    by_year = {
        s.year: s
        for s in db.session.scalars(
            sa.select(NeedsSurvey).where(NeedsSurvey.year.in_([year, year - 1]))
        )
    }
    found.survey, found.last_survey = by_year.get(year), by_year.get(year - 1)
    if not by_year:
        return found
    tallies = _tallies(by_year)
    totals = tallies["answers"]
    found.answers = Change("answers", totals.get(year, Counter())[None])
    if year - 1 in totals:
        found.answers.last = totals[year - 1][None]
    found.areas = _changes(SkillArea, tallies["areas"], year)
    found.goals = _changes(CareerGoal, tallies["goals"], year)
    found.formats = _changes(InterestFormat, tallies["formats"], year)
    if readers is not None and found.survey is not None:
        found.comments = [
            (user, text)
            for user, text in db.session.execute(
                sa.select(User, NeedsAnswer.comments)
                .join(User, User.id == NeedsAnswer.user_id)
                .where(
                    NeedsAnswer.survey_id == found.survey.id, NeedsAnswer.comments != "", readers
                )
                .order_by(NeedsAnswer.created_at, NeedsAnswer.id)
            )
        ]
    return found
