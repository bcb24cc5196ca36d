"""Emails speak to their reader; services do not depend on the request."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale

from app.extensions import db
from app.labels import when
from app.models import Booking, Circle, Meeting, OutboxMessage, User
from app.participation import services
from app.timeutil import utcnow
from tests.conftest import login
from tests.factories import next_weekday

APP = Path(__file__).resolve().parent.parent / "app"


def _service_modules() -> list[Path]:
    extra = [
        "participation/guests.py",
        "participation/places.py",
        "rooms/bookings.py",
        "rooms/circle_bookings.py",
        "rooms/free_rooms.py",
        "rooms/grid.py",
    ]
    return sorted({*APP.glob("*/services.py"), *(APP / name for name in extra)})


def _flask_imports(path: Path) -> set[str]:
    """What ``path`` takes from flask (``import flask`` counts as everything)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {"*" for a in node.names if a.name.split(".")[0] == "flask"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "flask":
            names |= {a.name if node.module == "flask" else "*" for a in node.names}
    return names


def test_services_take_nothing_from_flask_but_the_config():
    modules = _service_modules()
    assert {APP / "admin/services.py", APP / "auth/services.py"} <= set(modules)
    found = {str(path.relative_to(APP)): _flask_imports(path) - {"current_app"} for path in modules}
    assert {name: names for name, names in found.items() if names} == {}


def test_each_reader_gets_times_in_their_zone_and_language(app, world, query):
    circle_id = world.circle(audience="public")
    with app.app_context():
        pat = db.session.get(User, world.participant)
        pat.timezone, pat.locale = "America/Los_Angeles", "es"
        circle = db.session.get(Circle, circle_id)
        now = utcnow()
        services.join(circle, services.Joiner(name="Pat", email=pat.email, user=pat), now)
        services.join(circle, services.Joiner(name="Gus", email="gus@example.org"), now)
        first = db.session.scalars(
            sa.select(Meeting).where(Meeting.circle_id == circle_id).order_by(Meeting.starts_at)
        ).first()
        lead = first.starts_at - now + dt.timedelta(minutes=1)
        assert services.send_reminders(now, lead) == 2
        db.session.commit()
        starts = first.starts_at

    def reminder_to(email: str) -> str:
        return query(
            lambda: db.session.scalars(
                sa.select(OutboxMessage.body).where(
                    OutboxMessage.to == email,
                    sa.or_(
                        *(OutboxMessage.subject.startswith(w) for w in ("Reminder", "Recordatorio"))
                    ),
                )
            ).one()
        )

    def shown(tz: str, locale: str) -> str:
        with app.app_context(), force_locale(locale):
            return when(starts, tz, "zoned")

    # Pat has an account: her zone and language; the guest: the circle's zone, the default one.
    assert shown("America/Los_Angeles", "es") in reminder_to("pat@example.org")
    assert "15:00 (hora del Pacífico)" in reminder_to("pat@example.org")
    assert shown("America/New_York", "en") in reminder_to("gus@example.org")
    assert "6:00 PM (Eastern Time)" in reminder_to("gus@example.org")


def test_a_booking_owner_reads_the_change_in_their_own_zone(client, world, app, query):
    with app.app_context():
        db.session.get(User, world.lead).timezone = "America/Los_Angeles"
        db.session.commit()
    day = next_weekday(2).isoformat()
    login(client, "lead@example.org")
    client.post(
        f"/branches/{world.branch}/bookings/new",
        data={
            "room_id": world.room,
            "title": "Book club",
            "date": day,
            "start_time": "14:00",
            "end_time": "15:30",
            "repeat": "0",
        },
    )
    booking_id = query(lambda: db.session.scalars(sa.select(Booking.id)).one())
    client.post("/logout")
    login(client, "boss@example.org")
    assert client.post(f"/bookings/{booking_id}/cancel").status_code == 302
    message = query(lambda: db.session.scalars(sa.select(OutboxMessage)).one())
    assert (message.to, message.subject) == ("lead@example.org", "Your room booking was cancelled")
    assert "11:00" in message.body  # 14:00 at the branch, in New York
