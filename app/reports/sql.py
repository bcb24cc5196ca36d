"""SQL expressions the reports need that SQLite and PostgreSQL spell differently.

SQLite stores our UTC instants as naive text and knows no time zones, so the local quarter of
an instant is a small Python function registered on every SQLite connection; PostgreSQL does
the same with ``AT TIME ZONE``. Either way the grouping happens in the database.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

_PG_QUARTER = "'YYYY-\"Q\"Q'"  # to_char pattern for 2026-Q1


def quarter_label(year: int, month: int) -> str:
    return f"{year}-Q{(month - 1) // 3 + 1}"


def _sqlite_local_quarter(value: str | None, tz: str | None) -> str | None:
    if value is None:
        return None
    instant = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    local = instant.astimezone(ZoneInfo(tz or "UTC"))
    return quarter_label(local.year, local.month)


@sa.event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_conn, _record) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        dbapi_conn.create_function(
            "report_local_quarter", 2, _sqlite_local_quarter, deterministic=True
        )


class local_quarter(FunctionElement):
    """``local_quarter(instant, tz)``: "YYYY-Qn" of a UTC instant on the wall clock of ``tz``."""

    type = sa.String()
    inherit_cache = True


@compiles(local_quarter)
def _local_quarter_sqlite(element, compiler, **kw) -> str:
    return f"report_local_quarter({compiler.process(element.clauses, **kw)})"


@compiles(local_quarter, "postgresql")
def _local_quarter_pg(element, compiler, **kw) -> str:
    instant, tz = (compiler.process(c, **kw) for c in element.clauses)
    return f"to_char(({instant}) AT TIME ZONE ({tz}), {_PG_QUARTER})"


class date_quarter(FunctionElement):
    """``date_quarter(day)``: "YYYY-Qn" of a calendar date."""

    type = sa.String()
    inherit_cache = True


@compiles(date_quarter)
def _date_quarter_sqlite(element, compiler, **kw) -> str:
    day = compiler.process(element.clauses, **kw)
    return f"(strftime('%Y', {day}) || '-Q' || ((CAST(strftime('%m', {day}) AS INTEGER) + 2) / 3))"


@compiles(date_quarter, "postgresql")
def _date_quarter_pg(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, {_PG_QUARTER})"


class seconds_between(FunctionElement):
    """``seconds_between(start, end)``: whole seconds from one UTC instant to another."""

    type = sa.Integer()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER))"


@compiles(seconds_between, "postgresql")
def _seconds_between_pg(element, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS BIGINT)"
