"""Staff development, the rest: credential renewal, self-paced completions, the yearly needs
survey, overflow cohorts, home branches

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 06:12:22

- ``credential.renewal_months`` (1 to 120, or none: never lapses) and
  ``credential.renewal_ce_hours``; ``credential_reminder``: a lapse reminded once per outcome
  and lapse date.
- ``self_paced_completion``: a course finished on one's own, pathway evidence once a manager
  confirms it; one per person and course.
- ``needs_survey`` (one per year), ``needs_answer`` (one per person and survey) and
  ``needs_answer_area`` (the skill areas an answer asks for).
- ``overflow_offer``: a seat in an overflow cohort offered to a waitlisted place of a full
  circle, in waitlist order.
- ``user.home_branch_id``: where a person works, which makes them their managers' own staff;
  a plain foreign key (NO ACTION, as 0012's ``outcome.credential_id``, for the same reason: SQLite
  reads back no ON DELETE of a column added in place).
- On SQLite the columns of existing tables are added in place (``ALTER TABLE ... ADD COLUMN``):
  copying ``user`` or ``credential`` (batch mode's default) would cascade-delete
  their children and drop 0009's triggers on them.
- The enum columns are refused outside their lists by the database, as 0009 does for every
  enum: CHECK constraints on PostgreSQL, triggers on SQLite.
"""

import sqlalchemy as sa
from alembic import op

import app.timeutil
from migrations import enum_checks

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SKILL_AREAS = (
    "management",
    "collection_management",
    "programming",
    "outreach",
    "technology",
    "customer_service",
    "health_information",
    "grant_writing",
    "leadership",
    "digital_literacy",
)
# (table, column, nullable): allowed values (read by tests/test_models.py, as 0009's are).
ALLOWED = {
    ("needs_survey", "status", False): ("open", "closed"),
    ("needs_answer", "career_goal", False): ("advance", "lead", "milestone", "deepen"),
    ("needs_answer", "format", False): ("in_person", "virtual", "on_demand"),
    ("needs_answer", "time_of_day", False): ("morning", "afternoon", "evening"),
    ("needs_answer_area", "skill_area", False): SKILL_AREAS,
    ("self_paced_completion", "status", False): ("reported", "confirmed", "declined"),
    ("overflow_offer", "status", False): ("offered", "accepted", "declined"),
}

# The CHECKs on the credential's renewal columns, written out as the model's are.
RENEWAL_MONTHS_CHECK = "renewal_months IS NULL OR (renewal_months >= 1 AND renewal_months <= 120)"
RENEWAL_HOURS_CHECK = "renewal_ce_hours IS NULL OR renewal_ce_hours >= 0"


def _add_columns_in_place():
    if op.get_bind().dialect.name == "sqlite":
        for statement in (
            'ALTER TABLE "user" ADD COLUMN home_branch_id INTEGER '
            "CONSTRAINT fk_user_home_branch_id_branch REFERENCES branch (id)",
            "ALTER TABLE credential ADD COLUMN renewal_months INTEGER "
            f"CONSTRAINT ck_credential_renewal_months_range CHECK ({RENEWAL_MONTHS_CHECK})",
            "ALTER TABLE credential ADD COLUMN renewal_ce_hours NUMERIC(6, 2) "
            f"CONSTRAINT ck_credential_renewal_ce_hours_positive CHECK ({RENEWAL_HOURS_CHECK})",
        ):
            op.execute(statement)
        return
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("home_branch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_user_home_branch_id_branch"),
            "branch",
            ["home_branch_id"],
            ["id"],
        )
    with op.batch_alter_table("credential", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("renewal_months", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("renewal_ce_hours", sa.Numeric(precision=6, scale=2), nullable=True)
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_credential_renewal_months_range"), RENEWAL_MONTHS_CHECK
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_credential_renewal_ce_hours_positive"), RENEWAL_HOURS_CHECK
        )


def upgrade():
    op.create_table(
        "needs_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_survey")),
        sa.UniqueConstraint("year", name=op.f("uq_needs_survey_year")),
    )
    op.create_table(
        "needs_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("career_goal", sa.String(length=12), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("time_of_day", sa.String(length=12), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["needs_survey.id"],
            name=op.f("fk_needs_answer_survey_id_needs_survey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_needs_answer_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_answer")),
        sa.UniqueConstraint("survey_id", "user_id", name=op.f("uq_needs_answer_survey_id")),
    )
    with op.batch_alter_table("needs_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_needs_answer_survey_id"), ["survey_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_needs_answer_user_id"), ["user_id"], unique=False)

    op.create_table(
        "self_paced_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", app.timeutil.UTCDateTime(), nullable=True),
        sa.Column("review_note", sa.String(length=300), nullable=False),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_self_paced_completion_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user.id"],
            name=op.f("fk_self_paced_completion_reviewed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_self_paced_completion_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_paced_completion")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_self_paced_completion_user_id")),
    )
    with op.batch_alter_table("self_paced_completion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_paced_completion_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_self_paced_completion_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_self_paced_completion_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "needs_answer_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("skill_area", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["needs_answer.id"],
            name=op.f("fk_needs_answer_area_answer_id_needs_answer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs_answer_area")),
        sa.UniqueConstraint("answer_id", "skill_area", name=op.f("uq_needs_answer_area_answer_id")),
    )
    with op.batch_alter_table("needs_answer_area", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_needs_answer_area_answer_id"), ["answer_id"], unique=False
        )

    op.create_table(
        "overflow_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("offered_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.Column("answered_at", app.timeutil.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_overflow_offer_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_overflow_offer_enrollment_id_enrollment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overflow_offer")),
        sa.UniqueConstraint(
            "enrollment_id", "circle_id", name=op.f("uq_overflow_offer_enrollment_id")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_overflow_offer_token_hash")),
    )
    with op.batch_alter_table("overflow_offer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_overflow_offer_circle_id"), ["circle_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_overflow_offer_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_overflow_offer_status"), ["status"], unique=False)

    op.create_table(
        "credential_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("lapses_on", sa.Date(), nullable=False),
        sa.Column("sent_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["outcome.id"],
            name=op.f("fk_credential_reminder_outcome_id_outcome"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_reminder")),
        sa.UniqueConstraint(
            "outcome_id", "lapses_on", name=op.f("uq_credential_reminder_outcome_id")
        ),
    )
    with op.batch_alter_table("credential_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credential_reminder_outcome_id"), ["outcome_id"], unique=False
        )

    _add_columns_in_place()
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_home_branch_id"), ["home_branch_id"], unique=False
        )
    enum_checks.create(ALLOWED)


def downgrade():
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_home_branch_id"))
    if op.get_bind().dialect.name == "sqlite":
        # In place: each CHECK is the column's own, which SQLite's DROP COLUMN allows.
        for table, column in (
            ("credential", "renewal_ce_hours"),
            ("credential", "renewal_months"),
            ("user", "home_branch_id"),
        ):
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN {column}')
    else:
        with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
            batch_op.drop_constraint(
                batch_op.f("fk_user_home_branch_id_branch"), type_="foreignkey"
            )
            batch_op.drop_column("home_branch_id")
        with op.batch_alter_table("credential", schema=None, recreate="never") as batch_op:
            batch_op.drop_column("renewal_ce_hours")  # its CHECK goes with it
            batch_op.drop_column("renewal_months")
    # Dropping a table drops its CHECK constraints and SQLite triggers with it.
    with op.batch_alter_table("credential_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_reminder_outcome_id"))

    op.drop_table("credential_reminder")
    with op.batch_alter_table("overflow_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overflow_offer_status"))
        batch_op.drop_index(batch_op.f("ix_overflow_offer_enrollment_id"))
        batch_op.drop_index(batch_op.f("ix_overflow_offer_circle_id"))

    op.drop_table("overflow_offer")
    with op.batch_alter_table("needs_answer_area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_answer_area_answer_id"))

    op.drop_table("needs_answer_area")
    with op.batch_alter_table("self_paced_completion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_paced_completion_user_id"))
        batch_op.drop_index(batch_op.f("ix_self_paced_completion_status"))
        batch_op.drop_index(batch_op.f("ix_self_paced_completion_course_id"))

    op.drop_table("self_paced_completion")
    with op.batch_alter_table("needs_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_needs_answer_user_id"))
        batch_op.drop_index(batch_op.f("ix_needs_answer_survey_id"))

    op.drop_table("needs_answer")
    op.drop_table("needs_survey")
