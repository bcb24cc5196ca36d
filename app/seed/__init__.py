"""`flask seed-scale`: a statewide dataset (issue 15), the same for the same seed and day.

``generate`` builds every row in plain Python (``random.Random(seed)``, ids handed out here);
``load`` writes them with SQLAlchemy Core in bulk (``executemany`` in chunks), parents first,
in one transaction, and moves PostgreSQL's id sequences past them. The data keeps every rule
the app enforces: no two active bookings of a room overlap (with its set-up and clean-up
time), meetings are inside their branch's opening hours and never on a closure, circle
counters match the places, waitlist places are unique, search columns are filled.

Everyone signs in with ``PASSWORD`` (e.g. admin@statelibrary.example.org)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
from collections.abc import Callable

import sqlalchemy as sa

from app.extensions import db
from app.seed.catalog import make_courses, make_credentials
from app.seed.circles import Calendar, make_circles, make_events
from app.seed.dataset import Dataset
from app.seed.extras import (
    make_digests,
    make_feed_links,
    make_interest,
    make_needs_surveys,
    make_pathways,
    make_self_paced,
)
from app.seed.people import KNOWN, PASSWORD, make_people
from app.seed.places import make_branches
from app.seed.places_taken import Places

__all__ = ["KNOWN", "PASSWORD", "SeedRefused", "generate", "load", "seed"]

CHUNK = 5000
PAST_WEEKS, WEEKS = 78, 104  # circles start from 78 weeks ago until 26 weeks ahead


class SeedRefused(Exception):
    """The database already holds data: seeding would mix with it."""


def _scaled(full: int, scale: float, least: int) -> int:
    return max(least, round(full * scale))


def generate(scale: float = 1.0, seed: int = 2026, today: dt.date | None = None) -> Dataset:
    """Every row of the dataset, in memory. Same scale, seed and day: same rows."""
    today = today or dt.datetime.now(dt.UTC).date()
    now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
    rng = random.Random(seed)  # noqa: S311  (test data, not secrets)
    data = Dataset()
    base = today - dt.timedelta(days=today.weekday(), weeks=PAST_WEEKS)
    years = range(base.year, base.year + 3)
    branches = make_branches(
        data,
        rng,
        _scaled(50, scale, 3),
        _scaled(300, scale, 6),
        years,
        now - dt.timedelta(days=800),
    )
    users = make_people(data, rng, branches, _scaled(20_000, scale, 300), now)
    credentials = make_credentials(data, now)
    courses = make_courses(data, rng, _scaled(400, scale, 20), now)
    cal = Calendar(base, WEEKS)
    circles = make_circles(data, rng, cal, branches, courses, _scaled(2000, scale, 30), now)
    make_events(data, rng, cal, branches, _scaled(7000, scale, 20), _scaled(150, scale, 3), now)
    places = Places(data, rng, users, seed)
    for circle in circles:
        taken = places.sign_up(circle, now)
        places.what_happened(circle, taken, now, credentials)
    make_pathways(data, rng, users, courses, credentials, now)
    make_self_paced(data, rng, users, courses, now)
    make_interest(data, rng, users, courses, circles, now)
    make_needs_surveys(data, rng, users, now)
    make_digests(data, rng, users, branches, circles, now, seed)
    make_feed_links(data, rng, users, branches, now, seed)
    return data


def _is_empty() -> bool:
    tables = ("user", "branch", "course", "circle")
    return all(
        db.session.execute(
            sa.select(sa.literal(1)).select_from(db.metadata.tables[t]).limit(1)
        ).first()
        is None
        for t in tables
    )


def _copy(table: sa.Table, columns: list[str], rows: list[dict]) -> None:
    """PostgreSQL's COPY, several times faster than INSERTs of the same rows, on the
    session's connection (so in its transaction). Values go as the column types take them."""
    from psycopg import sql as psql

    as_json = {c.name for c in table.c if isinstance(c.type, sa.JSON)}

    def value(column: str, raw):
        if raw is None:
            return None
        if column in as_json:
            return json.dumps(raw)
        return raw.value if isinstance(raw, enum.Enum) else raw

    statement = psql.SQL("COPY {} ({}) FROM STDIN").format(
        psql.Identifier(table.name), psql.SQL(", ").join(map(psql.Identifier, columns))
    )
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([value(c, row.get(c)) for c in columns])


def load(data: Dataset, progress: Callable[[str, int], None] | None = None) -> None:
    """Insert the rows, parents first, in the session's transaction (the caller commits)."""
    if not _is_empty():
        raise SeedRefused(
            "The database already has data (people, branches, courses or circles): "
            "seed-scale loads only into an empty database. Create a new one "
            "(e.g. DATABASE_URL=sqlite:////tmp/scale.sqlite flask db upgrade) and run it there."
        )
    postgresql = db.engine.dialect.name == "postgresql"
    for table in db.metadata.sorted_tables:
        rows = data.rows.get(table.name)
        if not rows:
            continue
        columns = table.c.keys()
        missing = set(columns).difference(*(r.keys() for r in rows))
        if missing:  # every value is given: none comes from a default at load time
            raise ValueError(f"{table.name}: no value for {sorted(missing)}")
        if postgresql:
            _copy(table, columns, rows)
        else:
            insert = sa.insert(table)
            for start in range(0, len(rows), CHUNK):
                chunk = [{k: r.get(k) for k in columns} for r in rows[start : start + CHUNK]]
                db.session.execute(insert, chunk)
        if progress:
            progress(table.name, len(rows))
    if postgresql:
        for table in db.metadata.sorted_tables:
            if "id" in table.c and data.rows.get(table.name):
                sequence = sa.func.pg_get_serial_sequence(f'"{table.name}"', "id")
                last = sa.select(sa.func.max(table.c.id)).scalar_subquery()
                db.session.execute(sa.select(sa.func.setval(sequence, last)))


def seed(scale: float = 1.0, seed: int = 2026, today: dt.date | None = None) -> dict[str, int]:
    """Generate and load the dataset and commit; returns the rows per table."""
    data = generate(scale, seed, today)
    load(data)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # A bulk load leaves PostgreSQL's planner without statistics until autovacuum comes
        # round: meanwhile it guesses, and the week grid's "meetings still without a room"
        # probed the bookings' overlap index 26,000 entries deep per meeting (300 ms).
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return data.counts()
