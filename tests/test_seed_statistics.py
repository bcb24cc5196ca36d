"""After `flask seed-scale` PostgreSQL's planner has statistics of what was loaded: without
them (until autovacuum came round) it guessed, and the week grid's count of meetings without
a room took 300 ms instead of 4 on the statewide data. SQLite is left to plan as it always
has (no ANALYZE there: its statistics would change every plan it makes)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from app.extensions import db
from app.seed import seed
from tests.conftest import _empty_all_tables


def _forget_statistics() -> None:
    """As a new database (the test server's autovacuum may have read an earlier test's rows);
    the test server runs as a superuser."""
    for statement in (
        "DELETE FROM pg_statistic WHERE starelid = 'booking'::regclass",
        "UPDATE pg_class SET reltuples = -1 WHERE oid = 'booking'::regclass",
    ):
        db.session.execute(sa.text(statement))
    db.session.commit()


def test_the_planner_knows_the_loaded_rows(app):
    with app.app_context():
        _empty_all_tables()
        postgresql = db.engine.dialect.name == "postgresql"
        if postgresql:  # what an earlier test's rows taught the planner is forgotten
            _forget_statistics()
        seed(0.01, 2026, dt.datetime.now(dt.UTC).date())
        if postgresql:
            known = db.session.scalar(
                sa.text("SELECT reltuples FROM pg_class WHERE relname = 'booking'")
            )
            columns = db.session.scalars(
                sa.text("SELECT attname FROM pg_stats WHERE tablename = 'booking'")
            ).all()
            assert known > 0
            assert {"meeting_id", "status", "room_id"} <= set(columns)
        else:
            stats = db.session.scalar(
                sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
            assert stats == 0
