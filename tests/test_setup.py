"""Configuration, migrations and demo data: what `make run` relies on."""

from __future__ import annotations

import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from app import create_app
from app.config import _instance_secret
from app.demo import BRANCHES, DEMO_PASSWORD, STAFF, USERS
from app.extensions import db
from app.models import Branch, Closure, OpeningHours, Room, User
from tests.conftest import login


def test_secret_key_is_generated_once_and_private(tmp_path):
    instance = tmp_path / "instance"
    first = _instance_secret(instance)
    assert len(first) == 64
    assert _instance_secret(instance) == first
    mode = stat.S_IMODE((instance / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_concurrent_first_start_agrees_on_one_secret(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _instance_secret(tmp_path), range(16)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("BASE_URL", "https://circles.example.org/")
    monkeypatch.setenv("TRUSTED_HOSTS", "circles.internal, ")
    app = create_app()
    assert app.config["BASE_URL"] == "https://circles.example.org"
    assert app.config["TRUSTED_HOSTS"] == ["circles.example.org", "circles.internal"]
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///:memory:"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_migrations_match_the_models_and_go_both_ways(fresh_database_url):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database_url, "SECRET_KEY": "x", "TESTING": True}
    )
    with app.app_context():
        upgrade()
        check()  # raises if the models and the migrations differ
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"user", "branch", "room", "opening_hours", "closure", "outbox_message"} <= tables


def test_dropping_signup_opens_at_keeps_every_circle_its_meetings_and_places(fresh_database_url):
    """0008 drops a column of the circle table in place, both ways: on SQLite, copying the
    table instead (what batch mode does by default) deletes every meeting, facilitation and
    place through their ON DELETE CASCADE."""
    import datetime as dt

    from app.models import Circle, Course, Enrollment, Facilitation, Meeting

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database_url, "SECRET_KEY": "x", "TESTING": True}
    )

    def rows() -> list[int]:
        counts = [
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Circle, Meeting, Facilitation, Enrollment)
        ]
        db.session.remove()  # no transaction may stay open while the schema changes
        return counts

    def circle_columns() -> set[str]:
        return {c["name"] for c in sa.inspect(db.engine).get_columns("circle")}

    with app.app_context():
        upgrade()
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
        lead = User(email="lead@example.org", name="Lead", is_facilitator=True)
        course = Course(title="Grants", provider="N", url="https://e.org/", skill_area="management")
        circle = Circle(
            title="Grant writing",
            course=course,
            branch=Branch(name="Main", slug="main", timezone="America/New_York"),
            timezone="America/New_York",
            capacity=5,
            meetings=[Meeting(starts_at=starts, ends_at=starts + dt.timedelta(hours=1))],
            facilitations=[Facilitation(user=lead, role="lead")],
        )
        db.session.add(circle)
        db.session.flush()
        db.session.add(
            Enrollment(circle_id=circle.id, name="Pat", email="pat@example.org", status="enrolled")
        )
        db.session.commit()
        assert rows() == [1, 1, 1, 1]
        assert "signup_opens_at" not in circle_columns()

        downgrade(revision="0007")
        assert "signup_opens_at" in circle_columns()
        assert rows() == [1, 1, 1, 1]
        upgrade()
        assert "signup_opens_at" not in circle_columns()
        assert rows() == [1, 1, 1, 1]
        db.engine.dispose()


def test_demo_data_loads_once(app, query):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo data loaded." in first.output
    assert "admin@example.org" in first.output

    def count_rows():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (User, Branch, Room, OpeningHours, Closure)
        ]

    counts = query(count_rows)
    assert counts[:3] == [len(USERS) + len(STAFF), len(BRANCHES), sum(len(b[3]) for b in BRANCHES)]
    second = runner.invoke(args=["demo", "load"])
    assert "Demo data already present." in second.output
    assert query(count_rows) == counts
    client = app.test_client()
    assert login(client, "manager@example.org", DEMO_PASSWORD).status_code == 302
    assert "Main Library" in client.get("/branches/").text


def test_wsgi_module_builds_the_app():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import wsgi; print(wsgi.app.name, len(wsgi.app.url_map._rules) > 10)",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={
            "SECRET_KEY": "x",
            "DATABASE_URL": "sqlite:///:memory:",
            "BASE_URL": "https://circles.example.org",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.stdout.strip() == "app True"
