"""The app has no way to turn its own safety off: no setting and no environment variable.

The concurrency proofs show what the locking protects against by taking it away in a test-only
server (tests/live_wsgi.py, tests/test_concurrency.py); nothing in app/ may offer that. On
PostgreSQL the protection is the schema (constraints) and row locks in the services, with no
switch either; on SQLite it is the engine listeners of app/database.py, checked here.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app import create_app
from app.config import _ENV_SETTINGS
from app.extensions import db

APP_DIR = Path(__file__).resolve().parent.parent / "app"

# What a switch for the locking was called, or might be called. Each is set at once, as an
# environment variable and as a configuration key.
SWITCHES = {
    "RACE_PROTECTION": "false",
    "RACE_WINDOW_SECONDS": "5",
    "LIVE_UNPROTECTED": "1",  # tests/live_wsgi.py's own switches mean nothing to the app
    "LIVE_RACE_WINDOW": "5",
    "SQLITE_ISOLATION_LEVEL": "DEFERRED",
    "ISOLATION_LEVEL": "AUTOCOMMIT",
    "SQLALCHEMY_ISOLATION_LEVEL": "AUTOCOMMIT",
    "SQLALCHEMY_ENGINE_OPTIONS": '{"isolation_level": "AUTOCOMMIT"}',
    "SQLITE_BUSY_TIMEOUT_MS": "0",  # a real setting: it shortens the wait, never the lock
    "TESTING": "true",
    "DEBUG": "true",
    "FLASK_DEBUG": "1",
}
SUSPICIOUS = re.compile(r"RACE|PROTECT|LOCK|ISOLATION|UNSAFE|NAIVE|UNPROTECTED", re.IGNORECASE)


def test_no_race_switch_is_left_in_the_app():
    found = [
        f"{path.relative_to(APP_DIR.parent)}:{number}: {line.strip()}"
        for path in sorted(APP_DIR.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"RACE_|race_protection|race_window|naive_", line, re.IGNORECASE)
    ]
    assert found == []


def test_no_environment_setting_is_about_locking():
    assert [name for name in _ENV_SETTINGS if SUSPICIOUS.search(name)] == []


def _app(path: Path, how: str, monkeypatch):
    config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x", "TESTING": True}
    if how == "environment":
        for name, value in SWITCHES.items():
            monkeypatch.setenv(name, value)
    else:
        config |= {
            name: value
            for name, value in SWITCHES.items()
            if name not in ("SQLALCHEMY_ENGINE_OPTIONS", "TESTING", "DEBUG")
        }
        config["RACE_PROTECTION"] = False
    return create_app(config)


def _first_statement(app, method: str | None) -> str:
    """What the engine sends first when a request with ``method`` (None: a CLI command)
    starts a transaction."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            if method is None:
                db.session.execute(sa.text("SELECT 1"))
                db.session.rollback()
            else:
                with app.test_request_context("/", method=method):
                    db.session.execute(sa.text("SELECT 1"))
                    db.session.rollback()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
            db.session.remove()
    return statements[0]


@pytest.mark.parametrize("how", ["environment", "configuration"])
def test_no_setting_turns_the_sqlite_write_lock_off(tmp_path, monkeypatch, how):
    path = tmp_path / "locking.sqlite"
    app = _app(path, how, monkeypatch)
    if how == "environment":
        assert [name for name in SWITCHES if SUSPICIOUS.search(name) and name in app.config] == []
    try:
        assert _first_statement(app, "POST") == "BEGIN IMMEDIATE"
        assert _first_statement(app, None) == "BEGIN IMMEDIATE"  # CLI commands write too
        assert _first_statement(app, "GET") == "BEGIN"  # reads do not queue for the lock

        # And the lock is really held from the first statement of a POST, before any write.
        with app.app_context(), app.test_request_context("/", method="POST"):
            db.session.execute(sa.text("SELECT 1"))
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
                db.session.rollback()
                db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
