"""Engine settings that make SQLite safe for concurrent writers.

Python's sqlite3 would otherwise open a transaction only at the first INSERT, so a
"check, then insert" would run its check outside the transaction. We take the write lock
up front (BEGIN IMMEDIATE) for any request that can write, and for CLI commands.

Nothing turns this off: no setting or environment variable weakens it (tests/test_locking.py).
The concurrency proofs show what happens without it by removing these listeners in a test-only
server (tests/live_wsgi.py), never through the app.
"""

from __future__ import annotations

import sqlite3

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn, _record) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
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
    if conn.dialect.name == "sqlite":
        writes = not has_request_context() or request.method not in _READ_ONLY_METHODS
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
