"""Statewide indexes (issue 15): what the slowest queries of the benchmarked pages need on the
statewide data (bench/README.md shows their EXPLAIN ANALYZE before and after)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 07:15:00

- ``ix_enrollment_email`` on ``enrollment.email``: a person's places are matched by account or
  by email (pathway evidence on the demand board and pathway progress, a guest's places). The
  only index with ``email`` was the partial unique one led by ``circle_id``, so every match by
  email read the whole table.
- A plain CREATE INDEX: it runs inside the migration's transaction on both databases and the
  table is small enough (tens of thousands of rows) for its short write lock.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_enrollment_email", "enrollment", ["email"])


def downgrade():
    op.drop_index("ix_enrollment_email", table_name="enrollment")
