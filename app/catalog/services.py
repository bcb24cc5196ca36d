"""The course catalogue: search, add and edit, retire, CSV import and export."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from app.csvio import read_csv
from app.extensions import db
from app.models import Course
from app.querying import contains
from app.rules import RuleViolation, unique_or_violation
from app.timeutil import utcnow

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
    """Add or update (by link) every row, or nothing at all: returns (added, updated).
    Each row is checked by the same form as the web page, so the rules are the same."""
    errors: list[str] = []
    rows: list[dict] = []
    seen: set[str] = set()
    try:
        for line, row in read_csv(data, CSV_HEADER):
            form = form_class(formdata=MultiDict(_form_values(row)), meta={"csrf": False})
            if row["is_free"].lower() not in _YES | _NO:
                errors.append(_("Line %(line)d, is_free: write true or false.", line=line))
            elif not form.validate():
                for name, messages in form.errors.items():
                    errors.append(
                        _(
                            "Line %(line)d, %(field)s: %(error)s",
                            line=line,
                            field=name,
                            error=messages[0],
                        )
                    )
            elif form.url.data in seen:
                errors.append(_("Line %(line)d: this link is already in the file.", line=line))
            else:
                seen.add(form.url.data)
                rows.append({name: getattr(form, name).data for name in EDITABLE})
    except ValueError as error:
        raise RuleViolation(str(error), "file") from None
    if errors:
        raise RuleViolation(" ".join(errors[:20]) + (" …" if len(errors) > 20 else ""), "file")
    if not rows:
        raise RuleViolation(_("The file has no courses."), "file")
    existing = {
        c.url: c for c in db.session.scalars(sa.select(Course).where(Course.url.in_(list(seen))))
    }
    for values in rows:
        course = existing.get(values["url"]) or Course()
        for name in EDITABLE:
            setattr(course, name, values[name])
        db.session.add(course)
    db.session.flush()
    return len(rows) - len(existing), len(existing)


_YES = frozenset({"true", "yes", "y", "1"})
_NO = frozenset({"false", "no", "n", "0", ""})


def _form_values(row: dict[str, str]) -> dict[str, str]:
    values = dict(row)
    # A checkbox is "on" by being present: map the CSV's words onto that.
    if values.pop("is_free", "").lower() in _YES:
        values["is_free"] = "y"
    return values


def export_rows(courses: Iterable[Course]) -> Iterable[list]:
    for c in courses:
        yield [
            c.title,
            c.provider,
            c.url,
            c.description,
            c.language,
            c.format,
            c.hours or "",
            "true" if c.is_free else "false",
            c.credential,
            c.skill_area,
            c.career_stage,
        ]
