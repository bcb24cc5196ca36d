"""Configuration, migrations and demo data: what `make run` relies on."""

from __future__ import annotations

import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from flask_migrate import check, downgrade, upgrade

from app import create_app
from app.config import _instance_secret
from app.demo import BRANCHES, DEMO_PASSWORD, STAFF, USERS
from app.extensions import db
from app.models import Branch, Closure, OpeningHours, Room, User
from tests.conftest import login
from tests.test_models import enum_columns


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


def _row_counts() -> dict[str, int]:
    """Rows per table, for the tables this revision has."""
    names = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    counts = {
        t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
        for t in db.metadata.sorted_tables
        if t.name in names
    }
    db.session.remove()  # no transaction may stay open while the schema changes
    return counts


def _demo_database_at_0008(fresh_database_url):
    """The demo data in a database at 0008, the revision before the status checks. It is
    loaded at head (the models are today's) and the schema taken back: every downgrade
    keeps the rows."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": fresh_database_url, "SECRET_KEY": "x", "TESTING": True}
    )
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        loaded = _row_counts()
        downgrade(revision="0008")
        at_0008 = _row_counts()
        assert at_0008 == {name: loaded[name] for name in at_0008}
    return app


def test_status_checks_arrive_on_a_database_with_data_and_leave_it_intact(fresh_database_url):
    """0009 adds its checks to tables that already hold data: nothing is copied or lost (on
    SQLite a copy would cascade-delete children and drop the booking overlap triggers), the
    checks hold afterwards, and the downgrade takes them away again."""
    import datetime as dt

    from app.models import Booking

    app = _demo_database_at_0008(fresh_database_url)
    starts = dt.datetime(2030, 1, 7, 17, tzinfo=dt.UTC)

    def refused(write) -> bool:
        try:
            write()
            db.session.flush()
        except sa.exc.IntegrityError:
            return True
        finally:
            db.session.rollback()
            db.session.remove()
        return False

    def bad_status() -> None:
        db.session.execute(sa.text("UPDATE enrollment SET status = 'lapsed'"))

    def book(at: dt.datetime) -> None:
        room = db.session.scalars(sa.select(Room).order_by(Room.id)).first()
        booking = Booking(title="Book club")
        booking.place(room, at, at + dt.timedelta(hours=1))
        db.session.add(booking)

    # Every enum column there was at 0009 (credential.kind came with its checks in 0012, the
    # pathway columns with theirs in 0013, the interest columns with theirs in 0014, the
    # digest's in 0015, the needs survey's, self-paced completions' and overflow offers' in 0017).
    later = {
        "ck_credential_kind",
        "ck_pathway_career_stage",
        "ck_pathway_status",
        "ck_pathway_step_skill_area",
        "ck_interest_skill_area",
        "ck_interest_format",
        "ck_interest_time_of_day",
        "ck_interest_status",
        "ck_digest_subscription_frequency",
        "ck_digest_subscription_career_stage",
        "ck_digest_subscription_format",
        "ck_needs_survey_status",
        "ck_needs_answer_career_goal",
        "ck_needs_answer_format",
        "ck_needs_answer_time_of_day",
        "ck_needs_answer_area_skill_area",
        "ck_self_paced_completion_status",
        "ck_overflow_offer_status",
    }
    expected = {f"ck_{c.table.name}_{c.name}" for c in enum_columns()} - later
    with app.app_context():
        demo_bookings = _row_counts()["booking"]  # the demo's circles have their rooms
        book(starts)  # its overlap guard (0003) must outlive this migration
        db.session.commit()
        before = _row_counts()
        assert before["enrollment"]
        assert before["attendance"]
        assert before["booking"] == demo_bookings + 1
        assert not expected & _status_checks()
        assert not refused(bad_status)  # and rolled back: nothing kept

        upgrade(revision="0009")
        assert _row_counts() == before
        assert expected <= _status_checks()
        assert refused(bad_status)
        assert refused(lambda: book(starts + dt.timedelta(minutes=30)))

        downgrade(revision="0008")
        assert _row_counts() == before
        assert not expected & _status_checks()
        assert refused(lambda: book(starts + dt.timedelta(minutes=30)))
        db.engine.dispose()


def test_status_checks_name_rows_already_outside_the_enum(fresh_database_url):
    """PostgreSQL would refuse the constraint anyway; SQLite's triggers would not look back.
    Both stop the upgrade with the column and the value to correct."""
    app = _demo_database_at_0008(fresh_database_url)
    with app.app_context():
        db.session.execute(sa.text("UPDATE meeting SET status = 'postponed'"))
        db.session.commit()
        db.session.remove()
        config = app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match=r"meeting\.status holds \['postponed'\]"):
            alembic_command.upgrade(config, "0009")  # what `flask db upgrade` runs
        db.session.execute(sa.text("UPDATE meeting SET status = 'scheduled'"))
        db.session.commit()
        db.session.remove()
        upgrade(revision="0009")
        assert "ck_meeting_status" in _status_checks()
        db.engine.dispose()


def _status_checks() -> set[str]:
    """The names of 0009's checks: constraints on PostgreSQL, triggers on SQLite."""
    if db.engine.dialect.name == "postgresql":
        query = "SELECT conname FROM pg_constraint WHERE contype = 'c'"
        names = set(db.session.scalars(sa.text(query)))
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        names = {name.rsplit("_", 1)[0] for name in db.session.scalars(sa.text(query))}
    db.session.remove()
    return names


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
