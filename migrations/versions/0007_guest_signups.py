"""Guest sign-ups confirmed by email; guests' manage links stored hashed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:45:01

A guest's sign-up waits in guest_signup until the address confirms it; only then does it take
a seat or a waitlist place. Guests' manage links become opaque random tokens kept as SHA-256 on
the enrollment: links signed the old way stop working, and a guest gets a new one from the
"lost your link?" page.
"""

from alembic import op
import sqlalchemy as sa
import app.timeutil

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('guest_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('consent_contact', sa.Boolean(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('expires_at', app.timeutil.UTCDateTime(), nullable=False),
    sa.Column('used_at', app.timeutil.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['circle_id'], ['circle.id'], name=op.f('fk_guest_signup_circle_id_circle'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guest_signup')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_guest_signup_token_hash'))
    )
    with op.batch_alter_table('guest_signup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guest_signup_circle_id'), ['circle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_guest_signup_email'), ['email'], unique=False)

    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manage_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_enrollment_manage_token_hash'), ['manage_token_hash'], unique=True)



def downgrade():
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollment_manage_token_hash'))
        batch_op.drop_column('manage_token_hash')

    with op.batch_alter_table('guest_signup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guest_signup_email'))
        batch_op.drop_index(batch_op.f('ix_guest_signup_circle_id'))

    op.drop_table('guest_signup')
