"""`flask seed-scale` (issue 15): the statewide dataset, loaded small, keeps every rule the app
enforces, is the same for the same seed, and the app's pages work on it."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from itertools import pairwise
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models import (
    Booking,
    Branch,
    Circle,
    Course,
    Enrollment,
    Facilitation,
    FacilitatorRole,
    Meeting,
    User,
)
from app.places import branch_calendar, outside_hours
from app.seed import generate, seed
from app.seed.dataset import digest
from tests.conftest import sign_in

SCALE = 0.02
TODAY = dt.datetime.now(dt.UTC).date()
ACTIVE = ("enrolled", "completed")

# Columns compared between what was generated and what the database gives back.
COMPARED = {
    "circle": ["id", "course_id", "room_id", "status", "enrolled_count", "waitlist_next"],
    "meeting": ["id", "circle_id", "starts_at", "ends_at", "status"],
    "booking": ["id", "room_id", "meeting_id", "kind", "starts_at", "ends_at", "status"],
    "enrollment": ["id", "circle_id", "user_id", "email", "status", "waitlist_seq"],
    "user": ["id", "email", "name", "home_branch_id", "search_text"],
}


def _rows(table: str) -> list[dict]:
    found = db.session.execute(sa.select(db.metadata.tables[table]))
    return [dict(row) for row in found.mappings()]


def test_same_seed_same_data_and_another_seed_other_data():
    first, again = generate(SCALE, 7, TODAY), generate(SCALE, 7, TODAY)
    other = generate(SCALE, 8, TODAY)
    for table, columns in COMPARED.items():
        assert digest(first.rows[table], columns) == digest(again.rows[table], columns), table
    assert digest(first.rows["meeting"], COMPARED["meeting"]) != digest(
        other.rows["meeting"], COMPARED["meeting"]
    )


def test_the_database_holds_what_was_generated_and_every_invariant(app):
    with app.app_context():
        counts = seed(SCALE, 2026, TODAY)
        expected = generate(SCALE, 2026, TODAY)
        for table, columns in COMPARED.items():
            assert digest(_rows(table), columns) == digest(expected.rows[table], columns), table
        assert (counts["user"], counts["circle"]) == (400, 40)
        _no_overlapping_bookings()
        _meetings_booked_in_their_room()
        _inside_opening_hours_and_not_on_closures()
        _weekly_series_keep_local_time_across_dst()
        _counters_match_places()
        _leads_never_double_booked()
        _foreign_keys_point_at_rows()
        _search_text_as_the_orm_writes_it()


def _no_overlapping_bookings():
    a, b = so.aliased(Booking), so.aliased(Booking)
    clashes = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(a)
        .join(b, sa.and_(a.room_id == b.room_id, a.id < b.id))
        .where(
            a.status == "active",
            b.status == "active",
            a.blocked_from < b.blocked_until,
            b.blocked_from < a.blocked_until,
        )
    )
    assert clashes == 0
    kinds = Counter(db.session.scalars(sa.select(Booking.kind)))
    assert min(kinds["meeting"] / 100, kinds["event"] / 10, kinds["block"]) >= 1, kinds


def _meetings_booked_in_their_room():
    """Every meeting of a circle with a room has its booking there, active while it is on."""
    rows = db.session.execute(
        sa.select(Meeting, Circle.room_id, Booking)
        .join(Circle, Circle.id == Meeting.circle_id)
        .outerjoin(Booking, Booking.meeting_id == Meeting.id)
        .where(Circle.room_id.is_not(None), Circle.format != "virtual")
    ).all()
    assert len(rows) > 100
    for meeting, room_id, booking in rows:
        assert booking is not None
        assert booking.room_id == room_id
        assert (booking.starts_at, booking.ends_at) == (meeting.starts_at, meeting.ends_at)
        assert (booking.status == "active") == (meeting.status == "scheduled")


def _inside_opening_hours_and_not_on_closures():
    branches = db.session.scalars(
        sa.select(Branch).options(so.selectinload(Branch.hours), so.selectinload(Branch.closures))
    ).all()
    assert {b.timezone for b in branches} == {
        "America/New_York",
        "America/Chicago",
        "America/Denver",
    }
    checked = 0
    for branch in branches:
        calendar, zone = branch_calendar(branch), ZoneInfo(branch.timezone)
        assert branch.hours
        assert branch.closures
        spans = db.session.execute(
            sa.select(Meeting.starts_at, Meeting.ends_at)
            .join(Circle)
            .where(Circle.branch_id == branch.id, Meeting.status == "scheduled")
            .union_all(
                sa.select(Booking.starts_at, Booking.ends_at)
                .join(Booking.room)
                .where(
                    Booking.room.has(branch_id=branch.id),
                    Booking.status == "active",
                    Booking.kind != "block",
                )
            )
        ).all()
        for starts, ends in spans:
            day = starts.astimezone(zone).date()
            assert calendar.closed_reason(day) is None, (branch.name, day)
            assert outside_hours(branch, starts, ends) is None, (branch.name, starts)
            checked += 1
    assert checked > 500


def _weekly_series_keep_local_time_across_dst():
    across = 0
    for circle in db.session.scalars(sa.select(Circle).options(so.selectinload(Circle.meetings))):
        zone = ZoneInfo(circle.timezone)
        local = {m.starts_at.astimezone(zone).time() for m in circle.meetings}
        utc = {m.starts_at.time() for m in circle.meetings}
        assert len(local) == 1, circle.title
        across += len(utc) > 1
    assert across >= 5  # many series cross a daylight-saving change


def _counters_match_places():
    places = defaultdict(list)
    for row in db.session.execute(
        sa.select(
            Enrollment.circle_id, Enrollment.status, Enrollment.waitlist_seq, Enrollment.email
        )
    ):
        places[row.circle_id].append(row)
    waiting = withdrawn = 0
    for circle in db.session.execute(
        sa.select(Circle.id, Circle.capacity, Circle.enrolled_count, Circle.waitlist_next)
    ):
        rows = places[circle.id]
        seated = sum(r.status in ACTIVE for r in rows)
        assert circle.enrolled_count == seated <= circle.capacity
        seqs = [r.waitlist_seq for r in rows if r.status == "waitlisted"]
        assert None not in seqs
        assert len(set(seqs)) == len(seqs)
        assert all(seq <= circle.waitlist_next for seq in seqs)
        assert all(r.waitlist_seq is None for r in rows if r.status != "waitlisted")
        live = [r.email for r in rows if r.status in ("enrolled", "waitlisted")]
        assert len(set(live)) == len(live)
        waiting += len(seqs)
        withdrawn += sum(r.status == "withdrawn" for r in rows)
    assert waiting > 0
    assert withdrawn > 0


def _leads_never_double_booked():
    spans = defaultdict(list)
    for user_id, starts, ends in db.session.execute(
        sa.select(Facilitation.user_id, Meeting.starts_at, Meeting.ends_at)
        .join(Meeting, Meeting.circle_id == Facilitation.circle_id)
        .where(Meeting.status == "scheduled")
    ):
        spans[user_id].append((starts, ends))
    for found in spans.values():
        found.sort()
        assert all(a[1] <= b[0] for a, b in pairwise(found))
    leads = db.session.scalar(
        sa.select(sa.func.count()).where(Facilitation.role == FacilitatorRole.lead)
    )
    assert leads == db.session.scalar(sa.select(sa.func.count(Circle.id)))


def _foreign_keys_point_at_rows():
    checked = 0
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.alias()
            missing = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(table.outerjoin(parent, fk.parent == parent.c[fk.column.name]))
                .where(fk.parent.is_not(None), parent.c[fk.column.name].is_(None))
            )
            assert missing == 0, f"{table.name}.{fk.parent.name}"
            checked += 1
    assert checked > 50


def _search_text_as_the_orm_writes_it():
    for model in (User, Course, Circle):
        rows = db.session.scalars(sa.select(model)).all()
        assert rows
        assert all(r.search_text == r.folded_search_text() for r in rows), model
    assert db.session.scalar(sa.select(sa.func.count()).where(User.search_text == "")) == 0


def test_cli_loads_once_and_the_pages_work_on_it(app, factory, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-scale", "--scale", str(SCALE)])
    assert result.exit_code == 0, result.output
    assert "enrollment" in result.output
    assert "Loaded" in result.output
    again = runner.invoke(args=["seed-scale", "--scale", str(SCALE)])
    assert again.exit_code == 1
    assert "already has data" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 400
        now = dt.datetime.now(dt.UTC)
        running = db.session.execute(
            sa.select(Circle.id, Circle.branch_id, Circle.room_id, Circle.timezone)
            .join(Meeting)
            .where(Circle.status == "published", Circle.room_id.is_not(None))
            .group_by(Circle.id)
            .having(sa.func.min(Meeting.starts_at) < now, sa.func.max(Meeting.starts_at) > now)
            .limit(1)
        ).one()
    # A new account after the load: the id sequences were moved past the seeded rows.
    sign_in(factory, client, "admin")
    week = TODAY.isoformat()
    for url in (
        f"/circles/{running.id}",
        "/circles/",
        f"/branches/{running.branch_id}/calendar?date={week}&room={running.room_id}",
        "/reports/",
    ):
        assert client.get(url).status_code == 200, url
