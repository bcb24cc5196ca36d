"""The course catalogue: search, add and edit, retire, CSV import and export."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from app.catalog import imports
from app.extensions import db
from app.models import Course
from app.querying import contains
from app.rules import unique_or_violation
from app.text import hours_text
from app.timeutil import utcnow

CSV_HEADER = imports.CSV_HEADER
EDITABLE = tuple(CSV_HEADER)
SORTS = {
    "title": (Course.title,),
    "provider": (Course.provider, Course.title),
    "hours": (Course.hours.asc().nulls_last(), Course.title),
    "newest": (Course.created_at.desc(), Course.id.desc()),
}


def search_courses(
    *,
    q: str | None = None,
    include_retired: bool = False,
    sort: str = "title",
    **filters: str | bool | None,
) -> sa.Select[tuple[Course]]:
    query = sa.select(Course)
    if not include_retired:
        query = query.where(Course.retired_at.is_(None))
    if q:
        query = query.where(contains(q, Course.search_text))
    for name in ("skill_area", "provider", "language", "format", "career_stage"):
        if filters.get(name):
            query = query.where(getattr(Course, name) == filters[name])
    if filters.get("credential"):
        query = query.where(Course.credential != "")
    return query.order_by(*SORTS.get(sort, SORTS["title"]), Course.id)


def providers() -> list[str]:
    return list(db.session.scalars(sa.select(Course.provider).distinct().order_by(Course.provider)))


def save_course(course: Course | None, values: dict) -> Course:
    course = course or Course()
    with unique_or_violation(_("Another course already has that link."), "url"):
        for name in EDITABLE:
            setattr(course, name, values[name])
        db.session.add(course)
    return course


def set_retired(course: Course, retired: bool) -> None:
    course.retired_at = utcnow() if retired else None
    db.session.flush()


def import_courses(data: bytes, form_class) -> tuple[int, int]:
    """Add or update (by link) every row of a catalogue CSV, or nothing at all when any row
    has a problem: returns (added, updated). The web page previews first (app.catalog.imports)."""
    return imports.apply_import(imports.plan_import(data, form_class))


def export_rows(courses: Iterable[Course]) -> Iterable[list]:
    for c in courses:
        yield [
            c.title,
            c.provider,
            c.url,
            c.description,
            c.language,
            c.format,
            hours_text(c.hours),
            "true" if c.is_free else "false",
            c.credential,
            c.skill_area,
            c.career_stage,
        ]
