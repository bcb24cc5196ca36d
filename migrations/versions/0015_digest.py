"""The Learning Services digest: subscriptions, what each was sent, extra email headers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 04:49:12

- ``digest_subscription``: a person's (``user_id``) or a confirmed guest's weekly or monthly
  digest of new and upcoming circles, with its filters (skill areas and branches as JSON
  lists, career stage, format; empty means any). ``confirmed_at`` is empty until a guest
  confirms their address; ``last_sent_at`` says when the next digest is due.
- ``digest_sent``: each circle a subscription was told of, once (primary key).
- ``outbox_message.headers``: extra header lines (JSON), for RFC 8058 List-Unsubscribe.
- The enum columns are refused outside their lists by the database, as 0009 does.
"""

import sqlalchemy as sa
from alembic import op

import app.timeutil
from migrations import enum_checks

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# (table, column, nullable): allowed values (read by tests/test_models.py, as 0009's are).
ALLOWED = {
    ("digest_subscription", "frequency", False): ("weekly", "monthly"),
    ("digest_subscription", "career_stage", True): (
        "new_staff",
        "emerging_managers",
        "experienced_staff",
        "all",
    ),
    ("digest_subscription", "format", True): ("in_person", "virtual", "hybrid"),
}


def upgrade():
    op.create_table(
        "digest_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("skill_areas", sa.JSON(), nullable=False),
        sa.Column("branch_ids", sa.JSON(), nullable=False),
        sa.Column("career_stage", sa.String(length=32), nullable=True),
        sa.Column("format", sa.String(length=12), nullable=True),
        sa.Column("confirmed_at", app.timeutil.UTCDateTime(), nullable=True),
        sa.Column("last_sent_at", app.timeutil.UTCDateTime(), nullable=True),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_digest_subscription_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscription")),
    )
    with op.batch_alter_table("digest_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digest_subscription_confirmed_at"), ["confirmed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_digest_subscription_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "digest_sent",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"],
            ["circle.id"],
            name=op.f("fk_digest_sent_circle_id_circle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscription.id"],
            name=op.f("fk_digest_sent_subscription_id_digest_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "circle_id", name=op.f("pk_digest_sent")),
    )
    with op.batch_alter_table("digest_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_sent_circle_id"), ["circle_id"], unique=False)
    # Never copy the outbox on SQLite (ALTER TABLE ADD/DROP COLUMN in place), as 0011 does.
    with op.batch_alter_table("outbox_message", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))
    enum_checks.create(ALLOWED)


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("headers")
    # Dropping the tables drops their CHECK constraints and SQLite triggers with them.
    with op.batch_alter_table("digest_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_sent_circle_id"))
    op.drop_table("digest_sent")
    with op.batch_alter_table("digest_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_subscription_user_id"))
        batch_op.drop_index(batch_op.f("ix_digest_subscription_confirmed_at"))
    op.drop_table("digest_subscription")
