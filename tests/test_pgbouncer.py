"""DATABASE_PGBOUNCER=true: psycopg never prepares a statement, so that PgBouncer in transaction
mode (before 1.21) can hand each transaction to any server connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from tests.conftest import make_app

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def engine_of(database_url, tmp_path) -> Iterator:
    """The engine of an app of its own built with these settings."""
    apps = []

    def build(**settings):
        app = make_app(database_url, tmp_path, **settings)
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
