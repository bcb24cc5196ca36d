"""One live secret link per user and feed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00

Simultaneous "new link" clicks could leave two links live on PostgreSQL. Older duplicates
are revoked first (the newest link of each feed stays), then partial unique indexes hold it.
"""

import datetime as dt

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LIVE = "revoked_at IS NULL"


def upgrade():
    token = sa.table(
        "feed_token",
        sa.column("id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("scope", sa.String),
        sa.column("target_id", sa.Integer),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    newer = token.alias("newer")
    has_newer = (
        sa.select(newer.c.id)
        .where(
            newer.c.user_id == token.c.user_id,
            newer.c.scope == token.c.scope,
            sa.func.coalesce(newer.c.target_id, 0) == sa.func.coalesce(token.c.target_id, 0),
            newer.c.revoked_at.is_(None),
            newer.c.id > token.c.id,
        )
        .exists()
    )
    now = dt.datetime.now(dt.UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # how app.timeutil.UTCDateTime stores it there
    op.execute(token.update().where(token.c.revoked_at.is_(None), has_newer).values(revoked_at=now))
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.create_index(
            "uq_feed_token_live_target",
            ["user_id", "scope", "target_id"],
            unique=True,
            sqlite_where=sa.text(f"{LIVE} AND target_id IS NOT NULL"),
            postgresql_where=sa.text(f"{LIVE} AND target_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_feed_token_live_own",
            ["user_id", "scope"],
            unique=True,
            sqlite_where=sa.text(f"{LIVE} AND target_id IS NULL"),
            postgresql_where=sa.text(f"{LIVE} AND target_id IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.drop_index("uq_feed_token_live_own")
        batch_op.drop_index("uq_feed_token_live_target")
