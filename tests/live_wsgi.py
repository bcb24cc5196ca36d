"""The app as the concurrency proofs serve it: ``gunicorn tests.live_wsgi:app`` (tests/live.py).

Test-only, and the one place where the app's protection is ever taken away; the app itself has
no setting for it (tests/test_locking.py). Two switches, from the environment tests/live.py
gives gunicorn:

``LIVE_RACE_WINDOW`` (seconds)
    Sleep just before each write a race is about (a booking's INSERT, a seat's conditional
    UPDATE), so that every request of a burst has made its checks before anyone writes: the
    race is certain, not left to luck. The protected proofs run with it too, to show that the
    protection holds when requests really do overlap.
``LIVE_UNPROTECTED=1``
    The app without its protection, to show that the proofs can fail. SQLite: the engine
    listeners of ``app.database`` are removed, so Python's default transactions apply: a
    transaction opens only at the first write, the check runs outside it and nobody takes the
    write lock first (a SAVEPOINT, which SQLite would take as the start of a transaction, waits
    for that first write too). Seats and waitlist places: a plain count-then-decide and "last
    place + 1" written here, without the circle's row lock, instead of the conditional UPDATEs.
    The database's backstops (the booking constraint or trigger) are dropped by the test.
"""

from __future__ import annotations

import gc
import os
import re
import sqlite3
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app import database
from app.extensions import db
from app.models import Circle, Enrollment, EnrollmentStatus
from app.participation import services as participation

WINDOW = float(os.environ.get("LIVE_RACE_WINDOW") or 0)
UNPROTECTED = os.environ.get("LIVE_UNPROTECTED") == "1"

# The writes the races are about: a booking, and a seat taken by the conditional UPDATE.
_RACED_WRITE = re.compile(
    r"\s*(INSERT INTO booking\b|UPDATE circle SET enrolled_count=\(circle\.enrolled_count \+)"
)


def hold_race_window() -> None:
    if WINDOW:
        time.sleep(WINDOW)


def _before_raced_write(_conn, _cursor, statement, _params, _context, _many) -> None:
    if _RACED_WRITE.match(statement):
        hold_race_window()


def _plain_sqlite(dbapi_conn, _record) -> None:
    """What a naive app would do: the same pragmas, but Python's default transactions (a
    deferred BEGIN just before the first write) and no BEGIN IMMEDIATE."""
    if isinstance(dbapi_conn, sqlite3.Connection):
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=15000"):
            dbapi_conn.execute(f"PRAGMA {pragma}")


_SAVEPOINT = re.compile(r"(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) (\w+)")


def _savepoints_after_first_write(conn, cursor, statement, params, _context, _many):
    """Python's default opens a transaction just before the first write, and the reads before
    it see only what others committed. SQLAlchemy's savepoints (the app saves forms in one)
    would open it before the reads instead, and SQLite, being serializable, would then refuse
    the write (busy) rather than let it race. So a savepoint outside a transaction is dropped,
    and rolling back to it rolls back whatever was written since."""
    match = _SAVEPOINT.fullmatch(statement.strip())
    if conn.dialect.name != "sqlite" or match is None:
        return statement, params
    kind, name = match.groups()
    dropped = conn.info.setdefault("dropped_savepoints", set())
    if kind == "SAVEPOINT":
        if cursor.connection.in_transaction:
            dropped.discard(name)
            return statement, params
        dropped.add(name)
        return "SELECT 1", ()
    if name not in dropped:
        return statement, params
    dropped.discard(name)
    if kind == "ROLLBACK TO SAVEPOINT" and cursor.connection.in_transaction:
        return "ROLLBACK", ()
    return "SELECT 1", ()


def naive_take_seat(circle: Circle) -> bool:
    """Count the enrolled, then decide: two requests both see the last free seat."""
    enrolled = db.session.scalar(
        sa.select(sa.func.count(Enrollment.id)).where(
            Enrollment.circle_id == circle.id, Enrollment.status == EnrollmentStatus.enrolled
        )
    )
    hold_race_window()
    return enrolled < circle.capacity


def naive_waitlist_place(circle: Circle) -> int:
    """The last place + 1: two requests both take the same place."""
    last = db.session.scalar(
        sa.select(sa.func.max(Enrollment.waitlist_seq)).where(Enrollment.circle_id == circle.id)
    )
    return (last or 0) + 1


def no_lock(_circle_id: int) -> None:
    """No row lock: what is read next may be overtaken."""


def _swap(module, name: str, replacement) -> None:
    """Replace a function the app calls by name; loudly if it was renamed or removed."""
    if not callable(getattr(module, name, None)):
        raise RuntimeError(f"{module.__name__}.{name} is gone: update tests/live_wsgi.py")
    setattr(module, name, replacement)


if UNPROTECTED:
    event.remove(Engine, "connect", database._sqlite_on_connect)
    event.remove(Engine, "begin", database._sqlite_on_begin)
    event.listen(Engine, "connect", _plain_sqlite)
    event.listen(Engine, "before_cursor_execute", _savepoints_after_first_write, retval=True)
    _swap(participation, "_take_seat", naive_take_seat)
    _swap(participation, "_waitlist_place", naive_waitlist_place)
    _swap(participation, "_lock_circle", no_lock)
if WINDOW:
    event.listen(Engine, "before_cursor_execute", _before_raced_write)

from wsgi import app  # noqa: E402  (after the changes above, before any connection)

# tests/live.py starts gunicorn with --preload: the app is imported once, before the workers
# fork. No pooled connection may cross the fork.
with app.app_context():
    db.engine.dispose()

# What the workers inherit from the import is never garbage: left out of the collector, each
# worker exits at once instead of spending a CPU-second sweeping it (copy-on-write untouched).
gc.freeze()

__all__ = ["app"]
