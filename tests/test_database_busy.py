"""When another process holds SQLite's write lock for longer than the busy timeout, a request
answers 503 with Retry-After and a "busy, try again" page, logged as a warning: not a 500.

SQLite only (PostgreSQL has no database-wide write lock), so this module builds its own app
on a migrated SQLite file instead of using the parametrized ``app`` fixture.
"""

from __future__ import annotations

import logging
import sqlite3

import sqlalchemy as sa

from app.extensions import db
from tests.conftest import login


def test_a_locked_database_answers_503_with_retry_after(sqlite_app, caplog):
    app, path = sqlite_app
    client = app.test_client()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with caplog.at_level(logging.WARNING):
            response = login(client, "ana@example.org")
        other.rollback()
    finally:
        other.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "busy" in response.text
    assert "try again in a moment" in response.text
    assert response.headers["Content-Type"].startswith("text/html")
    records = [r for r in caplog.records if r.name == app.logger.name]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert "locked" in records[0].getMessage()
    assert records[0].exc_info is None  # a warning, not a stack trace

    # The lock is gone: the same request works again.
    assert login(client, "ana@example.org").status_code == 302


def test_other_operational_errors_stay_500(sqlite_app, caplog):
    app, path = sqlite_app
    with sqlite3.connect(path) as other:
        other.execute('DROP TABLE "user"')  # "no such table": a bug, not a busy database
    with caplog.at_level(logging.WARNING):
        response = login(app.test_client(), "ana@example.org")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    records = [r for r in caplog.records if r.name == app.logger.name]
    assert [r.levelno for r in records] == [logging.ERROR]
    assert records[0].exc_info is not None


def test_a_feed_is_served_while_another_process_holds_the_write_lock(sqlite_app):
    """Caching the feed and stamping its link are skipped, not waited for; the next request
    does both."""
    from app.calendar.services import issue_token
    from app.models import FeedCache, FeedScope, FeedToken, User

    app, path = sqlite_app
    with app.app_context():
        token = issue_token(db.session.scalars(sa.select(User)).one(), FeedScope.personal, None)
        db.session.commit()

    def cached_and_stamped():
        with app.app_context():
            cached = db.session.scalar(sa.select(sa.func.count(FeedCache.etag)))
            return cached, db.session.scalars(sa.select(FeedToken.last_used_at)).one() is not None

    client = app.test_client()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        response = client.get(f"/feeds/{token}.ics")
        other.rollback()
    finally:
        other.close()
    assert response.status_code == 200
    assert b"BEGIN:VCALENDAR" in response.data
    assert cached_and_stamped() == (0, False)

    assert client.get(f"/feeds/{token}.ics").status_code == 200
    assert cached_and_stamped() == (1, True)
