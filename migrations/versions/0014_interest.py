"""Interest and demand: who would join a circle on a course or in a skill area, and how

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:32:54

- ``interest``: one person's interest in a course or a skill area (exactly one of the two,
  which the services see to), with the format, time of day and (optional) branch they
  prefer; once per person and target (two unique constraints: NULLs do not clash).
  ``status`` says whether a circle on the course has invited them yet (``invited_at``,
  ``invited_circle_id``).
- The enum columns are refused outside their lists by the database, as 0009 does for every
  enum: CHECK constraints on PostgreSQL, triggers on SQLite.
"""

import sqlalchemy as sa
from alembic import op

from migrations import enum_checks

import app.timeutil

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
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
    ("interest", "skill_area", True): SKILL_AREAS,
    ("interest", "format", False): ("in_person", "virtual", "on_demand"),
    ("interest", "time_of_day", False): ("morning", "afternoon", "evening"),
    ("interest", "status", False): ("waiting", "invited"),
}


def upgrade():
    op.create_table(
        'interest',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('skill_area', sa.String(length=32), nullable=True),
        sa.Column('format', sa.String(length=12), nullable=False),
        sa.Column('time_of_day', sa.String(length=12), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('invited_at', app.timeutil.UTCDateTime(), nullable=True),
        sa.Column('invited_circle_id', sa.Integer(), nullable=True),
        sa.Column('created_at', app.timeutil.UTCDateTime(), nullable=False),
        sa.Column('updated_at', app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['branch_id'],
            ['branch.id'],
            name=op.f('fk_interest_branch_id_branch'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['course_id'],
            ['course.id'],
            name=op.f('fk_interest_course_id_course'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['invited_circle_id'],
            ['circle.id'],
            name=op.f('fk_interest_invited_circle_id_circle'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user.id'], name=op.f('fk_interest_user_id_user'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interest')),
        sa.UniqueConstraint('user_id', 'course_id', name='uq_interest_course'),
        sa.UniqueConstraint('user_id', 'skill_area', name='uq_interest_skill_area'),
    )
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interest_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_interest_user_id'), ['user_id'], unique=False)
    enum_checks.create(ALLOWED)


def downgrade():
    # Dropping the table drops its CHECK constraints and SQLite triggers with it.
    with op.batch_alter_table('interest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interest_user_id'))
        batch_op.drop_index(batch_op.f('ix_interest_status'))
        batch_op.drop_index(batch_op.f('ix_interest_course_id'))
        batch_op.drop_index(batch_op.f('ix_interest_branch_id'))
    op.drop_table('interest')
