"""Drop circle.signup_opens_at: nothing ever set or read it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00

Batch mode with ``recreate="never"``: on SQLite the column goes by ``ALTER TABLE ... DROP
COLUMN`` (SQLite 3.35+), not by copying the circle table into a new one. A copy would drop the
old table, and with foreign keys on, SQLite deletes a dropped table's rows first, cascading to
every meeting, facilitation and enrollment of every circle.
"""

import sqlite3

import sqlalchemy as sa
from alembic import op

import app.timeutil

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(
            f"SQLite {sqlite3.sqlite_version} cannot drop a column in place; 3.35 or newer is "
            "needed (copying the circle table would delete its meetings and enrollments)."
        )
    with op.batch_alter_table('circle', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('signup_opens_at')


def downgrade():
    with op.batch_alter_table('circle', schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column('signup_opens_at', app.timeutil.UTCDateTime(), nullable=True)
        )
