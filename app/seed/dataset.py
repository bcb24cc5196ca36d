"""Rows in plain Python, keyed by table name, with ids handed out here so that children can
refer to their parents before anything reaches the database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from decimal import Decimal
from enum import Enum
from typing import Any


class Dataset:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._ids: dict[str, int] = defaultdict(int)

    def add(self, table: str, **row: Any) -> int:
        """Append a row with the table's next id; returns the id."""
        return self.put(table, row)

    def put(self, table: str, row: dict[str, Any]) -> int:
        """Append this dict (kept: later changes to it are loaded) with the next id."""
        self._ids[table] += 1
        row["id"] = self._ids[table]
        self.rows[table].append(row)
        return row["id"]

    def link(self, table: str, **row: Any) -> None:
        """A row without an ``id`` column (association tables, one-to-one rows)."""
        self.rows[table].append(row)

    def counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in sorted(self.rows.items())}


def plain(value: Any) -> Any:
    """A value as the same text whichever database it went through."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def digest(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """SHA-256 of the rows reduced to ``columns``, in a fixed order (not the load order)."""
    lines = sorted(json.dumps([plain(row.get(c)) for c in columns]) for row in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
