"""Pathways by career stage: the pathways, their ordered steps and who follows them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 04:05:43

- ``pathway``: a name (unique), a career stage, a goal and description, and a status (draft,
  published, retired).
- ``pathway_step``: one step of a pathway, in ``position`` order: a course, any course in a
  skill area, or a credential from the admin's list, possibly optional. Each target once per
  pathway (three unique constraints: NULLs do not clash). Courses and credentials in use
  cannot be deleted under a step (NO ACTION).
- ``pathway_member``: who follows which pathway, once (unique).
- The status, career stage and skill area are refused outside their lists by the database,
  as 0009 does for every enum: CHECK constraints on PostgreSQL, triggers on SQLite.
"""

import sqlalchemy as sa
from alembic import op

from migrations import enum_checks

import app.timeutil

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

STAGES = ("new_staff", "emerging_managers", "experienced_staff", "all")
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
    ("pathway", "career_stage", False): STAGES,
    ("pathway", "status", False): ("draft", "published", "retired"),
    ("pathway_step", "skill_area", True): SKILL_AREAS,
}


def upgrade():
    op.create_table(
        'pathway',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('career_stage', sa.String(length=32), nullable=False),
        sa.Column('goal', sa.String(length=300), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', app.timeutil.UTCDateTime(), nullable=False),
        sa.Column('updated_at', app.timeutil.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway')),
        sa.UniqueConstraint('name', name=op.f('uq_pathway_name')),
    )
    with op.batch_alter_table('pathway', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_status'), ['status'], unique=False)

    op.create_table(
        'pathway_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pathway_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('joined_at', app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['pathway_id'],
            ['pathway.id'],
            name=op.f('fk_pathway_member_pathway_id_pathway'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['user.id'],
            name=op.f('fk_pathway_member_user_id_user'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_member')),
        sa.UniqueConstraint('pathway_id', 'user_id', name=op.f('uq_pathway_member_pathway_id')),
    )
    with op.batch_alter_table('pathway_member', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_pathway_member_pathway_id'), ['pathway_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_pathway_member_user_id'), ['user_id'], unique=False)

    op.create_table(
        'pathway_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pathway_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('skill_area', sa.String(length=32), nullable=True),
        sa.Column('credential_id', sa.Integer(), nullable=True),
        sa.Column('optional', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ['course_id'], ['course.id'], name=op.f('fk_pathway_step_course_id_course')
        ),
        sa.ForeignKeyConstraint(
            ['credential_id'],
            ['credential.id'],
            name=op.f('fk_pathway_step_credential_id_credential'),
        ),
        sa.ForeignKeyConstraint(
            ['pathway_id'],
            ['pathway.id'],
            name=op.f('fk_pathway_step_pathway_id_pathway'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_step')),
        sa.UniqueConstraint('pathway_id', 'course_id', name='uq_pathway_step_course'),
        sa.UniqueConstraint('pathway_id', 'credential_id', name='uq_pathway_step_credential'),
        sa.UniqueConstraint('pathway_id', 'skill_area', name='uq_pathway_step_skill_area'),
    )
    with op.batch_alter_table('pathway_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_step_course_id'), ['course_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_pathway_step_credential_id'), ['credential_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_pathway_step_pathway_id'), ['pathway_id'], unique=False
        )
    enum_checks.create(ALLOWED)


def downgrade():
    # Dropping the tables drops their CHECK constraints and SQLite triggers with them.
    with op.batch_alter_table('pathway_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_step_pathway_id'))
        batch_op.drop_index(batch_op.f('ix_pathway_step_credential_id'))
        batch_op.drop_index(batch_op.f('ix_pathway_step_course_id'))
    op.drop_table('pathway_step')
    with op.batch_alter_table('pathway_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_pathway_member_pathway_id'))
    op.drop_table('pathway_member')
    with op.batch_alter_table('pathway', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_status'))
    op.drop_table('pathway')
