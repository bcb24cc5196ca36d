"""Cursor pages and cached answers for the read API.

A page is a keyset on id: the cursor is an opaque token for "after id N", so a walk sees every
row exactly once however rows before it change. ``next`` is built from ``BASE_URL``
(app.links.external_url), never from the request's Host header. Every answer carries an ETag
and is answered 304 Not Modified when the client's If-None-Match still matches.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

import sqlalchemy as sa
from flask import Response, current_app, request
from pydantic import BaseModel
from sqlalchemy.orm.interfaces import ORMOption

from app.edges import INT_MAX, refuse
from app.extensions import db
from app.links import external_url

T = TypeVar("T")

BAD_CURSOR = "The cursor is not one this API gave: start again without it."


def encode_cursor(after_id: int) -> str:
    raw = json.dumps({"after": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id a page starts after (0: from the start); 400 for a cursor we did not give."""
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        refuse(BAD_CURSOR)
    if type(after) is not int or not 0 < after <= INT_MAX:
        refuse(BAD_CURSOR)
    return after


def page_of(
    select: sa.Select[tuple[T]], entity, query, load: Sequence[ORMOption] = ()
) -> tuple[list[T], str | None]:
    """The rows of ``select`` after the query's cursor, ``query.limit`` of them in id order,
    loaded with ``load``; and the link to the next page (None on the last)."""
    after = decode_cursor(query.cursor)
    rows = list(
        db.session.scalars(
            select.where(entity.id > after)
            .order_by(None)
            .order_by(entity.id)
            .limit(query.limit + 1)
            .options(*load)
        ).unique()
    )
    if len(rows) <= query.limit:
        return rows, None
    rows = rows[: query.limit]
    args = request.args.to_dict()
    args.update(cursor=encode_cursor(rows[-1].id), limit=query.limit)
    return rows, external_url(request.endpoint, **(request.view_args or {}), **args)


def conditional(response: Response) -> Response:
    """``response`` with an ETag; 304 when the client already has it. Public data, so caches
    may keep it but must ask again each time (no-cache, not the site's no-store)."""
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


def answer(model: BaseModel) -> Response:
    """``model`` as JSON, through :func:`conditional`."""
    return conditional(
        current_app.response_class(model.model_dump_json(), mimetype="application/json")
    )


def paged(page_model: type[BaseModel], rows_and_next, dump: Callable) -> Response:
    rows, next_url = rows_and_next
    return answer(page_model(items=[dump(row) for row in rows], next=next_url))
