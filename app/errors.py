"""Error pages: HTML for people, JSON error bodies under /api/, never a stack trace."""

from __future__ import annotations

import math
import sqlite3
import time

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import format_decimal, lazy_ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError
from werkzeug.http import HTTP_STATUS_CODES

from app.extensions import db, limiter
from app.i18n import lazy_gettext as _l

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("You do not have permission to do that.")),
    404: (_l("Page not found"), _l("There is nothing here, or you may not see it.")),
    405: (_l("Not allowed"), _l("That action is not available here.")),
    409: (_l("Conflict"), _l("That clashes with something that already exists.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many attempts"), _l("Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("We have been told and will look into it.")),
    503: (_l("The system is busy"), _l("The system is busy. Please try again in a moment.")),
}

# Seconds a client is asked to wait when the database is busy (see _database_busy).
BUSY_RETRY_AFTER = 5


def _database_busy(error: OperationalError) -> bool:
    """SQLite gave up waiting for another connection's lock (``busy_timeout``): a moment
    of contention, not a bug. Every other OperationalError stays a 500."""
    orig = error.orig
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return str(orig).startswith(("database is locked", "database table is locked"))


def render_error(code: int, detail: str | None = None):
    """The error page (or JSON error under /api/) for ``code``, with our own ``detail``."""
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    request_id = g.get("request_id", "")
    if request.path.startswith("/api/"):
        # {"error": {"code": "not_found", "message": ...}}: the shape the API documents.
        name = HTTP_STATUS_CODES.get(code, "error").lower().replace(" ", "_").replace("'", "")
        response = jsonify({"error": {"code": name, "message": detail or str(message)}})
        response.status_code = code
        return response
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title,
            message=detail or message,
            request_id=request_id,
        ),
        code,
    )


def _too_large() -> str:
    limit = format_decimal(current_app.config["MAX_CONTENT_LENGTH"] / 1024 / 1024, "#,##0.#")
    return str(
        _l(
            "What you sent is too large: at most %(size)s MB can be sent at once. "
            "A large CSV file can be split into smaller ones.",
            size=limit,
        )
    )


def _is_duplicate(error: IntegrityError) -> bool:
    """A unique or exclusion constraint (PostgreSQL 23505/23P01, SQLite "UNIQUE ...")."""
    state = getattr(error.orig, "sqlstate", None)
    return state in ("23505", "23P01") or "UNIQUE constraint failed" in str(error.orig)


def init_app(app: Flask) -> None:
    @app.errorhandler(SecurityError)
    def _unknown_host(error: SecurityError):
        # Raised before routing, so no page can be built (its links would need the host).
        return Response("Bad request: unknown host.\n", 400, mimetype="text/plain")

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return render_error(
            400, str(_l("Your form expired. Please reload the page and try again."))
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if isinstance(error, InternalServerError):
            return _internal_error(error)
        # Only our own messages are shown; a default werkzeug description is not.
        detail = error.description if getattr(error, "user_message", False) else None
        if error.code == 413:  # say what fits: a CSV import is the usual way to get here
            detail = _too_large()
        return render_error(error.code, detail)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded):
        # Say truthfully how long to wait: the window that was hit, not "a minute". From the
        # window's own reset time: Flask-Limiter's reset_at adds a second ("61 seconds").
        current = limiter.current_limit
        wait = max(1, math.ceil(current.window[0] - time.time())) if current else 60
        minutes = math.ceil(wait / 60)
        detail = (
            lazy_ngettext(
                "Too many attempts. Please try again in %(num)d second.",
                "Too many attempts. Please try again in %(num)d seconds.",
                wait,
            )
            if wait < 120
            else _l("Too many attempts. Please try again in %(n)d minutes.", n=minutes)
        )
        response = app.make_response(render_error(429, str(detail)))
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(IntegrityError)
    def _duplicate(error: IntegrityError):
        """The backstop for a unique constraint raced into (a double click, two tabs): the
        database kept the data right, so the person gets a clear 409, never a 500. Rules
        that expect such a race say more precisely what happened (rules.unique_or_violation)."""
        db.session.rollback()
        if not _is_duplicate(error):
            return _internal_error(error)
        app.logger.info("Conflict on %s %s: %s", request.method, request.path, error.orig)
        return render_error(
            409,
            str(
                _l(
                    "That was just done already, perhaps in another tab. "
                    "Reload the page to see where things stand."
                )
            ),
        )

    @app.errorhandler(OperationalError)
    def _operational_error(error: OperationalError):
        if not _database_busy(error):
            return _internal_error(error)
        db.session.rollback()
        app.logger.warning(
            "Database busy (%s) on %s %s: answered 503", error.orig, request.method, request.path
        )
        response = app.make_response(render_error(503))
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def _internal_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)
