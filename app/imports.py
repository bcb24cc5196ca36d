"""What every CSV import shares (the catalogue's courses, the staff accounts).

An import goes in three steps: upload, preview, save. The upload is checked as a whole:
every problem of every row is collected as a :class:`Problem` (line, column, value, what is
wrong, what is allowed) and nothing is saved. A file without problems comes back with its
preview as a signed, time-limited token (:func:`sign_upload`): nothing is kept on the server,
and a token made for someone else, changed, or older than an hour is refused. Saving checks
the file again from scratch and refuses the whole file if anything is wrong now.

Each area writes its own ``plan`` (what one row means) and ``apply``; the pages share the
problems table (``templates/imports.html``) and the forms below.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import HiddenField
from wtforms.validators import DataRequired

from app.csvio import read_csv
from app.forms import BaseForm
from app.i18n import lazy_gettext as _l
from app.rules import RuleViolation

MAX_BYTES = 1024 * 1024  # a larger file is refused with a clear message
MAX_ROWS = 2000  # rows below the first
UPLOAD_MAX_AGE = 3600  # seconds between the preview and saving
PREVIEW_LIMIT = 500  # rows and problems shown; the counts are always complete


@dataclass(frozen=True)
class Problem:
    line: int | None  # None: the file as a whole
    column: str  # "" for the whole row or file
    value: str
    message: str
    allowed: str = ""  # what the column may hold, in words


@dataclass
class Plan:
    """What a file would do: its good rows (each import says what a row is) and every
    problem. A plan with any problem saves nothing."""

    rows: list = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def sort_problems(self) -> None:
        """By line, the whole file first; a line's own order (its columns) stays."""
        self.problems.sort(key=lambda p: -1 if p.line is None else p.line)


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]
    whole: bool  # False: it has cells past the last column (a problem already listed)


def read_rows(
    data: bytes,
    header: tuple[str, ...],
    problems: list[Problem],
    *,
    empty: str,
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
) -> list[Row]:
    """The rows of the file. A file that cannot be read, is too large, or has no rows adds
    one problem for the whole file (``empty`` says the last) and gives no rows; a row with
    too many cells adds its problem and comes back not ``whole``."""
    if len(data) > max_bytes:
        size = f"{max_bytes / (1024 * 1024):g} MB"
        problems.append(
            file_problem(
                _("The file is larger than %(size)s: split it into smaller files.", size=size)
            )
        )
        return []
    rows: list[Row] = []
    found: list[Problem] = []
    try:
        for line, cells, extra in read_csv(data, header):
            if len(rows) == max_rows:
                problems.append(
                    file_problem(
                        _(
                            "The file has more than %(n)d rows: split it into smaller files.",
                            n=max_rows,
                        )
                    )
                )
                return []
            if extra:
                found.append(
                    Problem(
                        line,
                        "",
                        ",".join(extra)[:80],
                        _("This row has %(n)d cells too many.", n=len(extra)),
                        _(
                            "One cell for each of the %(n)d columns of the first row.",
                            n=len(header),
                        ),
                    )
                )
            rows.append(Row(line, cells, not extra))
    except ValueError as error:  # not our CSV at all: the file as a whole
        problems.append(file_problem(str(error)))
        return []
    problems.extend(found)
    if not rows:
        problems.append(file_problem(empty))
    return rows


def file_problem(message: str) -> Problem:
    return Problem(None, "", "", message)


def cell_problems(
    line: int,
    cells: Mapping[str, str],
    errors: Mapping[str, Iterable[str]],
    header: tuple[str, ...],
    allowed: Callable[[str], str],
) -> list[Problem]:
    """One problem per message in ``errors`` (column -> messages, e.g. a form's), in the
    order of the columns."""
    order = {name: n for n, name in enumerate(header)}
    found = [
        Problem(line, name, cells.get(name, "")[:200], str(message), allowed(name))
        for name, messages in errors.items()
        for message in messages
    ]
    return sorted(found, key=lambda p: order.get(p.column, len(order)))


def refuse_problems(plan: Plan) -> None:
    """Saving refuses a plan that has any problem: nothing is saved then."""
    if plan.problems:
        raise RuleViolation(
            _(
                "Nothing was saved: the file has %(n)d problems. The first: %(first)s",
                n=len(plan.problems),
                first=describe(plan.problems[0]),
            ),
            "file",
        )


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


# --- the pages: upload, preview, save ---------------------------------------------------------


class UploadForm(BaseForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv"], _l("Choose a .csv file.")),
        ],
    )


class SaveUploadForm(BaseForm):
    """The preview's "save" button: the checked file, signed (:func:`sign_upload`)."""

    upload = HiddenField(validators=[DataRequired()])


def check_upload(
    data: bytes, plan_of: Callable[[bytes], Plan], salt: str
) -> tuple[Plan, str | None]:
    """The plan of an uploaded file, and the signed file for the save button when there is
    nothing wrong with it (a file too large to send back is a problem)."""
    plan = plan_of(data)
    if plan.problems:
        return plan, None
    token = sign_upload(data, current_user.id, salt)
    if token is None:
        plan.problems.append(file_problem(_("The file is too large to check at once: split it.")))
    return plan, token


def confirmed_upload(form: SaveUploadForm, salt: str) -> bytes | None:
    """The file the preview showed, or None when the save button's token is not valid."""
    if not form.validate_on_submit():
        return None
    return unsign_upload(form.upload.data or "", current_user.id, salt)


def save_form_for(token: str | None) -> SaveUploadForm | None:
    if token is None:
        return None
    form = SaveUploadForm(formdata=None)
    form.upload.data = token
    return form


# --- the file between the preview and saving ------------------------------------------------


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign_upload(data: bytes, user_id: int, salt: str) -> str | None:
    """The file, compressed and signed for this user; None when it is too large to send
    back in a form (MAX_FORM_MEMORY_SIZE, with room for the rest of the form)."""
    packed = base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")
    token = _serializer(salt).dumps([user_id, packed])
    limit = current_app.config.get("MAX_FORM_MEMORY_SIZE") or 512 * 1024
    return token if len(token) <= limit - 4096 else None


def unsign_upload(token: str, user_id: int, salt: str) -> bytes | None:
    """The file back from :func:`sign_upload`, or None when the token is not one we made for
    this user in the last hour (changed, expired, someone else's, garbled)."""
    try:
        owner, packed = _serializer(salt).loads(token, max_age=UPLOAD_MAX_AGE)
        if owner != user_id:
            return None
        return zlib.decompress(base64.urlsafe_b64decode(packed.encode("ascii")))
    except (BadSignature, ValueError, TypeError, zlib.error):
        return None
