"""Credentials: the list the admin keeps, and each outcome's link to it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12 10:00:00

- ``credential``: a credential or certificate by one name (unique whatever its case and
  spacing: ``name_key``), with who awards it and its CE hours; retired, not deleted.
- ``outcome.credential_id``: a plain foreign key (NO ACTION, which refuses like RESTRICT: the
  delete of a credential that outcomes name fails), so a credential in use cannot disappear
  from under them. On SQLite it is added in place (``ALTER TABLE ... ADD COLUMN ...
  REFERENCES``): copying the outcome table (batch mode's default) would drop 0009's triggers
  on it. SQLite keeps no ON DELETE clause of a column added so that SQLAlchemy can read back,
  which is why none is written (an explicit RESTRICT would show as drift there).
- ``credential.kind`` is refused outside its list by the database, as 0009 does for every
  enum: a CHECK constraint on PostgreSQL, two triggers on SQLite.
- Data: one credential per distinct (kind, title without case or extra spaces) among the
  existing credential and certificate outcomes, named by the spelling used most (the
  earliest on a tie), with the CE hours given most often; those outcomes are linked to it.

The allowed kinds and the key (what ``app.models.credential_key`` does) are written out here:
a migration must do the same thing whenever it runs.
"""

import datetime as dt
from collections import Counter, defaultdict

import sqlalchemy as sa
from alembic import op

from migrations import enum_checks

import app.timeutil

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# (table, column, nullable): allowed values (read by tests/test_models.py, as 0009's are).
ALLOWED = {("credential", "kind", False): ("credential", "certificate")}
KINDS = ALLOWED[("credential", "kind", False)]


def _key(name):
    return " ".join(name.split()).casefold()


def _link_existing_outcomes():
    conn = op.get_bind()
    outcome = sa.table(
        "outcome",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("title", sa.String),
        sa.column("ce_hours", sa.Numeric(6, 2)),
        sa.column("credential_id", sa.Integer),
    )
    credential = sa.table(
        "credential",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
        sa.column("awarding_body", sa.String),
        sa.column("ce_hours", sa.Numeric(6, 2)),
        sa.column("kind", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", app.timeutil.UTCDateTime),
        sa.column("updated_at", app.timeutil.UTCDateTime),
    )
    rows = conn.execute(
        sa.select(outcome.c.id, outcome.c.kind, outcome.c.title, outcome.c.ce_hours)
        .where(outcome.c.kind.in_(KINDS))
        .order_by(outcome.c.id)
    ).all()
    groups = defaultdict(list)
    for row in rows:
        if row.title.strip():
            groups[(row.kind, _key(row.title))].append(row)
    now = dt.datetime.now(dt.UTC)
    taken = set()
    for (kind, key), members in sorted(groups.items(), key=lambda item: item[1][0].id):
        spellings = Counter(" ".join(r.title.split()) for r in members)
        name = spellings.most_common(1)[0][0]  # on a tie, the one seen first
        if key in taken:  # the same name as a credential of the other kind
            name, key = f"{name} ({kind})", _key(f"{name} ({kind})")
        taken.add(key)
        hours = Counter(r.ce_hours for r in members if r.ce_hours is not None)
        ce_hours = max(hours, key=lambda h: (hours[h], h)) if hours else None
        credential_id = conn.execute(
            credential.insert()
            .values(
                name=name[:200],
                name_key=key[:200],
                awarding_body="",
                ce_hours=ce_hours,
                kind=kind,
                active=True,
                created_at=now,
                updated_at=now,
            )
            .returning(credential.c.id)
        ).scalar_one()
        conn.execute(
            outcome.update()
            .where(outcome.c.id.in_([r.id for r in members]))
            .values(credential_id=credential_id)
        )


def upgrade():
    op.create_table(
        'credential',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('awarding_body', sa.String(length=200), nullable=False),
        sa.Column('ce_hours', sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', app.timeutil.UTCDateTime(), nullable=False),
        sa.Column('updated_at', app.timeutil.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            'ce_hours IS NULL OR ce_hours >= 0', name=op.f('ck_credential_ce_hours_positive')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credential')),
        sa.UniqueConstraint('name_key', name=op.f('uq_credential_name_key')),
    )
    enum_checks.create(ALLOWED)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE outcome ADD COLUMN credential_id INTEGER "
            "CONSTRAINT fk_outcome_credential_id_credential "
            "REFERENCES credential (id) ON DELETE RESTRICT"
        )
    else:
        with op.batch_alter_table('outcome', schema=None, recreate="never") as batch_op:
            batch_op.add_column(sa.Column('credential_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f('fk_outcome_credential_id_credential'),
                'credential',
                ['credential_id'],
                ['id'],
            )
    with op.batch_alter_table('outcome', schema=None, recreate="never") as batch_op:
        batch_op.create_index(
            batch_op.f('ix_outcome_credential_id'), ['credential_id'], unique=False
        )
    _link_existing_outcomes()


def downgrade():
    with op.batch_alter_table('outcome', schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_credential_id'))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE outcome DROP COLUMN credential_id")
    else:
        with op.batch_alter_table('outcome', schema=None, recreate="never") as batch_op:
            batch_op.drop_constraint(
                batch_op.f('fk_outcome_credential_id_credential'), type_='foreignkey'
            )
            batch_op.drop_column('credential_id')
    op.drop_table('credential')  # its kind check (or SQLite triggers) goes with it
