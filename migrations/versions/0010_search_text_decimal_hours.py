"""Search without accents or case; decimal course hours

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 10:00:00

- ``course``, ``circle`` and ``user`` get ``search_text``: their searched fields, casefolded,
  decomposed (NFKD) and without combining marks, one field a line, so that "informatica"
  finds "Informática" the same way on SQLite and PostgreSQL (``app/models/search.py`` keeps it
  up to date). The rows already there are filled here, with the same folding written out
  below (a migration must do the same thing whenever it runs).
- ``course.hours`` becomes NUMERIC(5, 2) so a course can take 1.5 hours. PostgreSQL changes
  the type in place. SQLite cannot, short of copying the table, and a copy drops the old one:
  with foreign keys on, that fails (circles point at their course) or cascades (see 0008), and
  the triggers of 0009 go with it. The stored values do not change (SQLite keeps 3 as 3 either
  way), only the declared type does, so SQLite's documented in-place schema edit is used
  (``PRAGMA writable_schema``, "Making Other Kinds Of Table Schema Changes").
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SEARCHED = {
    "course": ("title", "provider", "credential", "description"),
    "circle": ("title", "description"),
    "user": ("name", "email"),
}


def _fold(text):
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def upgrade():
    for table in SEARCHED:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.add_column(
                sa.Column('search_text', sa.Text(), server_default='', nullable=False)
            )
    bind = op.get_bind()
    for name, fields in SEARCHED.items():
        table = sa.table(name, sa.column("id"), sa.column("search_text"), *map(sa.column, fields))
        rows = bind.execute(sa.select(table.c.id, *(table.c[f] for f in fields))).all()
        for row in rows:
            text = "\n".join(_fold(value) for value in row[1:])
            bind.execute(table.update().where(table.c.id == row[0]).values(search_text=text))

    if bind.dialect.name == "sqlite":
        _sqlite_declare(bind, "course", "hours", "NUMERIC(5, 2)")
    else:
        op.alter_column(
            'course',
            'hours',
            existing_type=sa.Integer(),
            type_=sa.Numeric(5, 2),
            existing_nullable=True,
        )


def downgrade():
    bind = op.get_bind()
    # Whole hours again, rounded up so that "more than 0" still holds.
    if bind.dialect.name == "sqlite":
        op.execute(
            "UPDATE course SET hours = CAST(hours AS INTEGER) + (hours > CAST(hours AS INTEGER)) "
            "WHERE hours IS NOT NULL"
        )
        _sqlite_declare(bind, "course", "hours", "INTEGER")
    else:
        op.alter_column(
            'course',
            'hours',
            existing_type=sa.Numeric(5, 2),
            type_=sa.Integer(),
            existing_nullable=True,
            postgresql_using="ceil(hours)::integer",
        )
    for table in SEARCHED:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column('search_text')


def _sqlite_declare(bind, table, column, declared):
    """Change a column's declared type in SQLite's schema, inside the migration's transaction.
    Only the declaration changes: no stored value, index or constraint depends on it."""
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    pattern = re.compile(rf"(\n\s*{column} )([A-Z]+(?:\(\d+, ?\d+\))?)(?=[ ,])")
    new_sql, count = pattern.subn(rf"\g<1>{declared}", sql)
    if count != 1:
        raise RuntimeError(f"{table}.{column}: column definition not found in {sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new_sql, table)
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = bind.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"SQLite schema edit of {table}.{column} failed: {problems}")
