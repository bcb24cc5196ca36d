"""Status, role and kind columns: enums in Python, and refused by the database when outside
the enum (CHECK constraints on PostgreSQL, triggers on SQLite: migration 0009)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Attendance,
    AttendanceChange,
    AttendanceStatus,
    Booking,
    BookingKind,
    CareerGoal,
    Circle,
    CircleStatus,
    Credential,
    CredentialKind,
    DigestSubscription,
    FacilitatorRole,
    FeedScope,
    FeedToken,
    Interest,
    Meeting,
    NeedsAnswer,
    NeedsAnswerArea,
    NeedsSurvey,
    Outcome,
    OutcomeKind,
    OverflowOffer,
    Pathway,
    PathwayStep,
    Room,
    SelfPacedCompletion,
    SkillArea,
)
from tests.factories import enroll

VERSIONS = Path(__file__).parents[1] / "migrations" / "versions"
# The migrations that write out an enum's allowed values (ALLOWED): 0009 for the columns there
# were then, and each later one for the enum columns it adds.
MIGRATIONS = [
    VERSIONS / "0009_status_checks.py",
    VERSIONS / "0012_credentials.py",
    VERSIONS / "0013_pathways.py",
    VERSIONS / "0014_interest.py",
    VERSIONS / "0015_digest.py",
    VERSIONS / "0017_staff_development_rest.py",
]

# Column names that always hold a code from a fixed list.
CODE_COLUMNS = {
    "status",
    "role",
    "kind",
    "format",
    "audience",
    "scope",
    "career_stage",
    "skill_area",
}

# Enum members that are worked out when shown and never written.
NEVER_STORED = {("circle", "status"): {CircleStatus.in_progress}}


def enum_columns() -> list[sa.Column]:
    return [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.Enum)
    ]


def stored_values(column: sa.Column) -> set[str]:
    never = NEVER_STORED.get((column.table.name, column.name), set())
    return set(column.type.enums) - {str(v) for v in never}


def test_every_code_column_is_an_enum():
    """A new status (or role, kind, ...) column cannot be added as a plain string."""
    plain = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if (column.name in CODE_COLUMNS or column.name.endswith("_status"))
        and not isinstance(column.type, sa.Enum)
    ]
    assert plain == []
    for column in enum_columns():
        # VARCHAR in both databases, the check added by the migration rather than the type.
        assert column.type.native_enum is False, column
        assert column.type.create_constraint is False, column
        assert column.type.validate_strings is True, column
        assert column.type.length >= max(len(v) for v in column.type.enums), column


def test_the_migration_allows_exactly_the_values_each_enum_stores():
    """0009 writes its lists out (a migration must not change when the code does): they must
    say what the models say, so that a new enum member comes with a migration of its own."""
    in_migration = {}
    for path in MIGRATIONS:
        spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        in_migration |= {key: set(values) for key, values in migration.ALLOWED.items()}
    in_models = {
        (column.table.name, column.name, column.nullable): stored_values(column)
        for column in enum_columns()
    }
    assert in_migration == in_models


def test_python_refuses_a_value_outside_the_enum(app, world):
    circle_id = world.circle()
    with app.app_context():
        circle = db.session.get(Circle, circle_id)
        circle.status = "paused"
        with pytest.raises(sa.exc.StatementError, match="paused"):
            db.session.flush()
        db.session.rollback()


@pytest.fixture
def one_of_each(app, world) -> None:
    """At least one row in every table that has a status, role or kind column."""
    circle_id = world.circle()  # with its lead, meetings and course
    enrollment_id = enroll(app, circle_id, "Pat", "pat@example.org")
    with app.app_context():
        meeting = db.session.scalars(
            sa.select(Meeting).where(Meeting.circle_id == circle_id)
        ).first()
        attendance = Attendance(
            meeting_id=meeting.id, enrollment_id=enrollment_id, status=AttendanceStatus.present
        )
        db.session.add(attendance)
        db.session.flush()
        db.session.add_all(
            [
                AttendanceChange(
                    attendance_id=attendance.id,
                    old_status=AttendanceStatus.absent,
                    new_status=AttendanceStatus.present,
                ),
                Outcome(
                    circle_id=circle_id,
                    kind=OutcomeKind.certificate,
                    title="Certificate",
                    achieved_on=dt.date(2026, 1, 5),
                ),
                FeedToken(user_id=world.lead, scope=FeedScope.personal, token_hash="f" * 64),
                Credential(name="CHIS Level 1", kind=CredentialKind.credential),
                Pathway(
                    name="New staff",
                    career_stage="new_staff",
                    steps=[PathwayStep(skill_area=SkillArea.technology)],
                ),
                Interest(
                    user_id=world.participant,
                    skill_area=SkillArea.technology,
                    format="virtual",
                    time_of_day="evening",
                ),
                DigestSubscription(
                    email="pat@example.org",
                    timezone="America/New_York",
                    frequency="weekly",
                    career_stage="new_staff",
                    format="virtual",
                ),
            ]
        )
        course_id = db.session.get(Circle, circle_id).course_id
        survey = NeedsSurvey(year=2026, closes_on=dt.date(2026, 3, 1))
        db.session.add(survey)
        db.session.flush()
        db.session.add_all(
            [
                NeedsAnswer(
                    survey_id=survey.id,
                    user_id=world.participant,
                    career_goal=CareerGoal.lead,
                    format="virtual",
                    time_of_day="morning",
                    areas=[NeedsAnswerArea(skill_area=SkillArea.management)],
                ),
                SelfPacedCompletion(
                    user_id=world.participant, course_id=course_id, completed_on=dt.date(2026, 1, 5)
                ),
                OverflowOffer(
                    enrollment_id=enrollment_id, circle_id=circle_id, token_hash="o" * 64
                ),
            ]
        )
        booking = Booking(kind=BookingKind.event, title="Book club")
        booking.place(db.session.get(Room, world.small_room), meeting.starts_at, meeting.ends_at)
        db.session.add(booking)
        db.session.commit()


def test_the_orm_loads_enum_members(app, one_of_each):
    with app.app_context():
        for column in enum_columns():
            table = column.table
            value = db.session.scalar(sa.select(column).where(column.is_not(None)).limit(1))
            assert value is not None, f"no {table.name} row to load"
            assert isinstance(value, column.type.enum_class), f"{table.name}.{column.name}"
        circle = db.session.scalars(sa.select(Circle)).one()
        assert isinstance(circle.status, CircleStatus)
        assert isinstance(circle.facilitations[0].role, FacilitatorRole)
        assert circle.facilitations[0].is_lead


def _refusal(column: sa.Column) -> str:
    """What the database says when it refuses a value of this column."""
    table = column.table.name
    if db.engine.dialect.name == "postgresql":
        return f"ck_{table}_{column.name}"
    return f"{table}.{column.name} must be one of"


def _raw(value: str | None) -> sa.BindParameter:
    """A value bound as plain text, past the Enum type's own check: what raw SQL sends."""
    return sa.bindparam("value", value, type_=sa.String())


def _first_row(table: sa.Table) -> sa.ColumnElement[bool]:
    keys = table.primary_key.columns
    row = db.session.execute(sa.select(*keys).limit(1)).one()
    return sa.and_(*(key == row._mapping[key] for key in keys))


def test_the_database_takes_every_stored_value(app, one_of_each):
    with app.app_context():
        for column in enum_columns():
            first = _first_row(column.table)
            values = sorted(stored_values(column)) + ([None] if column.nullable else [])
            for value in values:
                db.session.execute(
                    sa.update(column.table).where(first).values({column: _raw(value)})
                )
                db.session.commit()
                assert db.session.scalar(sa.select(column).where(first)) == value, column


def test_the_database_refuses_a_value_outside_the_enum(app, one_of_each):
    """Past the ORM and the Enum type: an UPDATE and an INSERT of a value outside the enum."""
    with app.app_context():
        for column in enum_columns():
            table = column.table
            first = _first_row(table)
            with pytest.raises(sa.exc.IntegrityError, match=_refusal(column)):
                db.session.execute(sa.update(table).where(first).values({column: _raw("bogus")}))
            db.session.rollback()
            # A copy of that row with the bad value. The check comes before the primary key
            # and unique indexes would, so the refusal is the enum's whatever else clashes.
            own_key = [c.name for c in table.primary_key.columns] == ["id"]
            copied = [c for c in table.columns if not (own_key and c.name == "id")]
            chosen = [_raw("bogus") if c is column else c for c in copied]
            copy = sa.insert(table).from_select(copied, sa.select(*chosen).where(first))
            with pytest.raises(sa.exc.IntegrityError, match=_refusal(column)):
                db.session.execute(copy)
            db.session.rollback()
