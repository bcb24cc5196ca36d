"""The database refuses a value outside an enum's list, for the migrations that add enum
columns (0009 first). PostgreSQL: a CHECK constraint. SQLite: BEFORE INSERT/UPDATE triggers,
because adding a CHECK there means copying the table, which cascade-deletes children and drops
other triggers.

``allowed`` maps (table, column, nullable) to the allowed values. The names (``ck_<table>_<column>``
and its ``_insert``/``_update`` triggers) are what tests/test_models.py looks for. Keep this
module's behaviour fixed: migrations that have run rely on it.
"""

from __future__ import annotations

from alembic import op

Allowed = dict[tuple[str, str, bool], tuple[str, ...]]


def in_list(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def refuse_rows_outside(allowed: Allowed) -> None:
    """Name the first column that already holds a value outside its list, before any check."""
    conn = op.get_bind()
    for (table, column, _nullable), values in allowed.items():
        # Names and values are the migration's own constants, never input.
        query = (
            f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" NOT IN {in_list(values)}'  # noqa: S608
        )
        bad = conn.exec_driver_sql(query).scalars().all()
        if bad:
            raise RuntimeError(
                f"{table}.{column} holds {sorted(bad)!r}, outside {list(values)!r}: "
                "correct those rows, then upgrade again."
            )


def create(allowed: Allowed) -> None:
    for (table, column, nullable), values in allowed.items():
        if op.get_bind().dialect.name == "postgresql":
            op.create_check_constraint(
                op.f(f"ck_{table}_{column}"), table, f"{column} IN {in_list(values)}"
            )
            continue
        # NOT IN is NULL (the trigger does not fire) for NULL: NOT NULL columns refuse it
        # themselves; a nullable one says so.
        outside = f'NEW."{column}" NOT IN {in_list(values)}'
        if nullable:
            outside = f'NEW."{column}" IS NOT NULL AND {outside}'
        message = f"{table}.{column} must be one of: {', '.join(values)}"
        for event, name in (("INSERT", "insert"), (f'UPDATE OF "{column}"', "update")):
            op.execute(
                f'CREATE TRIGGER ck_{table}_{column}_{name} BEFORE {event} ON "{table}" '
                f"WHEN {outside} BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def drop(allowed: Allowed) -> None:
    """Only for tables that stay: dropping a table drops its checks and triggers with it."""
    for table, column, _nullable in reversed(allowed):
        if op.get_bind().dialect.name == "postgresql":
            op.drop_constraint(op.f(f"ck_{table}_{column}"), table, type_="check")
            continue
        for name in ("insert", "update"):
            op.execute(f"DROP TRIGGER ck_{table}_{column}_{name}")
