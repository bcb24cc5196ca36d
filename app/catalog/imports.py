"""Catalogue CSV import, in two steps: :func:`plan_import` checks a whole file and says what
it would do (every problem of every row, and each course it would add or update);
:func:`apply_import` does it, all or nothing. Each row is checked by the course form of the
web page, so the rules are the same. What every import shares (reading the file, the
problems, the signed file between preview and saving) is in :mod:`app.imports`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.imports import Plan, Problem, cell_problems, read_rows, refuse_problems
from app.labels import CAREER_STAGES, COURSE_FORMATS, COURSE_LANGUAGES, SKILL_AREAS
from app.models import Course

SALT = "catalog-import"
CSV_HEADER = (
    "title",
    "provider",
    "url",
    "description",
    "language",
    "format",
    "hours",
    "is_free",
    "credential",
    "skill_area",
    "career_stage",
)
EXAMPLE_ROW = (
    "Weeding the Collection",
    "WebJunction",
    "https://www.webjunction.org/weeding-the-collection",
    "Plans, criteria and what to do with gifts.",
    "en",
    "self_paced",
    "1.5",
    "true",
    "",
    "collection_management",
    "all",
)
_YES = frozenset({"true", "yes", "y", "1"})
_NO = frozenset({"false", "no", "n", "0", ""})


def allowed(column: str) -> str:
    """What a column may hold, in words, for the problems table."""
    if column == "title":
        return _("Required, at most %(n)d characters.", n=200)
    if column == "provider":
        return _("Required, at most %(n)d characters.", n=80)
    if column == "url":
        return _("Required: a web address starting with https:// or http://, unique in the file.")
    if column == "description":
        return _("At most %(n)d characters; may be empty.", n=4000)
    if column == "credential":
        return _("At most %(n)d characters; may be empty.", n=200)
    if column == "hours":
        return _("Empty, or between 0.25 and 500, like 2 or 1.5.")
    if column == "is_free":
        return _("true or false (yes/no, y/n and 1/0 work too).")
    codes = {
        "language": COURSE_LANGUAGES,
        "format": COURSE_FORMATS,
        "skill_area": SKILL_AREAS,
        "career_stage": CAREER_STAGES,
    }.get(column)
    if codes is not None:
        return _("One of: %(codes)s.", codes=", ".join(str(code) for code in codes))
    return ""


@dataclass(frozen=True)
class PlannedRow:
    line: int
    values: dict
    course_id: int | None  # the course it updates, None when it adds one
    changes: tuple[str, ...] = ()  # for an update: the columns whose value changes


@dataclass
class ImportPlan(Plan):
    rows: list[PlannedRow] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(1 for row in self.rows if row.course_id is None)

    @property
    def updated(self) -> int:
        return len(self.rows) - self.added


def plan_import(data: bytes, form_class) -> ImportPlan:
    """Check every row of the file and look up which courses it would update. Never raises
    for what is in the file: every problem is in ``plan.problems``."""
    plan = ImportPlan()
    valid: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    rows = read_rows(data, CSV_HEADER, plan.problems, empty=_("The file has no courses."))
    for row in rows:
        line = row.line
        values = _check_row(line, row.cells, form_class, plan.problems)
        if values is None:
            continue
        if values["url"] in seen:
            plan.problems.append(
                Problem(
                    line,
                    "url",
                    values["url"],
                    _("This link is already on line %(line)d.", line=seen[values["url"]]),
                    allowed("url"),
                )
            )
            continue
        seen[values["url"]] = line
        if row.whole:
            valid.append((line, values))
    plan.sort_problems()
    existing = {
        c.url: c for c in db.session.scalars(sa.select(Course).where(Course.url.in_(list(seen))))
    }
    for line, values in valid:
        course = existing.get(values["url"])
        changes = (
            tuple(name for name in CSV_HEADER if getattr(course, name) != values[name])
            if course is not None
            else ()
        )
        plan.rows.append(PlannedRow(line, values, course.id if course else None, changes))
    return plan


def _check_row(line: int, row: dict[str, str], form_class, problems: list[Problem]) -> dict | None:
    """The row's values as the form reads them, or None after adding each of its problems."""
    errors: dict[str, list[str]] = {}
    free = row["is_free"].lower()
    if free not in _YES | _NO:
        errors["is_free"] = [_("Write true or false.")]
    formdata = MultiDict({k: v for k, v in row.items() if k != "is_free"})
    if free in _YES:
        formdata["is_free"] = "y"  # a checkbox is "on" by being present
    form = form_class(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        errors |= form.errors
    if errors:
        problems.extend(cell_problems(line, row, errors, CSV_HEADER, allowed))
        return None
    return {name: getattr(form, name).data for name in CSV_HEADER}


def apply_import(plan: ImportPlan) -> tuple[int, int]:
    """Add or update every planned row; returns (added, updated). Refuses a plan that has
    any problem: nothing is saved then."""
    refuse_problems(plan)
    existing = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Course).where(Course.id.in_([r.course_id for r in plan.rows if r.course_id]))
        )
    }
    for row in plan.rows:
        course = existing.get(row.course_id) if row.course_id else Course()
        if course is None:  # deleted since the plan was made: add it again
            course = Course()
        for name in CSV_HEADER:
            setattr(course, name, row.values[name])
        db.session.add(course)
    db.session.flush()
    return plan.added, plan.updated
