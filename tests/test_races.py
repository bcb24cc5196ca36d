"""Double clicks and two tabs against gunicorn (4 workers × 8 threads), on SQLite and
PostgreSQL: each unique rule a person can race into ends in one row and a clear answer,
never a 500 (security findings 5 and 11)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Facilitation, FeedToken, User
from tests.conftest import PASSWORD
from tests.factories import PASSWORD_HASH
from tests.live import Client, burst, gunicorn, migrate
from tests.test_concurrency import _seed_circle

CLICKS = 16


def _people(url: str) -> None:
    """An administrator and a facilitator to assign, beside the seeded circle's lead."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        admin = User(email="admin@example.org", name="Admin", is_admin=True)
        co = User(email="co@example.org", name="Co", is_facilitator=True)
        for user in (admin, co):
            user.password_hash = PASSWORD_HASH
        db.session.add_all([admin, co])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _count(url: str, query) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(query).scalar_one()
    engine.dispose()
    return value


def _clicks(base: str, email: str, path: str, data: dict, prefix: str = "") -> list[int]:
    """``CLICKS`` simultaneous submissions of one form by one signed-in person."""
    person = Client(base)
    person.login(email, PASSWORD)
    page = person.get(path).text
    token = re.search(rf'name="{prefix}csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, page[:500]
    data = {**data, f"{prefix}csrf_token": token.group(1)}
    return burst(lambda _i: Client(base, person.cookie).post(path, data).status, CLICKS)


def test_simultaneous_new_feed_links_leave_exactly_one_live(fresh_database_url):
    """ "A new link stops the old one" holds under a burst of clicks."""
    migrate(fresh_database_url)
    _seed_circle(fresh_database_url)
    _people(fresh_database_url)
    with gunicorn(fresh_database_url) as base:
        statuses = _clicks(
            base,
            "admin@example.org",
            "/calendar/",
            {"scope": "personal", "action": "issue"},
        )
    assert all(status < 500 for status in statuses), statuses
    live = sa.select(sa.func.count(FeedToken.id)).where(FeedToken.revoked_at.is_(None))
    assert _count(fresh_database_url, live) == 1
    assert _count(fresh_database_url, sa.select(sa.func.count(FeedToken.id))) == statuses.count(200)


def test_simultaneous_assignments_of_one_co_facilitator(fresh_database_url):
    migrate(fresh_database_url)
    circle_id = _seed_circle(fresh_database_url)
    _people(fresh_database_url)
    co_id = _count(fresh_database_url, sa.select(User.id).where(User.email == "co@example.org"))
    path = f"/circles/{circle_id}/facilitators"
    with gunicorn(fresh_database_url) as base:
        statuses = _clicks(
            base,
            "admin@example.org",
            path,
            {"which": "assign", "assign-user_id": co_id},
            prefix="assign-",
        )
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(302) >= 1  # the first one saved; the others were told why not
    rows = sa.select(sa.func.count()).select_from(Facilitation).where(Facilitation.user_id == co_id)
    assert _count(fresh_database_url, rows) == 1
