"""Catalogue CSV import, in two steps: :func:`plan_import` checks a whole file and says what
it would do (every problem of every row, and each course it would add or update);
:func:`apply_import` does it, all or nothing. Each row is checked by the course form of the
web page, so the rules are the same.

Between the two steps the file travels back with the preview as a signed, time-limited token
(:func:`sign_upload`): nothing is kept on the server, and a token made for one person, or
changed, or older than an hour, is refused. Saving checks the file again from scratch.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from app.csvio import read_csv
from app.extensions import db
from app.labels import CAREER_STAGES, COURSE_FORMATS, COURSE_LANGUAGES, SKILL_AREAS
from app.models import Course
from app.rules import RuleViolation

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
UPLOAD_MAX_AGE = 3600  # seconds between the preview and saving
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
    if column == "":  # the row as a whole
        return _("One cell for each of the %(n)d columns of the first row.", n=len(CSV_HEADER))
    return _("The first row must be: %(header)s", header=",".join(CSV_HEADER))


@dataclass(frozen=True)
class Problem:
    line: int | None  # None: the file as a whole
    column: str  # "" for the whole row or file
    value: str
    message: str

    @property
    def allowed(self) -> str:
        return allowed(self.column) if self.line is not None else ""


@dataclass(frozen=True)
class PlannedRow:
    line: int
    values: dict
    course_id: int | None  # the course it updates, None when it adds one
    changes: tuple[str, ...] = ()  # for an update: the columns whose value changes


@dataclass
class ImportPlan:
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

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
    try:
        for line, row, extra in read_csv(data, CSV_HEADER):
            if extra:
                plan.problems.append(
                    Problem(
                        line,
                        "",
                        ",".join(extra)[:80],
                        _("This row has %(n)d cells too many.", n=len(extra)),
                    )
                )
            values = _check_row(line, row, form_class, plan.problems)
            if values is None:
                continue
            if values["url"] in seen:
                plan.problems.append(
                    Problem(
                        line,
                        "url",
                        values["url"],
                        _("This link is already on line %(line)d.", line=seen[values["url"]]),
                    )
                )
                continue
            seen[values["url"]] = line
            if not extra:
                valid.append((line, values))
    except ValueError as error:  # not our CSV at all: the file as a whole
        plan.problems.append(Problem(None, "", "", str(error)))
        return plan
    if not seen and not plan.problems:
        plan.problems.append(Problem(None, "", "", _("The file has no courses.")))
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
    found: list[Problem] = []
    free = row["is_free"].lower()
    if free not in _YES | _NO:
        found.append(Problem(line, "is_free", row["is_free"], _("Write true or false.")))
    formdata = MultiDict({k: v for k, v in row.items() if k != "is_free"})
    if free in _YES:
        formdata["is_free"] = "y"  # a checkbox is "on" by being present
    form = form_class(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        for name, messages in form.errors.items():
            found.extend(Problem(line, name, row.get(name, "")[:200], str(m)) for m in messages)
    if found:
        order = {name: n for n, name in enumerate(CSV_HEADER)}
        problems.extend(sorted(found, key=lambda p: order.get(p.column, len(order))))
        return None
    return {name: getattr(form, name).data for name in CSV_HEADER}


def apply_import(plan: ImportPlan) -> tuple[int, int]:
    """Add or update every planned row; returns (added, updated). Refuses a plan that has
    any problem: nothing is saved then."""
    if plan.problems:
        raise RuleViolation(
            _(
                "Nothing was saved: the file has %(n)d problems. The first: %(first)s",
                n=len(plan.problems),
                first=describe(plan.problems[0]),
            ),
            "file",
        )
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


def describe(problem: Problem) -> str:
    if problem.line is None:
        return problem.message
    if problem.column:
        return _(
            "Line %(line)d, %(column)s: %(message)s",
            line=problem.line,
            column=problem.column,
            message=problem.message,
        )
    return _("Line %(line)d: %(message)s", line=problem.line, message=problem.message)


# --- the file between the preview and saving ------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="catalog-import")


def sign_upload(data: bytes, user_id: int) -> str | None:
    """The file, compressed and signed for this user; None when it is too large to send
    back in a form (MAX_FORM_MEMORY_SIZE, with room for the rest of the form)."""
    packed = base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")
    token = _serializer().dumps([user_id, packed])
    limit = current_app.config.get("MAX_FORM_MEMORY_SIZE") or 512 * 1024
    return token if len(token) <= limit - 4096 else None


def unsign_upload(token: str, user_id: int) -> bytes | None:
    """The file back from :func:`sign_upload`, or None when the token is not one we made for
    this user in the last hour (changed, expired, someone else's, garbled)."""
    try:
        owner, packed = _serializer().loads(token, max_age=UPLOAD_MAX_AGE)
        if owner != user_id:
            return None
        return zlib.decompress(base64.urlsafe_b64decode(packed.encode("ascii")))
    except (BadSignature, ValueError, TypeError, zlib.error):
        return None
