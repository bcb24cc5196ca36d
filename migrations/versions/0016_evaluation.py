"""Evaluation: survey answers, survey invitations, wrap-ups, a meeting's reflection

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 05:05:00

- ``survey_answer``: a participant's end-of-circle answer, one per place (unique
  ``enrollment_id``); both ratings 1 to 5 (CHECK).
- ``survey_invitation``: the invitation to answer, sent once per place.
- ``wrap_up``: the facilitators' wrap-up, one per circle.
- ``meeting.reflection``: the facilitator's optional one-line reflection (200 characters).
"""

import sqlalchemy as sa
from alembic import op

import app.timeutil

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("goal_met", sa.Boolean(), nullable=False),
        sa.Column("recommend", sa.Boolean(), nullable=False),
        sa.Column("changed_work", sa.Text(), nullable=False),
        sa.Column("course_rating", sa.SmallInteger(), nullable=False),
        sa.Column("circle_rating", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "course_rating BETWEEN 1 AND 5", name=op.f("ck_survey_answer_course_rating_range")
        ),
        sa.CheckConstraint(
            "circle_rating BETWEEN 1 AND 5", name=op.f("ck_survey_answer_circle_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_survey_answer_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_survey_answer_enrollment_id_enrollment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_survey_answer_enrollment_id")),
    )
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_answer_circle_id"), ["circle_id"], unique=False)
    op.create_table(
        "survey_invitation",
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_survey_invitation_enrollment_id_enrollment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrollment_id", name=op.f("pk_survey_invitation")),
    )
    op.create_table(
        "wrap_up",
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("went_well", sa.Text(), nullable=False),
        sa.Column("attendance_notes", sa.Text(), nullable=False),
        sa.Column("would_run_again", sa.Boolean(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_wrap_up_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["user.id"],
            name=op.f("fk_wrap_up_written_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("circle_id", name=op.f("pk_wrap_up")),
    )
    # Never copy the meeting table on SQLite (its children cascade): ALTER TABLE in place.
    with op.batch_alter_table("meeting", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reflection", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("meeting", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("reflection")
    op.drop_table("wrap_up")
    op.drop_table("survey_invitation")
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_answer_circle_id"))
    op.drop_table("survey_answer")
