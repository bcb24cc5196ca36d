"""Reply-To on queued email; how far each facilitator's daily digest has got

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-11 10:00:00

- ``outbox_message.reply_to``: where answers go. Emails to a circle's participants carry the
  lead facilitator's address, so that a reply reaches a person, not the app's no-reply sender.
- ``facilitator_digest``: per facilitator, the end of the time their last daily digest covered
  (``flask digests send``): the next digest tells what happened after it.
"""

import sqlalchemy as sa
from alembic import op

import app.timeutil

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=254), nullable=True))
    op.create_table(
        'facilitator_digest',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('covered_until', app.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'],
            ['user.id'],
            name=op.f('fk_facilitator_digest_user_id_user'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_facilitator_digest')),
    )


def downgrade():
    op.drop_table('facilitator_digest')
    with op.batch_alter_table('outbox_message', schema=None, recreate="never") as batch_op:
        batch_op.drop_column('reply_to')
