"""DATABASE_PGBOUNCER=true: psycopg never prepares a statement, so that PgBouncer in transaction
mode (before 1.21) can hand each transaction to any server connection. Proven at the driver, and
then through a real PgBouncer 1.18 (Debian's): the same load fails without the setting, and the
whole app serves a booking race through it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from tests.conftest import IN_CI, make_app
from tests.live import PGBOUNCER, migrate, pgbouncer
from tests.test_concurrency import _race

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def engine_of(database_url, tmp_path) -> Iterator:
    """The engine of an app of its own built with these settings."""
    apps = []

    def build(url: str | None = None, **settings):
        app = make_app(url or database_url, tmp_path, **settings)
        apps.append(app)
        with app.app_context():
            return db.engine

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def _prepared_after_repeating_a_query(engine) -> tuple[object, int]:
    """psycopg's prepare_threshold on a pooled connection, and how many statements the server
    holds prepared for it after one query ran ten times."""
    with engine.connect() as conn:
        threshold = conn.connection.dbapi_connection.prepare_threshold
        for n in range(10):
            conn.execute(sa.text("SELECT CAST(:n AS integer) + 1"), {"n": n})
        prepared = conn.execute(sa.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    return threshold, prepared


@on_postgresql
def test_the_setting_reaches_the_engine_and_nothing_is_prepared(engine_of):
    engine = engine_of(DATABASE_PGBOUNCER=True)
    assert _prepared_after_repeating_a_query(engine) == (None, 0)


@on_postgresql
def test_without_it_psycopg_prepares_repeated_queries(engine_of):
    """The control: the check above would see a prepared statement."""
    threshold, prepared = _prepared_after_repeating_a_query(engine_of())
    assert threshold == 5
    assert prepared >= 1


@on_postgresql
def test_the_setting_comes_from_the_environment_and_keeps_other_connect_args(
    database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_PGBOUNCER", "true")
    options = {"pool_size": 2, "connect_args": {"connect_timeout": 5}}
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "TESTING": True,
        }
    )
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_size": 2,
        "connect_args": {"connect_timeout": 5, "prepare_threshold": None},
    }
    assert options == {"pool_size": 2, "connect_args": {"connect_timeout": 5}}  # not changed
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.connection.dbapi_connection.prepare_threshold is None
        db.engine.dispose()


@pytest.mark.parametrize("url", ["sqlite:///x.sqlite", "postgresql+psycopg2://db/circles"])
def test_the_setting_refuses_other_databases_and_drivers(url):
    with pytest.raises(RuntimeError, match="DATABASE_PGBOUNCER is for PostgreSQL"):
        create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_PGBOUNCER": True, "TESTING": True})


# --- through a real PgBouncer in transaction mode (Debian package pgbouncer) ------------------

needs_pgbouncer = pytest.mark.skipif(
    not os.path.exists(PGBOUNCER) and not IN_CI,
    reason="pgbouncer not installed: apt-get install pgbouncer (.ci/run does)",
)


def _interleaved_failures(engine, clients: int = 8, rounds: int = 40) -> list[str]:
    """Eight pooled connections repeating one query, a transaction each time, through a
    PgBouncer with two server connections: each transaction may run on another server
    connection than the one before. The errors seen, by class."""
    failures: list[str] = []

    def work() -> None:
        for n in range(rounds):
            try:
                with engine.begin() as conn:
                    conn.execute(sa.text("SELECT CAST(:n AS integer) + 1"), {"n": n})
            except sa.exc.DBAPIError as error:
                failures.append(type(error.orig).__name__)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


@needs_pgbouncer
@on_postgresql
def test_behind_pgbouncer_transactions_on_any_server_connection_all_succeed(
    database_url, engine_of
):
    with pgbouncer(database_url, pool_size=2) as bounced:
        failures = _interleaved_failures(engine_of(bounced, DATABASE_PGBOUNCER=True))
    assert failures == []


@needs_pgbouncer
@on_postgresql
def test_without_the_setting_pgbouncer_loses_prepared_statements(database_url, engine_of):
    """The control: the same load with psycopg's prepared statements fails, because a
    statement prepared on one server connection is run on another (or prepared twice)."""
    with pgbouncer(database_url, pool_size=2) as bounced:
        failures = _interleaved_failures(engine_of(bounced))
    assert set(failures) & {"InvalidSqlStatementName", "DuplicatePreparedStatement"}, failures


@needs_pgbouncer
@on_postgresql
def test_behind_pgbouncer_one_of_8_simultaneous_bookings_wins(fresh_database_url):
    """The whole app (gunicorn, 2 workers x 4 threads) through PgBouncer's two server
    connections: the room is still booked once and no request fails (the control without the
    protection: tests/test_concurrency.py)."""
    migrate(fresh_database_url)
    with pgbouncer(fresh_database_url, pool_size=2) as bounced:
        statuses, rows, overlaps = _race(
            fresh_database_url,
            protected=True,
            requests=8,
            served=bounced,
            workers=2,
            threads=4,
            env={"DATABASE_PGBOUNCER": "true"},
        )
    assert sorted(statuses) == [302] + [409] * 7, statuses
    assert (rows, overlaps) == (1, 0)
