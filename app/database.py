"""Engine settings that make SQLite safe for concurrent writers.

Python's sqlite3 would otherwise open a transaction only at the first INSERT, so a
"check, then insert" would run its check outside the transaction. We take the write lock
up front (BEGIN IMMEDIATE) for any request that can write, and for CLI commands.
"""

from __future__ import annotations

import sqlite3
import time

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def race_protection() -> bool:
    """Off only in the concurrency tests that show what goes wrong without it."""
    return not has_app_context() or current_app.config.get("RACE_PROTECTION", True)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn, _record) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        if race_protection():
            dbapi_conn.isolation_level = None  # our "begin" hook below emits BEGIN itself
        # Wait this long for another writer, then give up: the request answers 503 (see
        # app.errors) before gunicorn's 30 s worker timeout would drop the connection.
        busy_ms = (
            int(current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 15000))
            if has_app_context()
            else 15000
        )
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", f"busy_timeout={busy_ms}"):
            dbapi_conn.execute(f"PRAGMA {pragma}")


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn) -> None:
    if conn.dialect.name == "sqlite" and race_protection():
        writes = not has_request_context() or request.method not in _READ_ONLY_METHODS
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def hold_race_window() -> None:
    """Test-only: wait between a check and the write it guards (``RACE_WINDOW_SECONDS``), so
    that concurrency tests make every request's check happen before any write, for certain
    rather than by luck. Zero, and so a no-op, everywhere else."""
    delay = current_app.config.get("RACE_WINDOW_SECONDS", 0) if has_app_context() else 0
    if delay:
        time.sleep(delay)
