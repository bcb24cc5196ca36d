"""Attendance counts kept on each meeting (issue 15): the admin report added up every
attendance mark of the state (269,000 on the statewide data) on each request; it now adds up
two counts per meeting (bench/README.md, section 3)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 10:00:00

- ``meeting.present_count`` and ``meeting.marked_count``: how many of the meeting's marks say
  present, and how many marks it has (present, absent or excused). Whatever writes marks
  through the ORM counts them again in the same transaction (app.models.attendance); the
  seed's bulk load writes them itself. A CHECK keeps 0 <= present <= marked.
- Filled here from the marks there are, in one UPDATE per table (tens of thousands of
  meetings: a short lock on rows no request writes while the app is being upgraded).
- On SQLite the columns are added in place (``ALTER TABLE ... ADD COLUMN``), as 0017 does:
  copying ``meeting`` (batch mode's default) would cascade-delete its bookings, marks and
  sheets.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

COUNTS_CHECK = "present_count >= 0 AND present_count <= marked_count"

# The marks there are, counted per meeting (the statuses are the three 0009 allows).
BACKFILL = """
UPDATE meeting SET
    present_count = (
        SELECT count(*) FROM attendance
        WHERE attendance.meeting_id = meeting.id AND attendance.status = 'present'
    ),
    marked_count = (SELECT count(*) FROM attendance WHERE attendance.meeting_id = meeting.id)
WHERE EXISTS (SELECT 1 FROM attendance WHERE attendance.meeting_id = meeting.id)
"""


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE meeting ADD COLUMN present_count INTEGER DEFAULT '0' NOT NULL")
        op.execute(
            "ALTER TABLE meeting ADD COLUMN marked_count INTEGER DEFAULT '0' NOT NULL "
            f"CONSTRAINT ck_meeting_attendance_counts CHECK ({COUNTS_CHECK})"
        )
    else:
        with op.batch_alter_table("meeting", schema=None, recreate="never") as batch_op:
            batch_op.add_column(
                sa.Column("present_count", sa.Integer(), server_default="0", nullable=False)
            )
            batch_op.add_column(
                sa.Column("marked_count", sa.Integer(), server_default="0", nullable=False)
            )
            batch_op.create_check_constraint(
                batch_op.f("ck_meeting_attendance_counts"), COUNTS_CHECK
            )
    op.execute(BACKFILL)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # In place: the CHECK is marked_count's own, which SQLite's DROP COLUMN allows, and
        # once it is gone nothing refers to present_count.
        op.execute("ALTER TABLE meeting DROP COLUMN marked_count")
        op.execute("ALTER TABLE meeting DROP COLUMN present_count")
        return
    with op.batch_alter_table("meeting", schema=None, recreate="never") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_meeting_attendance_counts"), type_="check")
        batch_op.drop_column("marked_count")
        batch_op.drop_column("present_count")
