"""Values at the edges of their types are refused where they enter, never deep inside a view
or the database (where they were 500s: an id or an OFFSET past PostgreSQL's integers, a date
that overflows when a day is added, a NUL byte that PostgreSQL refuses in text).

- ``<int:...>`` in a URL holds 0 .. 2**31-1, PostgreSQL's ``integer``: longer ones are not
  routed (404), on every route at once.
- A path or query string with a control character is refused (400), before anything else.
- ``?page=`` goes through :func:`page_arg`; dates in query strings through :func:`date_arg`;
  both refuse values out of range (400, with a message). Times (``HH:MM``) go through
  :func:`time_arg`.
- Form fields: :class:`app.forms.BaseForm` refuses control characters and dates outside
  :data:`MIN_DATE` .. :data:`MAX_DATE` beside the field.
- Request bodies: a chunked body over ``MAX_CONTENT_LENGTH`` is refused (413) instead of being
  cut short, and urlencoded forms obey ``MAX_FORM_PARTS`` and ``MAX_FORM_MEMORY_SIZE`` as
  multipart ones do (werkzeug applies neither to them).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NoReturn
from urllib.parse import parse_qsl

import flask
from flask import Flask, request
from werkzeug import formparser
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from app.i18n import lazy_gettext as _l

INT_MAX = 2**31 - 1  # PostgreSQL's integer, the type of every id
MAX_PAGE = 100_000
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)

# C0 controls, DEL and C1 controls. Multi-line text may keep tab, line feed and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_CHARACTERS_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

DATE_MESSAGE = _l(
    "Enter a date between %(min)s and %(max)s.", min=MIN_DATE.isoformat(), max=MAX_DATE.isoformat()
)


class Int32Converter(IntegerConverter):
    """The default ``int`` converter, bounded to what an id column holds."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, INT_MAX if max is None else max, signed)


def refuse(message: str) -> NoReturn:
    """A 400 whose page shows ``message`` (see app.errors)."""
    error = BadRequest(str(message))
    error.user_message = True  # type: ignore[attr-defined]
    raise error


def to_id(value) -> int | None:
    """An id from a query string or form, or None: not a number, or past INT_MAX."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= INT_MAX else None


def page_arg(name: str = "page") -> int:
    """The page number asked for: 1 when missing or not a number, 400 when past MAX_PAGE."""
    try:
        page = int(request.args.get(name, ""))
    except ValueError:
        return 1
    if page > MAX_PAGE:
        refuse(_l("There is no page that far."))
    return max(page, 1)


def date_in_range(day: dt.date | dt.datetime) -> bool:
    day = day.date() if isinstance(day, dt.datetime) else day
    return MIN_DATE <= day <= MAX_DATE


def date_arg(name: str = "date") -> dt.date | None:
    """A date from the query string: None when missing or not a date, 400 when out of range."""
    try:
        day = dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    if not date_in_range(day):
        refuse(DATE_MESSAGE)
    return day


def time_arg(name: str) -> dt.time | None:
    """A time of day (``HH:MM``) from the query string: None when missing or not a time."""
    value = request.args.get(name, "")
    try:
        return dt.time.fromisoformat(value) if len(value) == 5 else None
    except ValueError:
        return None


def _refuse_control_characters() -> None:
    values = [request.path, *request.args.keys(), *request.args.values()]
    if any(CONTROL_CHARACTERS.search(value) for value in values):
        refuse(_l("The address contains a control character."))


class _AtMost(LimitedStream):
    """A body of unknown length (chunked) that may be at most ``limit`` bytes. werkzeug's own
    limit stops reading at the limit and returns what it has, so an oversized form arrived cut
    short (a 400 for its missing CSRF token); one byte more than the limit is a 413 here."""

    def __init__(self, stream, limit: int):
        super().__init__(stream, limit + 1, is_max=True)

    def readinto(self, b) -> int | None:  # type: ignore[override]
        size = super().readinto(b)
        if self._pos >= self.limit:
            raise RequestEntityTooLarge()
        return size


class FormDataParser(formparser.FormDataParser):
    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()
        data = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise RequestEntityTooLarge()
        text = data.decode()  # not UTF-8: a ValueError, an empty form as before
        try:
            items = parse_qsl(
                text,
                keep_blank_values=True,
                errors="werkzeug.url_quote",
                max_num_fields=self.max_form_parts,
            )
        except ValueError:  # more fields than MAX_FORM_PARTS
            raise RequestEntityTooLarge() from None
        return stream, self.cls(items), self.cls()


class Request(flask.Request):
    form_data_parser_class = FormDataParser

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if (
            self.content_length is None
            and limit is not None
            and "wsgi.input_terminated" in self.environ
        ):
            return _AtMost(self.environ["wsgi.input"], limit)
        return super().stream


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered: their routes take the converter then."""
    app.url_map.converters["int"] = Int32Converter
    app.request_class = Request
    # First of all the checks (before sign-in redirects and CSRF), so nothing sees the value.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_control_characters)
