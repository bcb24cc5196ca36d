"""Reach and privacy (issue 16): personal API tokens, anonymised accounts and places, the
language of guests' emails

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 12:45:00

- ``api_token``: a person's tokens for staff tools (only the SHA-256 of the secret kept,
  unique; scopes as a JSON list; revoked or expiring). Deleted with the person.
- ``user.anonymised_at``: the account was deleted; its row stays without personal data so
  that the report figures it counts in do not change.
- ``enrollment.anonymised_at`` / ``enrollment.contact_removed_at``: a place whose name,
  email and answers were replaced, or whose contact details were removed after the
  retention period.
- ``enrollment.locale`` / ``guest_signup.locale``: the language a guest's emails go out in.
- Columns are added and dropped in place (``recreate="never"``: SQLite's own ADD/DROP
  COLUMN), because rebuilding ``user`` would turn 0017's column-level foreign key into a
  table constraint that 0017's downgrade cannot drop.
- All new columns are nullable: existing rows keep their meaning (nothing anonymised, the
  default language) on either database.
"""

import sqlalchemy as sa
from alembic import op

import app.timeutil

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.Column("expires_at", app.timeutil.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", app.timeutil.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", app.timeutil.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_api_token_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", app.timeutil.UTCDateTime(), nullable=True))
    with op.batch_alter_table("enrollment", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", app.timeutil.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("contact_removed_at", app.timeutil.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("guest_signup", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table("guest_signup", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("locale")
    with op.batch_alter_table("enrollment", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("contact_removed_at")
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("locale")
    with op.batch_alter_table("user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("anonymised_at")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))
    op.drop_table("api_token")
