"""The database refuses a status, role or kind outside its enum

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09 10:00:00

The models type these columns as enums (``app/models/base.py: enum_column``), which refuses an
unknown value in Python; this makes the database refuse it too, whatever writes to it (raw SQL,
another tool, a future bug). The column type stays VARCHAR(n), so nothing is copied.

- PostgreSQL: one CHECK constraint per column, ``ck_<table>_<column>``. Adding it validates
  every existing row.
- SQLite cannot add a CHECK to an existing table without copying it (batch mode's "recreate"),
  and a copy drops the old table: with foreign keys on, SQLite deletes its rows first and
  cascades to their children (see 0008), and the booking overlap triggers of 0003 go with it.
  So each column gets two triggers instead, BEFORE INSERT and BEFORE UPDATE OF the column,
  that abort with ``<table>.<column> must be one of ...``. Triggers do not look at the rows
  already there, so the upgrade checks them first, on both databases, and names what is wrong.

The allowed values are written out here, not read from ``app.models``: a migration must do
the same thing whenever it runs. Changing an enum later needs a migration of its own.
``circle.status`` has no ``in_progress``: that state is shown, never stored.
"""

from alembic import op

from migrations import enum_checks

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# (table, column, nullable): allowed values.
ALLOWED = {
    ("circle", "format", False): ("in_person", "virtual", "hybrid"),
    ("circle", "audience", False): ("staff", "public"),
    ("circle", "status", False): ("draft", "published", "completed", "cancelled"),
    ("facilitation", "role", False): ("lead", "co"),
    ("meeting", "status", False): ("scheduled", "cancelled"),
    ("attendance", "status", False): ("present", "absent", "excused"),
    ("attendance_change", "old_status", True): ("present", "absent", "excused"),
    ("attendance_change", "new_status", False): ("present", "absent", "excused"),
    ("outcome", "kind", False): ("credential", "certificate", "grant", "promotion", "other"),
    ("outcome", "status", False): ("reported", "confirmed"),
    ("course", "format", False): ("self_paced", "scheduled", "on_demand_video"),
    ("course", "skill_area", False): (
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
    ),
    ("course", "career_stage", False): (
        "new_staff",
        "emerging_managers",
        "experienced_staff",
        "all",
    ),
    ("feed_token", "scope", False): ("branch", "room", "facilitator", "personal"),
    ("enrollment", "status", False): ("enrolled", "waitlisted", "withdrawn", "completed"),
    ("booking", "kind", False): ("meeting", "event", "block"),
    ("booking", "status", False): ("active", "cancelled"),
}


def upgrade():
    enum_checks.refuse_rows_outside(ALLOWED)
    enum_checks.create(ALLOWED)


def downgrade():
    enum_checks.drop(ALLOWED)
