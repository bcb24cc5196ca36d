"""Embeds for a library's website (issue 16): the origins allowed to frame them

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 10:20:00

- ``embed_origin``: each origin (``https://library.example``, normalised, unique) an
  administrator allows to show the embed pages in a frame; the embed pages' CSP
  ``frame-ancestors`` lists them, every other page keeps ``'none'``. Who added it is kept
  (set to NULL if that account is ever deleted).
- A new table: nothing existing is copied or changed on either database.
"""

import sqlalchemy as sa
from alembic import op

import app.timeutil

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "embed_origin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user.id"],
            name=op.f("fk_embed_origin_added_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_embed_origin")),
        sa.UniqueConstraint("origin", name=op.f("uq_embed_origin_origin")),
    )


def downgrade():
    op.drop_table("embed_origin")
